using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, float alpha, Tensor y, Tensor x) =>
        ElementwiseSplit.Run(S(y), S(x), default, default, (ys, xs, _, _) => ElementwiseKernels.UnaryForward(op, alpha, ys, xs));

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOp op, float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y) =>
        ElementwiseSplit.Run(S(dx), S(dy), S(x), S(y),
                             (dxs, dys, xs, ys) => ElementwiseKernels.UnaryBackward(op, alpha, dxs, dys, xs, ys));

    /// <inheritdoc/>
    public void UnaryBackwardInto(UnaryOp op, float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y) =>
        ElementwiseSplit.Run(S(dx), S(dy), S(x), S(y),
                             (dxs, dys, xs, ys) => ElementwiseKernels.UnaryBackwardInto(op, alpha, dxs, dys, xs, ys));

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor y, Tensor a, Tensor b)
    {
        if (a.Count == y.Count && b.Count == y.Count)
        {
            ElementwiseSplit.Run(S(y), S(a), S(b), default, (ys, As, bs, _) => ElementwiseKernels.BinaryRow(op, ys, As, 1, bs, 1));
            return;
        }
        ElementwiseKernels.Binary(op, Arr(y), y.Shape, Arr(a), a.Shape, Arr(b), b.Shape);
    }

    /// <inheritdoc/>
    public void Where(Tensor y, Tensor cond, Tensor a, Tensor b) => ElementwiseKernels.Where(S(y), S(cond), S(a), S(b));

    /// <inheritdoc/>
    public void BroadcastTo(Tensor y, Tensor x) => ElementwiseKernels.BroadcastTo(Arr(y), y.Shape, Arr(x), x.Shape);

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, Tensor y, Tensor x) => ReduceKernels.Reduce(op, Arr(y), y.Shape, Arr(x), x.Shape);
}
