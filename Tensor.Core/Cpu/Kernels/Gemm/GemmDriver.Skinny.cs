using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

/// <summary>The few-row (skinny, m ≤ <see cref="SkinnyMaxM"/>) and narrow-C paths of the GEMM driver.</summary>
internal static unsafe partial class GemmDriver
{
    /// <summary>
    /// C (+)= A·B for a narrow C (8 &lt; n ≤ 24, n ≠ 16) and a deep product (k ≥ 4n): the Q heads (18 actions from 512 or 3,136
    /// features). The blocked path packed all of B into 16-wide panels and ran an edge panel for the last 2 columns
    /// (32×3136·3136×18: 0.166 ms, 22 GFLOP/s). Here four rows of A at a time keep 4 × ⌈n/8⌉ accumulators over the
    /// whole depth, reading B's rows in place: vectors at columns 0, 8, … and a last one ending at column n (it may
    /// overlap the previous one; only its new lanes are stored). Also batch-1 acting's head (1 × 512 · 512 × 18), which as
    /// a skinny product made one TensorPrimitives axpy call of 18 floats per depth step.
    /// </summary>
    private static void NarrowColumns(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc,
                                      bool accumulate)
    {
        int groups = (m + 3) / 4;
        int threads = 2.0 * m * n * k >= ParallelMinFlops ? Math.Min(CpuThreads.Max, groups) : 1;
        nint na = (nint)a, nb = (nint)b, nc = (nint)c;
        CpuThreads.ForRanges(groups, threads, (g0, g1) =>
        {
            for (int gi = g0; gi < g1; gi++)
            {
                int i0 = gi * 4;
                GemmMicroKernel.KernelNarrow((float*)na + (long)i0 * lda, lda, Math.Min(4, m - i0), (float*)nb, ldb, n, k,
                                             (float*)nc + (long)i0 * ldc, ldc, accumulate);
            }
        });
    }

    /// <summary>FLOPs from which the skinny product without transposed B splits its columns across threads.</summary>
    public const double SkinnyParallelMinFlops = 1e6;

    /// <summary>Fewest columns a skinny-product thread takes.</summary>
    private const int SkinnyColumnBlock = 64;

    /// <summary>Columns [j0, j1) of C (+)= op(A) · B for m ≤ <see cref="SkinnyMaxM"/>: row axpys over B's rows.</summary>
    private static void SkinnyColumns(bool transA, int m, int j0, int j1, int k, float* a, int lda, float* b, int ldb,
                                      float* c, int ldc, bool accumulate, bool hiFirst)
    {
        if (m == 1 && GemmMicroKernel.Wide)
        {
            const int block = GemmMicroKernel.GemvBlock;
            nint aStep = transA ? lda : 1;
            for (; j0 + block <= j1; j0 += block) GemvHalves(a, aStep, b + j0, ldb, k, c + j0, accumulate, hiFirst);
            if (j0 + block / 2 <= j1)
            {
                GemmMicroKernel.GemvBlockWide(a, aStep, b + j0, ldb, k, c + j0, accumulate, half: true);
                j0 += block / 2;
            }
            if (j0 == j1) return;
        }
        int w = j1 - j0;
        if (!accumulate)
        {
            for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc + j0, w).Clear();
        }

        for (int p = 0; p < k; p++)
        {
            var brow = new ReadOnlySpan<float>(b + (long)p * ldb + j0, w);
            for (int i = 0; i < m; i++)
            {
                float aip = transA ? a[(long)p * lda + i] : a[(long)i * lda + p];
                var crow = new Span<float>(c + (long)i * ldc + j0, w);
                TP.MultiplyAdd(brow, aip, crow, crow);
            }
        }
    }

    /// <summary>Skinny products so far: its parity picks which depth half <see cref="GemvHalves"/> streams first.</summary>
    private static int skinnySweeps;

    /// <summary>
    /// c[0..256] (+)= a · B[:, 0..256] as two depth halves, each summed in registers (<see cref="GemmMicroKernel.GemvBlockWide"/>)
    /// and added as c + (lo + hi) whatever order they ran in, so results do not depend on it. Successive calls alternate
    /// the order: a thread streams 3.2 MB of the acting torso's weights per call, more than its 2 MiB L2, so in one
    /// fixed order every line comes from L3 (shared with the host's other tenants); starting with the half streamed
    /// last finds much of it still in L2.
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // lo and hi are written whole before they are read
    private static void GemvHalves(float* a, nint aStep, float* b, nint ldb, int k, float* c, bool accumulate,
                                   bool hiFirst)
    {
        const int block = GemmMicroKernel.GemvBlock;
        int h = k / 2;
        float* lo = stackalloc float[block];
        float* hi = stackalloc float[block];
        for (int pass = 0; pass < 2; pass++)
        {
            if ((pass == 0) == hiFirst)
                GemmMicroKernel.GemvBlockWide(a + h * aStep, aStep, b + h * ldb, ldb, k - h, hi, accumulate: false, half: false);
            else
                GemmMicroKernel.GemvBlockWide(a, aStep, b, ldb, h, lo, accumulate: false, half: false);
        }
        var sum = new Span<float>(c, block);
        TP.Add(new ReadOnlySpan<float>(lo, block), new ReadOnlySpan<float>(hi, block), accumulate ? new Span<float>(lo, block) : sum);
        if (accumulate) TP.Add(sum, new ReadOnlySpan<float>(lo, block), sum);
    }

    /// <summary>
    /// m ≤ <see cref="SkinnyMaxM"/>: stream B once. Row-major B: C row i += A[i,p]·B row p (axpy per k step, the C rows
    /// stay in L1; one row: <see cref="GemvHalves"/>). Transposed B: each C element is a dot of two contiguous rows.
    /// </summary>
    private static void Skinny(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb,
                               float* c, int ldc, bool accumulate)
    {
        if (!transB)
        {
            bool hiFirst = (Interlocked.Increment(ref skinnySweeps) & 1) != 0;
            // Acting's dense layer (1 × 3136 · 3136 × 512) streams 6.4 MB of weights for 3.2 MFLOP: bandwidth-bound,
            // so two cores each stream half the columns.
            int threads = 2.0 * m * n * k >= SkinnyParallelMinFlops && n >= 2 * SkinnyColumnBlock
                ? Math.Min(CpuThreads.Max, n / SkinnyColumnBlock) : 1;
            if (threads <= 1)
            {
                SkinnyColumns(transA, m, 0, n, k, a, lda, b, ldb, c, ldc, accumulate, hiFirst);
                return;
            }
            nint na = (nint)a, nb = (nint)b, nc = (nint)c;
            CpuThreads.ForRanges((n + 7) / 8, threads, (b0, b1) => // whole vectors per thread
                SkinnyColumns(transA, m, b0 * 8, Math.Min(n, b1 * 8), k, (float*)na, lda, (float*)nb, ldb, (float*)nc, ldc,
                              accumulate, hiFirst));
            return;
        }

        float* arow = transA ? Buffer(k) : null;
        for (int i = 0; i < m; i++)
        {
            if (transA)
            {
                for (int p = 0; p < k; p++) arow[p] = a[(long)p * lda + i];
            }

            var ai = new ReadOnlySpan<float>(transA ? arow : a + (long)i * lda, k);
            float* ci = c + (long)i * ldc;
            for (int j = 0; j < n; j++)
            {
                float s = TP.Dot(ai, new ReadOnlySpan<float>(b + (long)j * ldb, k));
                ci[j] = accumulate ? ci[j] + s : s;
            }
        }
    }
}
