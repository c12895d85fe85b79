using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Heads;

/// <summary>Options of a value head; the presets of P1's agents are static members.</summary>
/// <param name="Atoms">Atoms of the return distribution; 1 means non-distributional (Q = the single "atom").</param>
/// <param name="VMax">Support is [−VMax, VMax] (Dopamine: vmin = −vmax).</param>
/// <param name="Dueling">Value + centred advantage streams (Wang et al. 2016).</param>
/// <param name="Noisy">Factorized-Gaussian noisy layers (Fortunato et al. 2018).</param>
public sealed record HeadOptions(int Atoms = 1, float VMax = 10f, bool Dueling = false, bool Noisy = false)
{
    /// <summary>DQN: one dense layer to A values (P1 Table 2).</summary>
    public static HeadOptions Dqn => new();

    /// <summary>Rainbow-lite: C51 with 51 atoms on [−10, 10], no dueling, no noise (rainbow_agent.py).</summary>
    public static HeadOptions RainbowLite => new(Atoms: 51);

    /// <summary>Full Rainbow / DER: dueling noisy C51 heads (NoisyNetwork, full_rainbow.gin).</summary>
    public static HeadOptions FullRainbow => new(Atoms: 51, Dueling: true, Noisy: true);

    /// <summary>DrQ(ε): dueling, non-distributional, no noise (P1 Table 1).</summary>
    public static HeadOptions DrqEpsilon => new(Atoms: 1, Dueling: true);
}

/// <summary>
/// The family of value heads of both papers (dopamine networks.py): plain Dense(A) for DQN; C51 logits [A, 51] with
/// Q = Σ z·softmax; dueling logits = V + (Adv − mean_a Adv); any of these with noisy layers.
/// </summary>
public sealed class RainbowHead : Module
{
    private readonly Layer _adv;
    private readonly Layer? _value;
    private readonly Tensor? _support;

    /// <summary>Creates the head.</summary>
    /// <param name="inFeatures">Feature size (e.g. 512, or m·d after a flattened MoE).</param>
    /// <param name="actions">Number of actions A.</param>
    /// <param name="options">Atoms, dueling and noise.</param>
    /// <param name="rng">Initialization randomness.</param>
    /// <param name="noiseRng">Noise stream for noisy layers (required when Noisy).</param>
    public RainbowHead(int inFeatures, int actions, HeadOptions options, Rng rng, Rng? noiseRng = null)
    {
        if (actions <= 0) throw new ArgumentException($"RainbowHead: actions must be positive, got {actions}.");
        if (options.Atoms < 1) throw new ArgumentException($"RainbowHead: atoms must be >= 1, got {options.Atoms}.");
        if (options.Noisy && noiseRng is null) throw new ArgumentException("RainbowHead: noisy heads need a noise Rng.");
        Actions = actions;
        Options = options;
        int atoms = options.Atoms;
        _adv = RegisterModule<Layer>(options.Dueling ? "advantage" : "q", MakeLayer(inFeatures, actions * atoms, options, rng, noiseRng));
        if (options.Dueling) _value = RegisterModule<Layer>("value", MakeLayer(inFeatures, atoms, options, rng, noiseRng));
        if (atoms > 1)
        {
            // z_i = −vmax + i·Δz, Δz = 2·vmax/(atoms − 1) (Bellemare et al. 2017).
            var z = new float[atoms];
            for (int i = 0; i < atoms; i++) z[i] = -options.VMax + i * (2 * options.VMax / (atoms - 1));
            _support = RegisterBuffer("support", Tensor.FromArray(z));
        }
    }

    private static Layer MakeLayer(int inF, int outF, HeadOptions o, Rng rng, Rng? noiseRng) =>
        o.Noisy ? new NoisyLinear(inF, outF, rng, noiseRng!) : new Linear(inF, outF, rng);

    /// <summary>Number of actions.</summary>
    public int Actions { get; }

    /// <summary>The head's options.</summary>
    public HeadOptions Options { get; }

    /// <summary>The atom support z [atoms], or null when non-distributional.</summary>
    public Tensor? Support => _support;

    /// <summary>Computes Q (and logits/probabilities for C51) from features [B, F].</summary>
    public QHeadOutput Forward(Tensor features)
    {
        int b = features.Shape[0], atoms = Options.Atoms;
        var logits = _adv.Forward(features).Reshape(b, Actions, atoms);
        if (_value is not null)
        {
            var v = _value.Forward(features).Reshape(b, 1, atoms);
            var centred = Ops.Sub(logits, Ops.Mean(logits, [1], keepDims: true));
            logits = Ops.Add(v, centred);
        }
        if (atoms == 1) return new QHeadOutput(logits.Reshape(b, Actions), null, null);
        var probs = Ops.Softmax(logits, -1);
        var q = Ops.Sum(Ops.Mul(probs, _support!), [-1]);
        return new QHeadOutput(q, logits, probs);
    }
}
