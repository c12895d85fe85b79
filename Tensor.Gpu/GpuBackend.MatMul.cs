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
        var cv = V(c);
        Gemm<MatMulOperands>(cv, V(a), V(b), cv, p);
    }

    /// <summary>Launches the tiled GEMM kernel with operand loader <typeparamref name="TOp"/>.</summary>
    internal void Gemm<TOp>(ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias,
                            GemmParams p)
        where TOp : struct, IGemmOperands
    {
        if (p.M == 0 || p.N == 0) return;
        int tile = MatMulTile;
        int zs = p.BatchC == 1 ? 1 : p.Batch;
        var grid = new Index3D((p.M + tile - 1) / tile, (p.N + tile - 1) / tile, zs);
        var max = _acc.MaxGridSize;
        if (grid.X > max.X || grid.Y > max.Y || grid.Z > max.Z)
        {
            throw new ArgumentException($"MatMul on {Name}: {p.Batch} products of [{p.M}, {p.K}] x [{p.K}, {p.N}] need a " +
                                        $"grid of {grid} tiles but the device allows at most {max}; split the batch.");
        }
        var cfg = new KernelConfig(grid,
                                   new Index3D(tile, tile, 1), SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile));
        Kernels.Grouped<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(
            MatMulKernels.Tiled<TOp>)(cfg, c, a, b, bias, p);
    }

    /// <summary>The same GEMM with the naive reference kernel (tests check the tiled kernel against it).</summary>
    internal void GemmNaive<TOp>(ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias,
                                 GemmParams p)
        where TOp : struct, IGemmOperands
    {
        if (p.M == 0 || p.N == 0) return;
        Kernels.Auto<Index3D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(
            MatMulKernels.Naive<TOp>)(new Index3D(p.M, p.N, p.BatchC == 1 ? 1 : p.Batch), c, a, b, bias, p);
    }

    /// <summary><see cref="MatMul"/> through the naive kernel.</summary>
    internal void MatMulNaive(Tensor c, Tensor a, bool transA, Tensor b, bool transB, int batchA, int batchB, int batchC,
                              int m, int n, int k, bool accumulate)
    {
        var cv = V(c);
        GemmNaive<MatMulOperands>(cv, V(a), V(b), cv, MatMulSizes(transA, transB, batchA, batchB, batchC, m, n, k,
                                                                   accumulate));
    }

    private static GemmParams MatMulSizes(bool transA, bool transB, int batchA, int batchB, int batchC,
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
