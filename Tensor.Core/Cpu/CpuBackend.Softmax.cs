using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Softmax(Tensor y, Tensor x, int outer, int n, int inner, bool log) =>
        SoftmaxKernels.Forward(S(y), S(x), outer, n, inner, log);

    /// <inheritdoc/>
    public void SoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int outer, int n, int inner, bool log) =>
        SoftmaxKernels.Backward(S(dx), S(dy), S(y), outer, n, inner, log);

    /// <inheritdoc/>
    public void SoftmaxBackwardInto(Tensor dx, Tensor dy, Tensor y, int outer, int n, int inner, bool log) =>
        SoftmaxKernels.Backward(S(dx), S(dy), S(y), outer, n, inner, log, accumulate: false);

    /// <inheritdoc/>
    public void SoftmaxPair(Tensor yCols, Tensor yRows, Tensor x, int batch, int m, int n) =>
        SoftmaxKernels.ForwardPair(S(yCols), S(yRows), S(x), batch, m, n);
}
