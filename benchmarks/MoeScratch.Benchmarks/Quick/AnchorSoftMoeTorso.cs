using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// The anchor's Soft MoE torso (Models.cs <c>SoftMoE</c> + PerConv tokens; Puigcerver et al. 2023 with the
/// normalization of Obando-Ceron et al. 2024), one slot per expert:
/// logits = (scale·l2norm_D(X))·l2norm_D(Φ); dispatch = softmax over tokens; combine = softmax over slots;
/// slots = dispatchᵀX; expert MLP D→H→ReLU→D with biases, all experts batched; out = combine·Y; flatten.
/// </summary>
/// <remarks>
/// Benchmark-local so that its definition is exactly the anchor's (8 experts × 1 slot, learned scale, expert
/// biases), which differs from the paper default (papers.md §1.3). PerConv tokens are free in NHWC: [B, 7, 7, 64]
/// is already [B, 49, 64] in memory, where libtorch needs a transpose.
/// </remarks>
public sealed class AnchorSoftMoeTorso : Torso
{
    private readonly int _dim;
    private readonly Tensor _phi, _scale, _w1, _b1, _w2, _b2;

    /// <summary>Creates the layer with the anchor's initialization ranges.</summary>
    public AnchorSoftMoeTorso(int dim, int experts, int hidden, Rng rng)
    {
        _dim = dim;
        float k1 = 1f / MathF.Sqrt(dim), k2 = 1f / MathF.Sqrt(hidden);
        _phi = RegisterParameter("phi", Ops.Scale(Tensor.Normal(new Shape(dim, experts), 0f, 1f, rng), k1));
        _scale = RegisterParameter("scale", Tensor.Ones(new Shape(1)));
        _w1 = RegisterParameter("w1", Tensor.Uniform(new Shape(experts, dim, hidden), -k1, k1, rng));
        _b1 = RegisterParameter("b1", Tensor.Uniform(new Shape(experts, 1, hidden), -k1, k1, rng));
        _w2 = RegisterParameter("w2", Tensor.Uniform(new Shape(experts, hidden, dim), -k2, k2, rng));
        _b2 = RegisterParameter("b2", Tensor.Uniform(new Shape(experts, 1, dim), -k2, k2, rng));
    }

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        int b = encoded.Shape[0];
        var x = encoded.Reshape(b, -1, _dim);                              // [B, N, D] PerConv tokens
        var xn = Ops.Mul(Ops.L2Normalize(x, -1), _scale);
        var phin = Ops.L2Normalize(_phi, 0);                              // [D, S]
        var logits = Ops.MatMul(xn, phin);                                // [B, N, S]
        var dispatch = Ops.Softmax(logits, 1);                            // over tokens
        var combine = Ops.Softmax(logits, 2);                             // over slots
        var slots = Ops.MatMul(dispatch, x, transA: true);                // [B, S, D]
        var xs = Ops.Transpose(slots, 0, 1);                              // [S, B, D]
        var h = Ops.Relu(Ops.Add(Ops.MatMul(xs, _w1), _b1));              // [S, B, H]
        var ys = Ops.Transpose(Ops.Add(Ops.MatMul(h, _w2), _b2), 0, 1);   // [B, S, D]
        var y = Ops.MatMul(combine, ys);                                  // [B, N, D]
        return new TorsoOutput(y.Flatten(1), null, null);
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => encoded[1] * encoded[2] * encoded[3];
}
