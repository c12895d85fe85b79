using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

/// <summary>One "Big" expert: a full encoder plus the penultimate Dense+ReLU (P1 §5.3).</summary>
public sealed class BigExpert : Module
{
    /// <summary>Creates the expert from its parts.</summary>
    public BigExpert(Layer encoder, Layer dense)
    {
        Encoder = RegisterModule("encoder", encoder);
        Dense = RegisterModule("dense", dense);
    }

    /// <summary>The expert's own encoder.</summary>
    public Layer Encoder { get; }

    /// <summary>Dense(hidden) on the flattened encoder output (noisy in Full Rainbow, NoisyNetwork).</summary>
    public Layer Dense { get; }

    /// <summary>relu(dense(flatten(encoder(obs)))) → [B, hidden].</summary>
    public Tensor Forward(Tensor observations) => Ops.Relu(Dense.Forward(Encoder.Forward(observations).Flatten(1)));
}

/// <summary>
/// P1 §5.3 "Big" experts: the MoE sits at the input. The observation is one PerSamp token
/// x ∈ R^{H·W·C}; with m = 1 and capacity factor 1 each expert gets p = ceil(1/n) = 1 slot, the dispatch softmax
/// over a single token is 1 (every slot sees x itself), and the combine weights are c = softmax_slots(x·Φ)
/// (P1 §2.2, softmoe.py). Each expert is a full network (own encoder + Dense+ReLU).
/// </summary>
/// <remarks>
/// Head coupling (P1 §5.3): with a shared final layer (Rainbow, and any dueling or distributional head) the
/// features are Σ_e c_e·h_e [B, hidden]. With "own final layer" (DQN: one atom, no dueling) the features are
/// [c_1·h_1, …, c_n·h_n, c_1, …, c_n] [B, n·hidden + n], so the head's Dense(A) computes exactly
/// Σ_e c_e (W_e h_e + β_e) + b, i.e. every expert has its own final layer (W_e, β_e); b is one extra shared bias.
/// Normalization (x/‖x‖ and Φ/‖Φ‖·scale along d, softmoe.py) is optional; P1 found it helps this variant.
/// </remarks>
public sealed class BigExpertTorso : Torso
{
    private readonly BigExpert[] _experts;
    private readonly bool _normalize;

    /// <summary>Creates the torso.</summary>
    /// <param name="experts">The n experts.</param>
    /// <param name="observationFeatures">H·W·C, the PerSamp token dim.</param>
    /// <param name="hidden">Each expert's output width.</param>
    /// <param name="ownFinalLayer">DQN coupling (see remarks) instead of a shared final layer.</param>
    /// <param name="normalize">L2-normalize the token and Φ for the logits.</param>
    /// <param name="rng">Init randomness for Φ.</param>
    public BigExpertTorso(IReadOnlyList<BigExpert> experts, int observationFeatures, int hidden, bool ownFinalLayer, bool normalize, Rng rng)
    {
        if (experts.Count == 0) throw new ArgumentException("BigExpertTorso: needs at least one expert.");
        if (observationFeatures <= 0 || hidden <= 0)
        {
            throw new ArgumentException($"BigExpertTorso: sizes must be positive, got token dim {observationFeatures}, hidden {hidden}.");
        }
        int n = experts.Count;
        ObservationFeatures = observationFeatures;
        Hidden = hidden;
        OwnFinalLayer = ownFinalLayer;
        _normalize = normalize;
        // Φ (d, n, p=1) with lecun_normal on fan_in = n·d as flax's 3-D convention (softmoe.py, dopamine networks.py).
        Phi = RegisterParameter("phi", PerSampleRouter.CreatePhi(observationFeatures, n, rng));
        // Always created as in dopamine's softmoe.py (it counts as a parameter) but used only when normalizing.
        Scale = RegisterParameter("scale", Tensor.Ones(new Shape(1)));
        _experts = new BigExpert[n];
        for (int e = 0; e < n; e++) _experts[e] = RegisterModule($"expert{e}", experts[e]);
    }

    /// <summary>The router's Φ [H·W·C, n].</summary>
    public Tensor Phi { get; }

    /// <summary>The normalization scale [1].</summary>
    public Tensor Scale { get; }

    /// <summary>PerSamp token dim H·W·C.</summary>
    public int ObservationFeatures { get; }

    /// <summary>Each expert's output width.</summary>
    public int Hidden { get; }

    /// <summary>Whether every expert has its own final layer (DQN coupling).</summary>
    public bool OwnFinalLayer { get; }

    /// <summary>Number of experts.</summary>
    public int NumExperts => _experts.Length;

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        int b = encoded.Shape[0];
        var token = encoded.Flatten(1); // PerSamp [B, H·W·C], a view
        if (token.Shape[1] != ObservationFeatures)
        {
            throw new ArgumentException($"BigExpertTorso: built for observations of {ObservationFeatures} values, got {encoded.Shape}.");
        }
        var combine = PerSampleRouter.Combine(token, Phi, Scale, _normalize); // [B, n]: softmax over all slots (one per expert)
        var hidden = _experts.Select(e => e.Forward(encoded)).ToArray();       // h_e [B, hidden]
        var features = OwnFinalLayer
            ? PerSampleRouter.ExpertHeadFeatures(hidden, combine)
            : PerSampleRouter.Mix(hidden, combine);
        var (probs, top) = PerSampleRouter.Statistics([combine]);
        using (Tensor.NoGrad())
        {
            var moe = new MoeOutput(features.Reshape(b, 1, features.Shape[1]), probs, top, null, null);
            return new TorsoOutput(features, moe, null);
        }
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => OwnFinalLayer ? NumExperts * Hidden + NumExperts : Hidden;
}
