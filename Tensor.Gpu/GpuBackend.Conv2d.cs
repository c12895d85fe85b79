using ILGPU;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <summary>The device copy of a geometry (PadBottom/PadRight are implied by OH/OW and not needed).</summary>
    internal static ConvShape ToDevice(in Conv2dGeometry g) => new()
    {
        Batch = g.Batch, H = g.H, W = g.W, C = g.C, KH = g.KH, KW = g.KW, Cout = g.Cout,
        StrideH = g.StrideH, StrideW = g.StrideW, PadTop = g.PadTop, PadLeft = g.PadLeft, OH = g.OH, OW = g.OW,
    };

    /// <inheritdoc/>
    public void Conv2dForward(Tensor y, Tensor x, Tensor w, Tensor? bias, in Conv2dGeometry g)
    {
        var yv = V(y);
        Gemm<ConvForwardOperands>(yv, V(x), V(w), bias is null ? yv : V(bias), Conv2dKernels.Forward(ToDevice(g),
                                  bias is not null));
    }

    /// <inheritdoc/>
    public void Conv2dBackwardInput(Tensor dx, Tensor dy, Tensor w, in Conv2dGeometry g)
    {
        var dxv = V(dx);
        Gemm<ConvBackwardInputOperands>(dxv, V(dy), V(w), dxv, Conv2dKernels.BackwardInput(ToDevice(g)));
    }

    /// <inheritdoc/>
    public void Conv2dBackwardWeight(Tensor? dw, Tensor? dBias, Tensor dy, Tensor x, in Conv2dGeometry g)
    {
        var dyv = V(dy);
        if (dw is not null)
        {
            var dwv = V(dw);
            Gemm<ConvBackwardWeightOperands>(dwv, V(x), dyv, dwv, Conv2dKernels.BackwardWeight(ToDevice(g)));
        }
        if (dBias is not null)
        {
            // dBias [K] += column sums of dY viewed as [B·P, K].
            int rows = g.Batch * g.OH * g.OW;
            var r = BuildReduceIndex(new Shape(1, g.Cout), new Shape(rows, g.Cout));
            r.Accumulate = 1;
            ReduceT<SumReduce>(V(dBias), dyv, r);
        }
    }

    /// <inheritdoc/>
    public void MaxPool2dForward(Tensor y, Tensor? argmax, Tensor x, in Conv2dGeometry g)
    {
        if (y.Count == 0) return;
        // Without argmax (NoGrad) the same kernel writes a scratch buffer: the device kernel is memory-light either way.
        var arg = argmax ?? Tensor.Empty(y.Shape, this);
        try
        {
            var s = Bounds(y.Count);
            Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape, GridStride>(
                PoolKernels.MaxForward)(s.Stride, V(y), V(arg), V(x), ToDevice(g), s);
        }
        finally
        {
            if (argmax is null) arg.Dispose();
        }
    }

    /// <inheritdoc/>
    public void MaxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax, in Conv2dGeometry g)
    {
        if (dx.Count == 0) return;
        var s = Bounds(dx.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvShape, GridStride>(
            PoolKernels.MaxBackward)(s.Stride, V(dx), V(dy), V(argmax), ToDevice(g), s);
    }

    /// <inheritdoc/>
    public void AvgPool2dForward(Tensor y, Tensor x, in Conv2dGeometry g, bool countIncludePad)
    {
        if (y.Count == 0) return;
        var s = Bounds(y.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ConvShape, int, GridStride>(PoolKernels.AvgForward)(
            s.Stride, V(y), V(x), ToDevice(g), countIncludePad ? 1 : 0, s);
    }

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor dx, Tensor dy, in Conv2dGeometry g, bool countIncludePad)
    {
        if (dx.Count == 0) return;
        var s = Bounds(dx.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ConvShape, int, GridStride>(PoolKernels.AvgBackward)(
            s.Stride, V(dx), V(dy), ToDevice(g), countIncludePad ? 1 : 0, s);
    }
}
