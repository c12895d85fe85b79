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
/// The replaceable middle of a value network (papers.md §4.5): the baseline's flatten → Dense(512·k) → ReLU, or
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
/// (papers.md §4.4). Noisy for the Full-Rainbow baseline (§4.6).
/// </summary>
public sealed class DenseTorso : Torso
{
    private readonly Layer _dense;

    /// <summary>Creates the torso for a flattened input of <paramref name="inFeatures"/>.</summary>
    public DenseTorso(int inFeatures, int width, Rng rng, bool noisy = false, Rng? noiseRng = null)
    {
        if (noisy && noiseRng is null) throw new ArgumentException("DenseTorso: a noisy torso needs a noise Rng.");
        Width = width;
        _dense = RegisterModule<Layer>("dense", noisy ? new NoisyLinear(inFeatures, width, rng, noiseRng!) : new Linear(inFeatures, width, rng));
    }

    /// <summary>Hidden width.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        var h = _dense.ForwardRelu(encoded.Flatten(1)); // Linear: bias and ReLU fused into the product
        return new TorsoOutput(h, null, h);
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => Width;
}
