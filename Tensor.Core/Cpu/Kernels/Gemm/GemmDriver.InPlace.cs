namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

internal static unsafe partial class GemmDriver
{
    /// <summary>Largest A (m·k) and B panel pair (k·32) read in place: 256 KiB each, well inside one core's L2.</summary>
    public const int InPlaceMaxFloats = 1 << 16;

    /// <summary>Most rows of C for the in-place path over several panel pairs: beyond this many row tiles, packing B
    /// once pays for itself.</summary>
    public const int InPlaceMaxM = 64;

    /// <summary>
    /// Products with an untransposed B of whole 16-column panels, where packing costs as much as the math (512-bit tiles,
    /// or the 256-bit runs kernel). Each panel pair (k × 32, at most <see cref="InPlaceMaxFloats"/>) stays in L2 while the row tiles sweep it.
    /// <list type="bullet">
    /// <item>One pair (n ≤ 32): A is read once whatever its size. MinAtar's Soft MoE products with 16 columns (Dᵀ·X and
    /// C·Ỹ per image, 100 × 100 · 100 × 16; the experts' Hᵀ·dY, 512 × 800 · 800 × 16) packed A, transposed for Dᵀ and
    /// Hᵀ, for 16 columns of work (Hᵀ·dY 0.182 → 0.130 ms, a product per image 0.003–0.004 → 0.002 ms, profile gemm).</item>
    /// <item>Small A (≤ 64 rows, <see cref="InPlaceMaxFloats"/>) and B: a Soft MoE expert layer (32 × 64 · 64 × 512 and
    /// 32 × 512 · 512 × 64, sixteen of them per forward) packed its whole B and A for about two MFLOP of work each.</item>
    /// <item>Transposed A of at most three row tiles: MinAtar's expert weight gradient Xᵀ·dPre (16 × 800 · 800 × 512,
    /// 0.130 → 0.107 ms). With more row tiles the rereads of each pair cost more than packing B: B's rows are often a
    /// power of two floats apart and share few L1 sets (MinAtar's dense 32 × 1600 · 1600 × 512: 0.45 → 0.56 ms). The
    /// same product as (Bᵀ·Aᵀ)ᵀ, B's columns read in place against a copied Aᵀ, ran 0.35 ms against 0.43 in profile gemm
    /// (hot caches) but made the DQN update's target forward slower, 0.60 against 0.50 ms (its weights come cold from
    /// L3): packing B stays.</item>
    /// </list>
    /// </summary>
    private static bool InPlacePays(bool transA, bool transB, int m, int n, int k) =>
        !transB && n % NR == 0 && (long)k * 2 * NR <= InPlaceMaxFloats &&
        (n <= 2 * NR ||
         (m <= InPlaceMaxM && (long)m * k <= InPlaceMaxFloats &&
          ((n <= DirectAMaxN && (long)k * n <= InPlaceMaxFloats) || (transA && m <= 3 * MR))));

    /// <summary>
    /// C (+)= op(A) · B with both operands read where they are: a B panel's 16 columns at each depth step are contiguous
    /// in row-major B (step ldb), and op(A)'s rows are A's rows (step 1) or, transposed, its columns (step lda). Threads
    /// take contiguous ranges of panel pairs, each sweeping all row tiles over its pair while it is in L1; with fewer
    /// pairs than threads (n ≤ 32: one pair) each pair's row tiles are split among them too.
    /// </summary>
    private static void InPlace(bool transA, int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc,
                                bool accumulate, GemmEpilogue epilogue)
    {
        int panels = n / NR, units = (panels + 1) / 2; // pairs of panels (WideTile.Product2), a last single one
        nint aRow = transA ? 1 : lda, aStep = transA ? lda : 1;
        int tiles = (m + MR - 1) / MR;
        int threads = 2.0 * m * n * k >= ParallelMinFlops ? Math.Min(CpuThreads.Max, units * tiles) : 1;
        int rowParts = Math.Min(tiles, Math.Max(1, threads / units)), partTiles = (tiles + rowParts - 1) / rowParts;
        nint na = (nint)a, nb = (nint)b, nc = (nint)c;
        CpuThreads.ForRanges(units * rowParts, threads, (w0, w1) =>
        {
            for (int work = w0; work < w1; work++)
            {
                int u = work / rowParts, part = work % rowParts;
                float* bj = (float*)nb + u * 2 * NR, cj = (float*)nc + u * 2 * NR;
                bool pair = 2 * u + 1 < panels;
                for (int i = part * partTiles * MR; i < Math.Min(m, (part + 1) * partTiles * MR); i += MR)
                {
                    float* ai = (float*)na + i * aRow, ci = cj + (long)i * ldc;
                    int rows = Math.Min(MR, m - i);
                    switch (rows)
                    {
                        case 1: RowTile<OneTileRow>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 2: RowTile<TwoTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 3: RowTile<ThreeTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 4: RowTile<FourTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        case 5: RowTile<FiveTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                        default: RowTile<SixTileRows>(ai, aRow, aStep, bj, ldb, k, ci, ldc, accumulate, pair); break;
                    }
                    epilogue.At(u * 2 * NR).Apply(ci, ldc, rows, pair ? 2 * NR : NR);
                }
            }
        });
    }

    private static void RowTile<TRows>(float* a, nint aRow, nint aStep, float* b, nint ldb, int k, float* c, nint ldc,
                                       bool accumulate, bool pair) where TRows : ITileRows
    {
        if (!GemmMicroKernel.Wide)
        {
            // 256 bits: the runs kernel reads B in place the same way (16 columns per depth step, bStep = ldb), six A
            // rows as one run each; missing rows repeat row 0 and stay in its stack tile.
            int rows = TRows.Count;
            float* Row(int r) => r < rows ? a + r * aRow : a;
            GemmMicroKernel.RunsRows(a, Row(1), Row(2), Row(3), Row(4), Row(5), 1, k, 0, aStep, b, ldb, pair ? 2 * NR : NR,
                                     c, (int)ldc, rows, accumulate);
            return;
        }
        if (pair) WideTile.Product2<TRows>(a, aRow, aStep, b, NR, ldb, k, c, ldc, accumulate);
        else WideTile.Product<TRows>(a, aRow, aStep, b, ldb, k, c, ldc, accumulate);
    }
}
