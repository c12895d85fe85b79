using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// The anchor's Soft MoE torso (Models.cs <c>SoftMoE</c> + PerConv tokens; Puigcerver et al. 2023 with the
/// normalization of Obando-Ceron et al. 2024): the library's <see cref="SoftMoe"/> configured as the anchor —
/// 49 PerConv tokens of dim 64, 8 experts × 1 slot, L2-normalized logits with a learned scale, expert MLPs
/// 64→512→ReLU→64 with biases — then flatten (3136).
/// </summary>
/// <remarks>
/// The anchor's settings differ from the paper default (dopamine softmoe.py: 121 tokens, ceil(m/n) slots, no
/// normalization), hence the explicit options. PerConv tokens are free in NHWC: [B, 7, 7, 64] is already
/// [B, 49, 64] in memory, where libtorch needs a transpose. The anchor scales the normalized tokens, the library
/// scales the normalized Φ: the same logits (scale·x̂·Φ̂).
/// </remarks>
public sealed class AnchorSoftMoeTorso : Torso
{
    private readonly SoftMoe _moe;
    private readonly int _tokens, _dim;

    /// <summary>Creates the torso for <paramref name="tokens"/> tokens of <paramref name="dim"/> channels.</summary>
    public AnchorSoftMoeTorso(int tokens, int dim, int experts, int hidden, Rng rng)
    {
        _tokens = tokens;
        _dim = dim;
        _moe = RegisterModule("moe", new SoftMoe(dim, tokens,
            new SoftMoeOptions(experts, hidden, SlotsPerExpert: 1, Normalize: true), rng));
    }

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        var x = encoded.Reshape(encoded.Shape[0], _tokens, _dim);     // [B, N, D] PerConv tokens
        var moe = _moe.Forward(x);
        return new TorsoOutput(moe.Values.Flatten(1), moe, null);
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => _tokens * _dim;
}
