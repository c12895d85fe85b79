using ILGPU;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, float alpha, Tensor y, Tensor x)
    {
        switch (op)
        {
            case UnaryOp.Neg: UnaryT<NegOp>(alpha, y, x); break;
            case UnaryOp.Exp: UnaryT<ExpOp>(alpha, y, x); break;
            case UnaryOp.Log: UnaryT<LogOp>(alpha, y, x); break;
            case UnaryOp.Sqrt: UnaryT<SqrtOp>(alpha, y, x); break;
            case UnaryOp.Abs: UnaryT<AbsOp>(alpha, y, x); break;
            case UnaryOp.Sign: UnaryT<SignOp>(alpha, y, x); break;
            case UnaryOp.Relu: UnaryT<ReluOp>(alpha, y, x); break;
            case UnaryOp.Square: UnaryT<SquareOp>(alpha, y, x); break;
            case UnaryOp.Pow: UnaryT<PowOp>(alpha, y, x); break;
            case UnaryOp.Scale: UnaryT<ScaleOp>(alpha, y, x); break;
            case UnaryOp.AddScalar: UnaryT<AddScalarOp>(alpha, y, x); break;
            case UnaryOp.ClampMin: UnaryT<ClampMinOp>(alpha, y, x); break;
            case UnaryOp.ClampMax: UnaryT<ClampMaxOp>(alpha, y, x); break;
            case UnaryOp.Tanh: UnaryT<TanhOp>(alpha, y, x); break;
            case UnaryOp.Sigmoid: UnaryT<SigmoidOp>(alpha, y, x); break;
            case UnaryOp.Reciprocal: UnaryT<ReciprocalOp>(alpha, y, x); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "Unary: unknown op.");
        }
    }

    private void UnaryT<TOp>(float alpha, Tensor y, Tensor x) where TOp : struct, IUnaryGpuOp
    {
        if (x.Count == 0) return;
        var g = Bounds(x.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, float, GridStride>(ElementwiseKernels.Unary<TOp>)(
            g.Stride, V(y), V(x), alpha, g);
    }

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOp op, float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y)
    {
        switch (op)
        {
            case UnaryOp.Neg: UnaryBackwardT<NegOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Exp: UnaryBackwardT<ExpOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Log: UnaryBackwardT<LogOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Sqrt: UnaryBackwardT<SqrtOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Abs: UnaryBackwardT<AbsOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Sign: break; // gradient 0: dx += 0.
            case UnaryOp.Relu: UnaryBackwardT<ReluOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Square: UnaryBackwardT<SquareOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Pow: UnaryBackwardT<PowOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Scale: UnaryBackwardT<ScaleOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.AddScalar: UnaryBackwardT<AddScalarOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.ClampMin: UnaryBackwardT<ClampMinOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.ClampMax: UnaryBackwardT<ClampMaxOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Tanh: UnaryBackwardT<TanhOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Sigmoid: UnaryBackwardT<SigmoidOp>(alpha, dx, dy, x, y); break;
            case UnaryOp.Reciprocal: UnaryBackwardT<ReciprocalOp>(alpha, dx, dy, x, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "UnaryBackward: unknown op.");
        }
    }

    private void UnaryBackwardT<TOp>(float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y)
        where TOp : struct, IUnaryGpuOp
    {
        if (dx.Count == 0) return;
        var g = Bounds(dx.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, GridStride>(
            ElementwiseKernels.UnaryBackward<TOp>)(g.Stride, V(dx), V(dy), V(x), V(y), alpha, g);
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor y, Tensor a, Tensor b)
    {
        switch (op)
        {
            case BinaryOp.Add: BinaryT<AddOp>(y, a, b); break;
            case BinaryOp.Sub: BinaryT<SubOp>(y, a, b); break;
            case BinaryOp.Mul: BinaryT<MulOp>(y, a, b); break;
            case BinaryOp.Div: BinaryT<DivOp>(y, a, b); break;
            case BinaryOp.Max: BinaryT<MaxOp>(y, a, b); break;
            case BinaryOp.Min: BinaryT<MinOp>(y, a, b); break;
            case BinaryOp.Equal: BinaryT<EqualOp>(y, a, b); break;
            case BinaryOp.Greater: BinaryT<GreaterOp>(y, a, b); break;
            case BinaryOp.GreaterEqual: BinaryT<GreaterEqualOp>(y, a, b); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "Binary: unknown op.");
        }
    }

    private void BinaryT<TOp>(Tensor y, Tensor a, Tensor b) where TOp : struct, IBinaryGpuOp
    {
        int n = y.Count;
        if (n == 0) return;
        var g = Bounds(n);
        if (a.Count == n && b.Count == n)
        {
            Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GridStride>(
                ElementwiseKernels.BinarySame<TOp>)(g.Stride, V(y), V(a), V(b), g);
            return;
        }
        var idx = StridedIndex.Create(y.Shape.Dims, a.Shape.BroadcastStrides(y.Shape), b.Shape.BroadcastStrides(y.Shape),
                                      "Binary");
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, StridedIndex, GridStride>(
            ElementwiseKernels.BinaryBroadcast<TOp>)(g.Stride, V(y), V(a), V(b), idx, g);
    }

    /// <inheritdoc/>
    public void Where(Tensor y, Tensor cond, Tensor a, Tensor b)
    {
        if (y.Count == 0) return;
        var g = Bounds(y.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GridStride>(
            ElementwiseKernels.Where)(g.Stride, V(y), V(cond), V(a), V(b), g);
    }

    /// <inheritdoc/>
    public void BroadcastTo(Tensor y, Tensor x)
    {
        if (y.Count == 0) return;
        if (x.Count == y.Count)
        {
            Copy(y, x);
            return;
        }
        var g = Bounds(y.Count);
        var idx = StridedIndex.Create(y.Shape.Dims, x.Shape.BroadcastStrides(y.Shape), new int[y.Rank], "BroadcastTo");
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, StridedIndex, GridStride>(ElementwiseKernels.BroadcastTo)(
            g.Stride, V(y), V(x), idx, g);
    }
}
