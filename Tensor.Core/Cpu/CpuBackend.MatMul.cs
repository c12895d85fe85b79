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
    public void Mlp(Tensor y, Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2, int batchX, int batchW, int batchB1,
                    int batchB2, int m, int k, int h, int n) =>
        MlpKernels.Batched(Arr(y), Arr(x), Arr(w1), Arr(b1), Arr(w2), Arr(b2), batchX, batchW, batchB1, batchB2, m, k, h, n);

    /// <inheritdoc/>
    public void MlpBackward(Tensor? dx, Tensor? dw1, Tensor? db1, Tensor? dw2, Tensor? db2, Tensor dy, Tensor x, Tensor w1,
                            Tensor b1, Tensor w2, int batchX, int batchW, int batchB1, int batchB2, int m, int k, int h,
                            int n) =>
        MlpKernels.Backward(Arr(dy), Arr(x), Arr(w1), Arr(b1), Arr(w2), Opt(dx), Opt(dw1), Opt(db1), Opt(dw2), Opt(db2),
                            batchX, batchW, batchB1, batchB2, m, k, h, n);

    /// <inheritdoc/>
    public void MatMulBiasBackward(Tensor? dz, Tensor? dbias, Tensor dy, Tensor y, int batch, int batchBias, int m, int n,
                                   bool relu, bool accumulateBias) =>
        MatMulKernels.BiasReluBackward(dz is null ? default : S(dz), dbias is null ? default : S(dbias), S(dy), S(y),
                                       batch, batchBias, m, n, relu, accumulateBias);

    /// <summary>A gradient target's floats, or an empty span for one that is not wanted.</summary>
    private static Span<float> Opt(Tensor? t) => t is null ? default : S(t);
}
