using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void MatMul(Tensor c, Tensor a, bool transA, Tensor b, bool transB, int batchA, int batchB, int batchC,
                       int m, int n, int k, bool accumulate) =>
        MatMulKernels.Batched(Arr(c), Arr(a), transA, Arr(b), transB, batchA, batchB, batchC, m, n, k, accumulate);
}
