using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

/// <summary>
/// The 6×16 AVX2/FMA register micro-kernel.
/// Glossary: MR = 6 rows of C per tile, NR = 16 columns (two Vector256 of 8 floats); kc = depth of this K block;
/// ap = packed A micro-panel (kc steps of MR floats, <see cref="GemmPacking.PackA"/>); bp = packed B micro-panel
/// (kc steps of NR floats, <see cref="GemmPacking.PackB"/>); c = top-left of the C tile, ldc its row stride.
/// </summary>
/// <remarks>
/// 12 ymm accumulators + 2 B vectors + 1 broadcast A = 15 of the 16 AVX2 registers: 12 independent FMA chains
/// cover the 4-cycle FMA latency on Zen's 2 FMA pipes (needs ≥ 8 in flight), and each k step does 12 FMAs for
/// 2 vector loads + 6 broadcasts, well under the 3 loads/cycle the core can issue (BLIS Haswell sgemm uses the
/// same 6×16 shape).
/// </remarks>
internal static unsafe partial class GemmMicroKernel
{
    /// <summary>Rows of C per micro-tile.</summary>
    public const int MR = 6;

    /// <summary>Columns of C per micro-tile.</summary>
    public const int NR = 16;

    /// <summary>True when the hardware runs the 256-bit FMA kernel natively (otherwise callers use the naive kernel).</summary>
    public static bool IsSupported => Fma.IsSupported && Avx.IsSupported && Vector256.IsHardwareAccelerated;

    /// <summary>C[0..6, 0..16] (+)= ap · bp over kc steps. <paramref name="addC"/>: add to C instead of overwriting it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x16(int kc, float* ap, float* bp, float* c, int ldc, bool addC)
    {
        if (Wide)
        {
            Kernel6x16Wide(kc, ap, bp, c, ldc, addC);
            return;
        }
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int p = 0;
        // Unrolled by 2: halves the loop-control overhead per 24 FMAs.
        for (; p + 1 < kc; p += 2)
        {
            var b0 = Avx.LoadVector256(bp);
            var b1 = Avx.LoadVector256(bp + 8);
            var a = Avx.BroadcastScalarToVector256(ap);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Avx.BroadcastScalarToVector256(ap + 1);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Avx.BroadcastScalarToVector256(ap + 2);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Avx.BroadcastScalarToVector256(ap + 3);
            c30 = Fma.MultiplyAdd(a, b0, c30); c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Avx.BroadcastScalarToVector256(ap + 4);
            c40 = Fma.MultiplyAdd(a, b0, c40); c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Avx.BroadcastScalarToVector256(ap + 5);
            c50 = Fma.MultiplyAdd(a, b0, c50); c51 = Fma.MultiplyAdd(a, b1, c51);

            b0 = Avx.LoadVector256(bp + 16);
            b1 = Avx.LoadVector256(bp + 24);
            a = Avx.BroadcastScalarToVector256(ap + 6);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Avx.BroadcastScalarToVector256(ap + 7);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Avx.BroadcastScalarToVector256(ap + 8);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Avx.BroadcastScalarToVector256(ap + 9);
            c30 = Fma.MultiplyAdd(a, b0, c30); c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Avx.BroadcastScalarToVector256(ap + 10);
            c40 = Fma.MultiplyAdd(a, b0, c40); c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Avx.BroadcastScalarToVector256(ap + 11);
            c50 = Fma.MultiplyAdd(a, b0, c50); c51 = Fma.MultiplyAdd(a, b1, c51);
            ap += 2 * MR;
            bp += 2 * NR;
        }

        if (p < kc)
        {
            var b0 = Avx.LoadVector256(bp);
            var b1 = Avx.LoadVector256(bp + 8);
            var a = Avx.BroadcastScalarToVector256(ap);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Avx.BroadcastScalarToVector256(ap + 1);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Avx.BroadcastScalarToVector256(ap + 2);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Avx.BroadcastScalarToVector256(ap + 3);
            c30 = Fma.MultiplyAdd(a, b0, c30); c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Avx.BroadcastScalarToVector256(ap + 4);
            c40 = Fma.MultiplyAdd(a, b0, c40); c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Avx.BroadcastScalarToVector256(ap + 5);
            c50 = Fma.MultiplyAdd(a, b0, c50); c51 = Fma.MultiplyAdd(a, b1, c51);
        }

        Store(c, c00, c01, addC);
        Store(c + ldc, c10, c11, addC);
        Store(c + 2 * ldc, c20, c21, addC);
        Store(c + 3 * ldc, c30, c31, addC);
        Store(c + 4 * ldc, c40, c41, addC);
        Store(c + 5 * ldc, c50, c51, addC);
    }

