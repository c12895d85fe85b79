using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void MatMul(Tensor c, Tensor a, bool transA, Tensor b, bool transB, int batchA, int batchB, int batchC,
                       int m, int n, int k, bool accumulate) =>
        MatMulKernels.Batched(Arr(c), Arr(a), transA, Arr(b), transB, batchA, batchB, batchC, m, n, k, accumulate);

    /// <inheritdoc/>
    public void MatMulBias(Tensor c, Tensor a, Tensor b, Tensor bias, int batchA, int batchB, int batchBias, int m, int n,
                           int k, bool relu) =>
        MatMulKernels.BatchedBias(Arr(c), Arr(a), Arr(b), Arr(bias), batchA, batchB, batchBias, m, n, k, relu);

    /// <inheritdoc/>
    public void MatMulBiasBackward(Tensor? dz, Tensor? dbias, Tensor dy, Tensor y, int batch, int batchBias, int m, int n,
                                   bool relu, bool accumulateBias) =>
        MatMulKernels.BiasReluBackward(dz is null ? default : S(dz), dbias is null ? default : S(dbias), S(dy), S(y),
                                       batch, batchBias, m, n, relu, accumulateBias);
}
