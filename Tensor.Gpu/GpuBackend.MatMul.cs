using ILGPU;
using ILGPU.Runtime;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    public void MatMul(Tensor c, Tensor a, bool transA, Tensor b, bool transB, int batchA, int batchB, int batchC,
                       int m, int n, int k, bool accumulate)
    {
        var p = MatMulSizes(transA, transB, batchA, batchB, batchC, m, n, k, accumulate);
        if (m == 0 || n == 0) return;
        int tile = MatMulTile;
        int zs = batchC == 1 ? 1 : p.Batch;
        var cfg = new KernelConfig(new Index3D((n + tile - 1) / tile, (m + tile - 1) / tile, zs), new Index3D(tile, tile, 1),
                                   SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile));
        Kernels.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulParams>(MatMulKernels.Tiled)(
            cfg, V(c), V(a), V(b), p);
    }

    /// <summary>The same product with the naive reference kernel (tests check the tiled kernel against it).</summary>
    internal void MatMulNaive(Tensor c, Tensor a, bool transA, Tensor b, bool transB, int batchA, int batchB, int batchC,
                              int m, int n, int k, bool accumulate)
    {
        var p = MatMulSizes(transA, transB, batchA, batchB, batchC, m, n, k, accumulate);
        if (m == 0 || n == 0) return;
        Kernels.Auto<Index3D, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulParams>(MatMulKernels.Naive)(
            new Index3D(n, m, batchC == 1 ? 1 : p.Batch), V(c), V(a), V(b), p);
    }

    private static MatMulParams MatMulSizes(bool transA, bool transB, int batchA, int batchB, int batchC,
                                            int m, int n, int k, bool accumulate) => new()
    {
        M = m,
        N = n,
        K = k,
        Lda = transA ? m : k,
        Ldb = transB ? k : n,
        TransA = transA ? 1 : 0,
        TransB = transB ? 1 : 0,
        BatchA = batchA,
        BatchB = batchB,
        BatchC = batchC,
        Batch = Math.Max(batchA, batchB),
        Accumulate = accumulate ? 1 : 0,
    };
}