    /// <summary>
    /// Full 6×16 tile reading A unpacked from six rows of a row-major matrix (row i at <paramref name="a"/> + i·lda),
    /// B from a packed panel. For narrow products (n ≤ 64, e.g. IMPALA's 16/32-channel convolutions over a
    /// 56,448 × 144 im2col matrix, Nature's 64-channel ones) each A tile is used by at most four column panels, so
    /// packing A cost a full extra read and write of A for little reuse; the six row streams are prefetched by the
    /// hardware instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Kernel6x16RowA(int kc, float* a, long lda, float* bp, float* c, int ldc, bool addC) =>
        Kernel6x16Runs(a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda, a + 5 * lda, 1, kc, 0, 1, bp, NR, c, ldc, addC);

    /// <summary>
    /// Full 6×16 tile whose A rows are each <paramref name="runs"/> runs of <paramref name="runLen"/> floats
    /// <paramref name="aStep"/> apart (run s of row i at a_i + s·runStride), B's 16 columns of runs·runLen steps
    /// <paramref name="bStep"/> apart (NR: a packed panel; a row stride: B read in place). One run is
    /// <see cref="Kernel6x16RowA"/>; a convolution's KH kernel rows, read straight from the image, are the implicit
    /// GEMM of <see cref="Conv2dImplicit"/>; six taps over an image's output rows (A stepping from pixel to pixel) are
    /// the direct weight gradient's tile (<see cref="Conv2dDirectWeightGrad"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x16Runs(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, int runs,
                                      int runLen, long runStride, nint aStep, float* bp, nint bStep, float* c, int ldc,
                                      bool addC)
    {
        if (Wide)
        {
            Kernel6x16RunsWide(a0, a1, a2, a3, a4, a5, runs, runLen, runStride, aStep, bp, bStep, c, ldc, addC);
            return;
        }
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int s = 0; s < runs; s++)
        {
            nint o = 0;
            for (int p = 0; p < runLen; p++, o += aStep, bp += bStep)
            {
                var b0 = Avx.LoadVector256(bp);
                var b1 = Avx.LoadVector256(bp + 8);
                var x = Avx.BroadcastScalarToVector256(a0 + o);
                c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
                x = Avx.BroadcastScalarToVector256(a1 + o);
                c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
                x = Avx.BroadcastScalarToVector256(a2 + o);
                c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
                x = Avx.BroadcastScalarToVector256(a3 + o);
                c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
                x = Avx.BroadcastScalarToVector256(a4 + o);
                c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
                x = Avx.BroadcastScalarToVector256(a5 + o);
                c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            }
            a0 += runStride; a1 += runStride; a2 += runStride; a3 += runStride; a4 += runStride; a5 += runStride;
        }

        Store(c, c00, c01, addC);
        Store(c + ldc, c10, c11, addC);
        Store(c + 2 * ldc, c20, c21, addC);
        Store(c + 3 * ldc, c30, c31, addC);
        Store(c + 4 * ldc, c40, c41, addC);
        Store(c + 5 * ldc, c50, c51, addC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> lo, Vector256<float> hi, bool addC)
    {
        if (addC)
        {
            lo = Avx.Add(lo, Avx.LoadVector256(row));
            hi = Avx.Add(hi, Avx.LoadVector256(row + 8));
        }

        Avx.Store(row, lo);
        Avx.Store(row + 8, hi);
    }

    /// <summary>
    /// Partial tile (mr ≤ 6 rows, nr ≤ 16 columns valid): the packed panels are zero-padded to the full tile, so the
    /// full kernel runs into a stack tile and only the valid part reaches C.
    /// </summary>
    public static void KernelEdge(int kc, float* ap, float* bp, float* c, int ldc, int mr, int nr, bool addC)
    {
        float* tile = stackalloc float[MR * NR];
        // Narrow or short edges run a half-size kernel: at m = 32 (the DQN Linear at batch 32) the last 2-row tile
        // costs half a full tile instead of a whole one, and n = 18 action heads pay half for their 2 extra columns.
        if (nr <= NR / 2) Kernel6x8(kc, ap, bp, tile);
        else if (mr <= MR / 2) Kernel3x16(kc, ap, bp, tile);
        else Kernel6x16(kc, ap, bp, tile, NR, addC: false);
        for (int i = 0; i < mr; i++)
        {
            float* src = tile + i * NR;
            float* dst = c + (long)i * ldc;
            if (addC)
            {
                for (int j = 0; j < nr; j++) dst[j] += src[j];
            }
            else
            {
                for (int j = 0; j < nr; j++) dst[j] = src[j];
            }
        }
    }

    /// <summary>Rows 0..3 of a tile (rows 3..6 of the packed panel are ignored), written to a stack tile of stride NR.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel3x16(int kc, float* ap, float* bp, float* tile)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        for (int p = 0; p < kc; p++, ap += MR, bp += NR)
        {
            var b0 = Avx.LoadVector256(bp);
            var b1 = Avx.LoadVector256(bp + 8);
            var a = Avx.BroadcastScalarToVector256(ap);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Avx.BroadcastScalarToVector256(ap + 1);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Avx.BroadcastScalarToVector256(ap + 2);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
        }

        Store(tile, c00, c01, false);
        Store(tile + NR, c10, c11, false);
        Store(tile + 2 * NR, c20, c21, false);
    }

    /// <summary>Columns 0..8 of a tile (columns 8..16 of the packed panel are ignored), written to a stack tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x8(int kc, float* ap, float* bp, float* tile)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int p = 0; p < kc; p++, ap += MR, bp += NR)
        {
            var b0 = Avx.LoadVector256(bp);
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ap), b0, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ap + 1), b0, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ap + 2), b0, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ap + 3), b0, c3);
            c4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ap + 4), b0, c4);
            c5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(ap + 5), b0, c5);
        }

        Avx.Store(tile, c0);
        Avx.Store(tile + NR, c1);
        Avx.Store(tile + 2 * NR, c2);
        Avx.Store(tile + 3 * NR, c3);
        Avx.Store(tile + 4 * NR, c4);
        Avx.Store(tile + 5 * NR, c5);
    }

    /// <summary>
    /// C[0..rows, 0..n] (+)= A[0..rows, 0..k] · B[0..k, 0..n] for rows ≤ 4 and 8 &lt; n ≤ 24, A and B row-major and read
    /// in place: per depth step three B vectors (columns 0..8, 8..16 and n−8..n, which may overlap the second) and a
    /// broadcast per row, twelve accumulators for the whole depth. Missing rows repeat row 0 (results discarded).
    /// </summary>
    public static void KernelNarrow(float* a, int lda, int rows, float* b, int ldb, int n, int k, float* c, int ldc,
                                    bool accumulate)
    {
        float* a0 = a, a1 = rows > 1 ? a + lda : a, a2 = rows > 2 ? a + 2L * lda : a, a3 = rows > 3 ? a + 3L * lda : a;
        int last = n - 8;
        Vector256<float> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default;
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Vector256.Load(bp);
            var b1 = n >= 16 ? Vector256.Load(bp + 8) : default;
            var b2 = Vector256.Load(bp + last);
            var x = Vector256.Create(a0[p]);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01); c02 = Fma.MultiplyAdd(x, b2, c02);
            x = Vector256.Create(a1[p]);
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11); c12 = Fma.MultiplyAdd(x, b2, c12);
            x = Vector256.Create(a2[p]);
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21); c22 = Fma.MultiplyAdd(x, b2, c22);
            x = Vector256.Create(a3[p]);
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31); c32 = Fma.MultiplyAdd(x, b2, c32);
        }
        Span<float> row = stackalloc float[24];
        for (int r = 0; r < rows; r++)
        {
            var (v0, v1, v2) = r switch { 0 => (c00, c01, c02), 1 => (c10, c11, c12), 2 => (c20, c21, c22), _ => (c30, c31, c32) };
            v0.CopyTo(row);
            if (n >= 16) v1.CopyTo(row[8..]);
            v2.CopyTo(row[last..]); // lanes already stored by v0/v1 get the same sums again
            float* cr = c + (long)r * ldc;
            for (int j = 0; j < n; j++) cr[j] = accumulate ? cr[j] + row[j] : row[j];
        }
    }
}
