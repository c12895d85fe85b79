using System.Buffers;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// A two-layer MLP's forward, y = relu(x·W1 + b1)·W2 + b2, in blocks of rows (see <c>IBackend.Mlp</c> for the batch
/// rules): each block's hidden rows are made and consumed while they are still in cache, so the hidden layer never
/// goes to memory as a whole.
/// </summary>
/// <remarks>
/// Why: a Soft MoE's experts at MinAtar's shape (4 experts × 800 slot rows, d = 16, h = 512) have a hidden layer of
/// 6.5 MB, past the L2 cache, for products of depth 16 on each side. Written by the first GEMM and read back by the
/// second, it costs two trips through L3/DRAM per forward; forwards that keep no graph (the target network's, acting)
/// need the hidden only for the next product, so here it lives in a per-thread block of
/// <see cref="BlockFloats"/> floats.
/// </remarks>
internal static class MlpKernels
{
    /// <summary>Floats of one hidden block (128 KB: a few blocks fit the L2 cache beside the packed weights).</summary>
    public const int BlockFloats = 32 * 1024;

    /// <summary>Rows per hidden block for hidden width <paramref name="h"/>: a multiple of the GEMM tile's 6 rows.</summary>
    public static int BlockRows(int h) => Math.Max(GemmRows, BlockFloats / Math.Max(1, h) / GemmRows * GemmRows);

    private const int GemmRows = Gemm.GemmMicroKernel.MR;

    /// <summary>
    /// y[i] = relu(x[i]·w1[i] + b1[i])·w2[i] + b2[i] for i &lt; max(batchX, batchW), each operand shared when its batch
    /// is 1. Row blocks of all products are spread over up to <see cref="CpuThreads.Max"/> threads when the work is
    /// large enough to pay for them (as a GEMM of the same FLOPs would be).
    /// </summary>
    public static void Batched(float[] y, float[] x, float[] w1, float[] b1, float[] w2, float[] b2, int batchX, int batchW,
                               int batchB1, int batchB2, int m, int k, int h, int n)
    {
        int batch = Math.Max(batchX, batchW);
        if (batch == 0 || m == 0 || n == 0) return;
        int rows = BlockRows(h);
        int blocks = (m + rows - 1) / rows;
        int units = batch * blocks;
        double flops = 2.0 * batch * m * ((double)k * h + (double)h * n);
        int threads = flops >= Gemm.GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, units) : 1;
        CpuThreads.ForRanges(units, threads, (u0, u1) =>
        {
            float[] hidden = ArrayPool<float>.Shared.Rent(rows * Math.Max(1, h));
            try
            {
                for (int u = u0; u < u1; u++)
                {
                    int i = u / blocks, r0 = u % blocks * rows, r = Math.Min(rows, m - r0);
                    int wi = batchW == 1 ? 0 : i;
                    var xi = x.AsSpan((batchX == 1 ? 0 : i * m * k) + r0 * k, r * k);
                    var b1i = b1.AsSpan(batchB1 == 1 ? 0 : i * h, h);
                    var b2i = b2.AsSpan(batchB2 == 1 ? 0 : i * n, n);
                    var hid = hidden.AsSpan(0, r * h);
                    MatMulKernels.Gemm(false, false, r, h, k, xi, k, w1.AsSpan(wi * k * h, k * h), h, hid, h, false, b1i,
                                       relu: true);
                    MatMulKernels.Gemm(false, false, r, n, h, hid, h, w2.AsSpan(wi * h * n, h * n), n,
                                       y.AsSpan(i * m * n + r0 * n, r * n), n, false, b2i);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(hidden);
            }
        });
    }
}
