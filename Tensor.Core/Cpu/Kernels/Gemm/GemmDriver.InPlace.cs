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
    /// take contiguous ranges of panel pairs; each sweeps all row tiles over its pair while it is in L1.
    /// </summary>
    private static void InPlace(bool transA, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc,
                                bool accumulate)
    {
        int panels = n / NR, units = (panels + 1) / 2; // pairs of panels (WideTile.Product2), a last single one
        nint aRow = transA ? 1 : lda, aStep = transA ? lda : 1;
        int threads = 2.0 * m * n * k >= ParallelMinFlops ? Math.Min(CpuThreads.Max, units) : 1;
        nint na = (nint)a, nb = (nint)b, nc = (nint)c;
        CpuThreads.ForRanges(units, threads, (u0, u1) =>
        {
            for (int u = u0; u < u1; u++)
            {
                float* bj = (float*)nb + u * 2 * NR, cj = (float*)nc + u * 2 * NR;
                bool pair = 2 * u + 1 < panels;
                for (int i = 0; i < m; i += MR)
                {
                    float* ai = (float*)na + i * aRow, ci = cj + (long)i * ldc;
                    switch (Math.Min(MR, m - i))
                    {
                        case 1: RowTile<OneTileRow>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 2: RowTile<TwoTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 3: RowTile<ThreeTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 4: RowTile<FourTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 5: RowTile<FiveTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        default: RowTile<SixTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                    }
                }
            }
        });
    }

    private static void RowTile<TRows>(float* a, nint aRow, nint aStep, float* b, nint ldb, int k, float* c, nint ldc,
                                       bool accumulate, bool pair) where TRows : ITileRows
    {
        if (pair) WideTile.Product2<TRows>(a, aRow, aStep, b, NR, ldb, k, c, ldc, accumulate);
        else WideTile.Product<TRows>(a, aRow, aStep, b, ldb, k, c, ldc, accumulate);
    }
}
