using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

/// <summary>What sits between the encoder and the head: features [B, F] plus MoE statistics when present.</summary>
/// <param name="Features">The head's input [B, F].</param>
/// <param name="Moe">The MoE layer's output when the torso has one (router statistics, expert activations).</param>
/// <param name="Hidden">Post-ReLU penultimate activations for dormant-neuron analysis (dense torsos: [B, width]; the
/// tokenized-aggregation torso: per token [B, m, width], neurons on the last axis), or null.</param>
public sealed record TorsoOutput(Tensor Features, MoeOutput? Moe, Tensor? Hidden);

/// <summary>
/// The replaceable middle of a value network (P1 §3, Fig. 2): the baseline's flatten → Dense(512·k) → ReLU, or
/// tokenize → MoE → flatten, or a tokenized aggregation.
/// </summary>
public abstract class Torso : Module
{
    /// <summary>Maps the encoder output [B, h, w, c] to head features.</summary>
    public abstract TorsoOutput Forward(Tensor encoded);

    /// <summary>Feature size F for an encoder output shape [B, h, w, c].</summary>
    public abstract int OutputFeatures(Shape encoded);
}

/// <summary>
/// The baseline (and scaled baseline) torso: flatten → Dense(width) → ReLU, width = 512 × multiplier
/// (P1 Table 2, Fig. 1). Noisy for the Full-Rainbow baseline (Dopamine's noisy penultimate layer). Width 0 is flatten only, the MinAtar network of
/// Revisiting Rainbow (conv → flatten → head).
/// </summary>
public sealed class DenseTorso : Torso
{
    private readonly Layer? _dense;

    /// <summary>Creates the torso for a flattened input of <paramref name="inFeatures"/>.</summary>
    /// <exception cref="ArgumentException">A negative width, or a noisy torso without a noise stream.</exception>
    public DenseTorso(int inFeatures, int width, Rng rng, bool noisy = false, Rng? noiseRng = null)
    {
        if (width < 0) throw new ArgumentException($"DenseTorso: width must be >= 0 (0 = no hidden layer), got {width}.");
        if (noisy && width > 0 && noiseRng is null) throw new ArgumentException("DenseTorso: a noisy torso needs a noise Rng.");
        Width = width;
        if (width > 0)
        {
            _dense = RegisterModule<Layer>("dense", noisy ? new NoisyLinear(inFeatures, width, rng, noiseRng!) : new Linear(inFeatures, width, rng));
        }
    }

    /// <summary>Hidden width (0: no hidden layer).</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        if (_dense is null) return new TorsoOutput(encoded.Flatten(1), null, null);
        var h = _dense.ForwardRelu(encoded.Flatten(1)); // Linear: bias and ReLU fused into the product
        return new TorsoOutput(h, null, h);
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => Width > 0 ? Width : encoded.Count / encoded[0];
}
