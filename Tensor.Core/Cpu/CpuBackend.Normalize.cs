using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void L2NormalizeClamped(Tensor y, Tensor x, int outer, int n, int inner, float minSumSq, float eps) =>
        NormalizeKernels.L2ClampedForward(S(y), S(x), outer, n, inner, minSumSq, eps);

    /// <inheritdoc/>
    public void L2NormalizeClampedBackward(Tensor dx, Tensor dy, Tensor x, int outer, int n, int inner, float minSumSq,
                                           float eps) =>
        NormalizeKernels.L2ClampedBackward(S(dx), S(dy), S(x), outer, n, inner, minSumSq, eps);
}
