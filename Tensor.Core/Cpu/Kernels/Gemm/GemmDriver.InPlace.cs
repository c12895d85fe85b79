namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

internal static unsafe partial class GemmDriver
{
    /// <summary>Largest A (m·k) and B (k·n) read in place: 256 KiB each, well inside one core's L2.</summary>
    public const int InPlaceMaxFloats = 1 << 16;

    /// <summary>Most rows of C for the in-place path: beyond this many row tiles, packing B once pays for itself.</summary>
    public const int InPlaceMaxM = 64;

    /// <summary>
    /// Small products with an untransposed B of whole 16-column panels, on the 512-bit tile: a Soft MoE expert layer
    /// (32 × 64 · 64 × 512 and 32 × 512 · 512 × 64, sixteen of them per forward) packed its whole B and A for about two
    /// MFLOP of work each.
    /// </summary>
    private static bool InPlacePays(bool transB, int m, int n, int k) =>
        GemmMicroKernel.Wide && !transB && n % NR == 0 && n <= DirectAMaxN && m <= InPlaceMaxM && (long)k * n <= InPlaceMaxFloats &&
        (long)m * k <= InPlaceMaxFloats;

    /// <summary>
    /// C (+)= op(A) · B with both operands read where they are: a B panel's 16 columns at each depth step are contiguous
    /// in row-major B (step ldb), and op(A)'s rows are A's rows (step 1) or, transposed, its columns (step lda). Threads
    /// take contiguous ranges of column panels; each sweeps all row tiles over its panel while the panel is in L1.
    /// </summary>
    private static void InPlace(bool transA, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc,
                                bool accumulate)
    {
        int panels = n / NR;
        nint aRow = transA ? 1 : lda, aStep = transA ? lda : 1;
        int threads = 2.0 * m * n * k >= ParallelMinFlops ? Math.Min(CpuThreads.Max, panels) : 1;
        nint na = (nint)a, nb = (nint)b, nc = (nint)c;
        CpuThreads.ForRanges(panels, threads, (p0, p1) =>
        {
            for (int jp = p0; jp < p1; jp++)
            {
                float* bj = (float*)nb + jp * NR, cj = (float*)nc + jp * NR;
                int i = 0;
                for (; i + MR <= m; i += MR)
                    WideTile.Product<SixTileRows>((float*)na + i * aRow, aRow, aStep, bj, ldb, k, cj + (long)i * ldc, ldc, accumulate);
                float* ai = (float*)na + i * aRow, ci = cj + (long)i * ldc;
                switch (m - i)
                {
                    case 1: WideTile.Product<OneTileRow>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate); break;
                    case 2: WideTile.Product<TwoTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate); break;
                    case 3: WideTile.Product<ThreeTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate); break;
                    case 4: WideTile.Product<FourTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate); break;
                    case 5: WideTile.Product<FiveTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate); break;
                }
            }
        });
    }
}
