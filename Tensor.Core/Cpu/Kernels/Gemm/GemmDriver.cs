using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

/// <summary>
/// Cache-blocked, optionally multi-threaded SGEMM driver: C[m×n] (+)= op(A)[m×k] · op(B)[k×n], all row-major.
/// Glossary: m, n, k problem sizes; lda/ldb/ldc row strides of the stored matrices; MC×KC the packed A block
/// (L2-resident), KC×NC the packed B block (L3-resident), its KC×NR micro-panel (L1-resident); MR×NR the micro-tile;
/// ic/pc/jc block origins along m/k/n, ir/jr micro-tile origins inside a block.
/// </summary>
/// <remarks>
/// Loop order is the GotoBLAS/BLIS five-loop nest (Goto &amp; van de Geijn 2008, "Anatomy of High-Performance
/// Matrix Multiplication"): jc → pc (pack B) → ic (pack A) → jr → ir → micro-kernel. Sizes for a Zen3-class core
/// (32–64 KiB L1d, 512 KiB–2 MiB L2, AVX2+FMA): a KC=256 B micro-panel is 16 KiB (fits L1 next to the A stream),
/// an MC×KC = 168×256 A block is 168 KiB (well inside L2), NC = 4080 keeps a B block at ≤ 4 MiB of the shared L3.
/// These are BLIS's Haswell sgemm block sizes, which are also the ones it uses on Zen.
/// </remarks>
internal static unsafe partial class GemmDriver
{
    /// <summary>A-block rows (multiple of MR).</summary>
    public const int MC = 168;

    /// <summary>Depth of one packed block.</summary>
    public const int KC = 256;

    /// <summary>B-block columns (multiple of NR).</summary>
    public const int NC = 4080;

    /// <summary>
    /// Problems below this many FLOPs (2mnk) stay on the calling thread: ≈ 2 MFLOP is ~15 µs on one core, where the
    /// ~1 µs fork onto a spinning resident worker (<see cref="CpuWorkers"/>) stops mattering. Batch-1 acting forks its
    /// convs (3.6–6.5 MFLOP each for Nature-DQN); its m = 1 dense layer goes through the skinny path.
    /// </summary>
    public const double ParallelMinFlops = 2e6;

    /// <summary>m at or below which the skinny (GEMV-like) path runs: packing B would cost as much as the math.</summary>
    public const int SkinnyMaxM = 4;

    private const int MR = GemmMicroKernel.MR;
    private const int NR = GemmMicroKernel.NR;

    // One pinned, reused packing buffer per thread (no per-call large allocation); grows to the largest request.
    [ThreadStatic] private static float[]? packBuffer;

