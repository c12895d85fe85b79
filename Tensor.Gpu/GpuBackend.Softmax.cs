using ILGPU;
using ILGPU.Runtime;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    public void Softmax(Tensor y, Tensor x, int outer, int n, int inner, bool log)
    {
        if (outer == 0 || n == 0 || inner == 0) return;
        var s = Bounds(outer * inner);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, GridStride>(SoftmaxKernels.Forward)(
            s.Stride, V(y), V(x), n, inner, log ? 1 : 0, s);
    }

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int outer, int n, int inner, bool log)
    {
        if (outer == 0 || n == 0 || inner == 0) return;
        var s = Bounds(outer * inner);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, GridStride>(
            SoftmaxKernels.Backward)(s.Stride, V(dx), V(dy), V(y), n, inner, log ? 1 : 0, s);
    }

    /// <inheritdoc/>
    public void TopK(Tensor indices, Tensor x, int outer, int n, int inner, int k)
    {
        if (outer == 0 || inner == 0 || k == 0) return;
        var s = Bounds(outer * inner);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, GridStride>(TopKKernels.TopK)(
            s.Stride, V(indices), V(x), n, inner, k, s);
    }

    /// <summary>Both Soft MoE softmaxes of logits [B, m, S] (see <see cref="SoftMoeKernels"/>).</summary>
    internal void SoftMoeWeights(Tensor dispatch, Tensor combine, Tensor logits, int batch, int m, int slots)
    {
        if (logits.Count == 0) return;
        int columns = batch * slots, lines = columns + batch * m;
        using var stats = Tensor.Empty(new Shape(2 * lines), this);
        var s = Bounds(lines);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, GridStride>(SoftMoeKernels.Stats)(
            s.Stride, V(stats), V(logits), m, slots, columns, s);
        var e = Bounds(logits.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int,
            GridStride>(SoftMoeKernels.Weights)(e.Stride, V(dispatch), V(combine), V(logits), V(stats), m, slots,
                                               columns, e);
    }

    /// <summary>Fused Top-k router forward (see <see cref="TopKRoutingKernels"/>).</summary>
    internal void TopKRoute(Tensor probs, Tensor gates, Tensor experts, Tensor logits, int tokens, int e, int k)
    {
        if (tokens == 0) return;
        var s = Bounds(tokens);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int,
            GridStride>(TopKRoutingKernels.Forward)(s.Stride, V(probs), V(gates), V(experts), V(logits), e, k, s);
    }

    /// <summary>Fused Top-k router backward for the gates.</summary>
    internal void TopKRouteBackward(Tensor dlogits, Tensor dgates, Tensor probs, Tensor experts, int tokens, int e, int k)
    {
        if (tokens == 0) return;
        var s = Bounds(tokens);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int,
            GridStride>(TopKRoutingKernels.BackwardGates)(s.Stride, V(dlogits), V(dgates), V(probs), V(experts), e, k,
                                                          s);
    }
}
