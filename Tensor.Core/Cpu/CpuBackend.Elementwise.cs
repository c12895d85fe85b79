using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, float alpha, Tensor y, Tensor x) => ElementwiseKernels.UnaryForward(op, alpha, S(y), S(x));

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOp op, float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y) =>
        ElementwiseKernels.UnaryBackward(op, alpha, S(dx), S(dy), S(x), S(y));

    /// <inheritdoc/>
    public void UnaryBackwardInto(UnaryOp op, float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y) =>
        ElementwiseKernels.UnaryBackwardInto(op, alpha, S(dx), S(dy), S(x), S(y));

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor y, Tensor a, Tensor b) =>
        ElementwiseKernels.Binary(op, Arr(y), y.Shape, Arr(a), a.Shape, Arr(b), b.Shape);

    /// <inheritdoc/>
    public void Where(Tensor y, Tensor cond, Tensor a, Tensor b) => ElementwiseKernels.Where(S(y), S(cond), S(a), S(b));

    /// <inheritdoc/>
    public void BroadcastTo(Tensor y, Tensor x) => ElementwiseKernels.BroadcastTo(Arr(y), y.Shape, Arr(x), x.Shape);

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, Tensor y, Tensor x) => ReduceKernels.Reduce(op, Arr(y), y.Shape, Arr(x), x.Shape);
}