    /// <summary>
    /// Runs the product, then <paramref name="epilogue"/> (bias, ReLU) on C; m, n, k &gt; 0 and pointers pinned by the
    /// caller. The blocked and in-place paths apply the epilogue tile by tile as each tile is finished; the few-row,
    /// narrow and swapped paths, whose C is small, after the product.
    /// </summary>
    public static void Run(bool transA, bool transB, int m, int n, int k, float* a, int lda, float* b, int ldb,
                           float* c, int ldc, bool accumulate, GemmEpilogue epilogue = default)
    {
        if (!transA && !transB && n > 8 && n <= 24 && n != NR && n * 4 <= k)
        {
            NarrowColumns(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            epilogue.Apply(c, ldc, m, n);
            return;
        }
        if (m <= SkinnyMaxM)
        {
            Skinny(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            epilogue.Apply(c, ldc, m, n);
            return;
        }
        if (InPlacePays(transA, transB, m, n, k))
        {
            InPlace(transA, m, n, k, a, lda, b, ldb, c, ldc, accumulate, epilogue);
            return;
        }
        if (!transA && transB && m <= DirectAMaxN && n >= SwapMinRatio * m && k >= SwapMinK)
        {
            Swapped(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            epilogue.Apply(c, ldc, m, n);
            return;
        }

        int threads = 2.0 * m * n * k >= ParallelMinFlops ? CpuThreads.Max : 1;
        // Split the larger of m and n: each thread packs its own slice of one operand and all of the other, so the
        // duplicated packing is of the smaller operand.
        int nUnits = (n + NR - 1) / NR, mUnits = (m + MR - 1) / MR;
        bool splitN = nUnits >= mUnits;
        threads = Math.Min(threads, splitN ? nUnits : mUnits);
        if (threads <= 1)
        {
            Blocked(transA, transB, 0, m, 0, n, k, a, lda, b, ldb, c, ldc, accumulate, epilogue);
            return;
        }

        int chunk = ((splitN ? nUnits : mUnits) + threads - 1) / threads * (splitN ? NR : MR);
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c;
        CpuWorkers.Run(threads, t =>
        {
            int lo = t * chunk;
            int hi = Math.Min((splitN ? n : m), lo + chunk);
            if (lo >= hi) return;
            float* fa = (float*)pa, fb = (float*)pb, fc = (float*)pc;
            if (splitN) Blocked(transA, transB, 0, m, lo, hi, k, fa, lda, fb, ldb, fc, ldc, accumulate, epilogue);
            else Blocked(transA, transB, lo, hi, 0, n, k, fa, lda, fb, ldb, fc, ldc, accumulate, epilogue);
        });
    }

    /// <summary>n / m from which a few-row A·Bᵀ is computed as (B·Aᵀ)ᵀ (see <see cref="Swapped"/>).</summary>
    public const int SwapMinRatio = 8;

    /// <summary>
    /// Depth from which <see cref="Swapped"/> is taken: its transpose and copy of the [m × n] result only pay against a
    /// deep product. profile gemm, 2 threads: a Soft MoE expert's dX (32 × 64 · (512 × 64)ᵀ) 0.043 ms swapped against
    /// 0.012 direct; the dense layers' dX (k = 512) 0.480 / 0.574 ms swapped against 0.485 / 0.597.
    /// </summary>
    public const int SwapMinK = 256;

    /// <summary>
    /// C (+)= A·Bᵀ for few rows (m ≤ <see cref="DirectAMaxN"/>) and many columns, as Cᵀ = B·Aᵀ then a transpose.
    /// </summary>
    /// <remarks>
    /// The input gradient of a wide dense layer (dX [32 × 3136] = dY · Wᵀ, W [3136 × 512]) packed all of W transposed
    /// for 32 rows of work and ran at ~140 GFLOP/s. As B·Aᵀ, W is the untransposed A read in place by the unpacked-A
    /// path, the packed operand is the 64 KiB dYᵀ, and M = 3136 splits evenly across threads; the transpose of the
    /// [n × m] result is n·m floats, small beside the n·m·k product.
    /// </remarks>
    private static void Swapped(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc,
                                bool accumulate)
    {
        float[] t = System.Buffers.ArrayPool<float>.Shared.Rent(2 * n * m);
        fixed (float* pt = t)
        {
            Run(false, true, n, m, k, b, ldb, a, lda, pt, m, accumulate: false); // Cᵀ [n × m]
            float* ct = pt + n * m;
            MovementKernels.Transpose2D(new Span<float>(ct, m * n), new ReadOnlySpan<float>(pt, n * m), n, m);
            for (int i = 0; i < m; i++)
            {
                var row = new Span<float>(c + (long)i * ldc, n);
                var src = new ReadOnlySpan<float>(ct + (long)i * n, n);
                if (accumulate) TP.Add(row, src, row);
                else src.CopyTo(row);
            }
        }
        System.Buffers.ArrayPool<float>.Shared.Return(t);
    }

    /// <summary>
    /// The five-loop nest over rows [i0, i1) and columns [j0, j1) of C, on the calling thread; the epilogue runs on
    /// each tile of the last depth block right after it is computed.
    /// </summary>
    private static void Blocked(bool transA, bool transB, int i0, int i1, int j0, int j1, int k,
                                float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate,
                                GemmEpilogue epilogue)
    {
        // Balanced block sizes: k = 257 as 2×129 rather than 256 + 1 keeps every block deep enough to amortise.
        int kc0 = Balanced(k, KC, 1);
        int mc0 = Balanced(i1 - i0, MC, MR);
        int ncMax = Math.Min(NC, RoundUp(j1 - j0, NR));
        float* packA = Buffer(RoundUp(mc0 * kc0, 16) + ncMax * kc0);
        float* packB = packA + RoundUp(mc0 * kc0, 16);

        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += kc0)
            {
                int kc = Math.Min(kc0, k - pc);
                bool addC = accumulate || pc > 0;
                var ep = pc + kc >= k ? epilogue : default; // the bias and ReLU follow the whole sum
                if (i1 - i0 <= mc0)
                {
                    // One row block (small m, e.g. the DQN's 32-row dense layers): each packed B panel is used by
                    // a single pass over the rows, so pack it panel by panel into an L1-sized buffer right before
                    // use instead of writing (and re-reading) a kc×nc block that spills out of L2.
                    GemmPacking.PackA(transA, a, lda, i0, pc, i1 - i0, kc, packA);
                    for (int jr = 0; jr < nc; jr += ColumnStep)
                    {
                        int nr = Math.Min(ColumnStep, nc - jr);
                        GemmPacking.PackB(transB, b, ldb, pc, jc + jr, kc, nr, packB);
                        for (int ir = 0; ir < i1 - i0; ir += MR)
                        {
                            float* ct = c + (long)(i0 + ir) * ldc + jc + jr;
                            int mr = Math.Min(MR, i1 - i0 - ir);
                            Tile(kc, packA + (long)ir * kc, packB, ct, ldc, mr, nr, addC);
                            ep.At(jc + jr).Apply(ct, ldc, mr, nr);
                        }
                    }
                    continue;
                }
                GemmPacking.PackB(transB, b, ldb, pc, jc, kc, nc, packB);
                if (!transA && nc <= DirectAMaxN)
                {
                    DirectA(i0, i1, nc, kc, a + pc, lda, packB, packA, c + jc, ldc, addC, ep.At(jc));
                    continue;
                }
                for (int ic = i0; ic < i1; ic += mc0)
                {
                    int mc = Math.Min(mc0, i1 - ic);
                    GemmPacking.PackA(transA, a, lda, ic, pc, mc, kc, packA);
                    for (int jr = 0; jr < nc; jr += ColumnStep)
                    {
                        int nr = Math.Min(ColumnStep, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            float* ct = c + (long)(ic + ir) * ldc + jc + jr;
                            int mr = Math.Min(MR, mc - ir);
                            Tile(kc, packA + (long)ir * kc, packB + (long)jr * kc, ct, ldc, mr, nr, addC);
                            ep.At(jc + jr).Apply(ct, ldc, mr, nr);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Columns per step of the blocked loops: two packed panels with the 512-bit kernels
    /// (<see cref="GemmMicroKernel.Kernel6x32Wide"/>), one otherwise.
    /// </summary>
    private static int ColumnStep => GemmMicroKernel.Wide ? 2 * NR : NR;

    /// <summary>
    /// C[0..mr, 0..nr] (+)= packed A panel · packed B panels (consecutive, kc·NR floats apart), mr ≤ MR, nr ≤
    /// <see cref="ColumnStep"/>: one 6×32 tile when both panels and all rows are full, else panel by panel.
    /// </summary>
    private static void Tile(int kc, float* ap, float* bp, float* cp, int ldc, int mr, int nr, bool addC)
    {
        if (mr == MR && nr == 2 * NR)
        {
            GemmMicroKernel.Kernel6x32Wide(kc, ap, bp, cp, ldc, addC);
            return;
        }
        for (int j = 0; j < nr; j += NR)
        {
            int w = Math.Min(NR, nr - j);
            if (mr == MR && w == NR) GemmMicroKernel.Kernel6x16(kc, ap, bp + (long)j * kc, cp + j, ldc, addC);
            else GemmMicroKernel.KernelEdge(kc, ap, bp + (long)j * kc, cp + j, ldc, mr, w, addC);
        }
    }

    /// <summary>
    /// Widest column range (≤ 4 panels) for which A is read unpacked; see <see cref="GemmMicroKernel.Kernel6x16RowA"/>.
    /// Four panels: at Nature conv 2/3's n = 64 the six A rows stay in L1 across the panels, and skipping the A pack
    /// took their forward GEMMs from 182/178 to 234/224 GFLOP/s (2 threads).
    /// </summary>
    public const int DirectAMaxN = 4 * NR;

    // Rows i0..i1 of C[:, 0..nc) += A[i0..i1, 0..kc) · packed B, A row-major at a (already offset to column pc) with
    // stride lda. Full tiles read A in place; a short last row tile is packed alone and runs the edge kernel. The
    // epilogue (the default one unless this is the last depth block) runs on each row tile once its columns are done.
    private static void DirectA(int i0, int i1, int nc, int kc, float* a, int lda, float* packB, float* packA,
                                float* c, int ldc, bool addC, GemmEpilogue epilogue)
    {
        for (int ir = i0; ir < i1; ir += MR)
        {
            int mr = Math.Min(MR, i1 - ir);
            if (mr < MR) GemmPacking.PackA(false, a, lda, ir, 0, mr, kc, packA);
            for (int jr = 0; jr < nc; jr += NR)
            {
                int nr = Math.Min(NR, nc - jr);
                float* bp = packB + (long)jr * kc;
                float* cp = c + (long)ir * ldc + jr;
                if (mr == MR && GemmMicroKernel.Wide && nc - jr >= 2 * NR)
                {
                    WideTile.Product2<SixTileRows>(a + (long)ir * lda, lda, 1, bp, (nint)kc * NR, NR, kc, cp, ldc, addC);
                    jr += NR; // both panels done
                }
                else if (mr == MR && nr == NR)
                    GemmMicroKernel.Kernel6x16RowA(kc, a + (long)ir * lda, lda, bp, cp, ldc, addC);
                else if (mr == MR)
                {
                    GemmPacking.PackA(false, a, lda, ir, 0, MR, kc, packA);
                    GemmMicroKernel.KernelEdge(kc, packA, bp, cp, ldc, mr, nr, addC);
                }
                else
                    GemmMicroKernel.KernelEdge(kc, packA, bp, cp, ldc, mr, nr, addC);
            }
            epilogue.Apply(c + (long)ir * ldc, ldc, mr, nc);
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>Splits total into ceil(total/max) equal blocks, rounded up to a multiple of <paramref name="unit"/>.</summary>
    private static int Balanced(int total, int max, int unit)
    {
        int blocks = (total + max - 1) / max;
        return Math.Min(max, RoundUp((total + blocks - 1) / blocks, unit));
    }

    /// <summary>This thread's packing buffer of at least <paramref name="floats"/> floats, 64-byte aligned.</summary>
    private static float* Buffer(int floats)
    {
        var buf = packBuffer;
        if (buf is null || buf.Length < floats + 16)
        {
            // Pinned object heap: the address is stable, so the raw pointer below stays valid for the array's life.
            buf = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            packBuffer = buf;
        }

        var p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buf));
        return (float*)((p + 63) & ~(nint)63);
    }
}
