using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

/// <summary>
/// The same tiles with 512-bit vectors, for cores that run AVX-512 at full width (Zen 5 runs two 512-bit FMAs per
/// cycle: a register-only loop measured 266 GFLOP/s on one core against 133 with Vector256).
/// </summary>
/// <remarks>
/// The packed layout is unchanged (a B step of one panel is 16 floats, one zmm), so packing, edges and callers stay as
/// they are. Where two panels are at hand the 6×32 tiles (<see cref="Kernel6x32Wide"/>, <see cref="Kernel6x32RunsWide"/>,
/// <see cref="WideTile.Product2{TRows}"/>) keep twelve accumulators with 2 loads and 6 broadcasts per 12 FMAs: sgemm
/// 1024³ 460 GFLOP/s on 2 threads against 372 with the one-panel tile. A single panel (6×16) splits the depth into even
/// and odd steps instead, to reach the 8 independent chains that two FMA pipes of 4-cycle latency need.
/// </remarks>
internal static unsafe partial class GemmMicroKernel
{
    /// <summary>
    /// Whether the 512-bit kernels run: AVX-512F present and accelerated by the runtime, unless the environment
    /// variable <c>MOESCRATCH_AVX512=0</c> turns them off for the process (results differ from the 256-bit kernels by
    /// rounding only, e.g. where a one-panel tile splits the depth into even and odd steps). Tests switch it to reach
    /// both paths.
    /// </summary>
    internal static bool Wide = WideSupported && Environment.GetEnvironmentVariable("MOESCRATCH_AVX512") != "0";

    /// <summary>True when this machine can run the 512-bit kernels.</summary>
    public static bool WideSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16Wide(int kc, float* ap, float* bp, float* c, int ldc, bool addC) =>
        WideTile.Product<SixTileRows>(ap, 1, MR, bp, NR, kc, c, ldc, addC);

    /// <summary>
    /// A full 6×32 tile from two consecutive packed B panels (the second <paramref name="kc"/>·NR floats after the
    /// first), C columns 0..32; only with <see cref="Wide"/> (<see cref="WideTile.Product2{TRows}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x32Wide(int kc, float* ap, float* bp, float* c, int ldc, bool addC) =>
        WideTile.Product2<SixTileRows>(ap, 1, MR, bp, (nint)kc * NR, NR, kc, c, ldc, addC);

    /// <summary><see cref="Kernel6x16Runs"/> with 512-bit rows; even and odd steps of each run accumulate apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16RunsWide(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, int runs,
                                           int runLen, long runStride, nint aStep, float* bp, nint bStep, float* c,
                                           int ldc, bool addC)
    {
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default;
        for (int s = 0; s < runs; s++)
        {
            int p = 0;
            nint o = 0;
            for (; p + 1 < runLen; p += 2, o += 2 * aStep, bp += 2 * bStep)
            {
                var b0 = Vector512.Load(bp);
                var b1 = Vector512.Load(bp + bStep);
                e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[o]), b0, e0);
                e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[o]), b0, e1);
                e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[o]), b0, e2);
                e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[o]), b0, e3);
                e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[o]), b0, e4);
                e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a5[o]), b0, e5);
                o0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[o + aStep]), b1, o0);
                o1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[o + aStep]), b1, o1);
                o2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[o + aStep]), b1, o2);
                o3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[o + aStep]), b1, o3);
                o4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[o + aStep]), b1, o4);
                o5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a5[o + aStep]), b1, o5);
            }

            if (p < runLen)
            {
                var b0 = Vector512.Load(bp);
                e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[o]), b0, e0);
                e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[o]), b0, e1);
                e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[o]), b0, e2);
                e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[o]), b0, e3);
                e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[o]), b0, e4);
                e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a5[o]), b0, e5);
                bp += bStep;
            }
            a0 += runStride; a1 += runStride; a2 += runStride; a3 += runStride; a4 += runStride; a5 += runStride;
        }

        WideTile.Store(c, e0 + o0, addC);
        WideTile.Store(c + ldc, e1 + o1, addC);
        WideTile.Store(c + 2 * ldc, e2 + o2, addC);
        WideTile.Store(c + 3 * ldc, e3 + o3, addC);
        WideTile.Store(c + 4 * ldc, e4 + o4, addC);
        WideTile.Store(c + 5 * ldc, e5 + o5, addC);
    }

    /// <summary>
    /// <see cref="Kernel6x16Runs"/> over two adjacent 16-column panels of B (the second 16 floats after the first at
    /// every step), C columns 0..32: twelve accumulators without splitting the depth (see
    /// <see cref="WideTile.Product2{TRows}"/>). Only with <see cref="Wide"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x32RunsWide(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, int runs,
                                          int runLen, long runStride, nint aStep, float* bp, nint bStep, float* c,
                                          int ldc, bool addC)
    {
        Vector512<float> l0 = default, l1 = default, l2 = default, l3 = default, l4 = default, l5 = default;
        Vector512<float> h0 = default, h1 = default, h2 = default, h3 = default, h4 = default, h5 = default;
        for (int s = 0; s < runs; s++)
        {
            nint o = 0;
            for (int p = 0; p < runLen; p++, o += aStep, bp += bStep)
            {
                var bl = Vector512.Load(bp);
                var bh = Vector512.Load(bp + 16);
                var x = Vector512.Create(a0[o]);
                l0 = Avx512F.FusedMultiplyAdd(x, bl, l0); h0 = Avx512F.FusedMultiplyAdd(x, bh, h0);
                x = Vector512.Create(a1[o]);
                l1 = Avx512F.FusedMultiplyAdd(x, bl, l1); h1 = Avx512F.FusedMultiplyAdd(x, bh, h1);
                x = Vector512.Create(a2[o]);
                l2 = Avx512F.FusedMultiplyAdd(x, bl, l2); h2 = Avx512F.FusedMultiplyAdd(x, bh, h2);
                x = Vector512.Create(a3[o]);
                l3 = Avx512F.FusedMultiplyAdd(x, bl, l3); h3 = Avx512F.FusedMultiplyAdd(x, bh, h3);
                x = Vector512.Create(a4[o]);
                l4 = Avx512F.FusedMultiplyAdd(x, bl, l4); h4 = Avx512F.FusedMultiplyAdd(x, bh, h4);
                x = Vector512.Create(a5[o]);
                l5 = Avx512F.FusedMultiplyAdd(x, bl, l5); h5 = Avx512F.FusedMultiplyAdd(x, bh, h5);
            }
            a0 += runStride; a1 += runStride; a2 += runStride; a3 += runStride; a4 += runStride; a5 += runStride;
        }

        WideTile.Store(c, l0, addC); WideTile.Store(c + 16, h0, addC);
        WideTile.Store(c + ldc, l1, addC); WideTile.Store(c + ldc + 16, h1, addC);
        WideTile.Store(c + 2 * ldc, l2, addC); WideTile.Store(c + 2 * ldc + 16, h2, addC);
        WideTile.Store(c + 3 * ldc, l3, addC); WideTile.Store(c + 3 * ldc + 16, h3, addC);
        WideTile.Store(c + 4 * ldc, l4, addC); WideTile.Store(c + 4 * ldc + 16, h4, addC);
        WideTile.Store(c + 5 * ldc, l5, addC); WideTile.Store(c + 5 * ldc + 16, h5, addC);
    }

    /// <summary>
    /// C[0..rows, 0..n] (+)= the runs product (<see cref="Kernel6x16Runs"/>) over all n columns of B (n a multiple of
    /// 16, column jr at b + jr), two panels at a time under <see cref="Wide"/>. With rows &lt; 6 the tile is summed into a
    /// stack tile and only its first rows reach C; the unused A row pointers must still be readable (callers repeat
    /// a valid one). Shared by the implicit conv and the direct weight gradient.
    /// </summary>
    [SkipLocalsInit] // the stack tile is written before it is read; zeroing it cost 2–4% of a conv at batch 32
    public static void RunsRows(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, int runs, int runLen,
                                long runStride, nint aStep, float* b, nint bStep, int n, float* c, int ldc, int rows,
                                bool addC)
    {
        float* tile = stackalloc float[MR * 2 * NR];
        bool full = rows == MR;
        for (int jr = 0; jr < n;)
        {
            int width = Wide && n - jr >= 2 * NR ? 2 * NR : NR;
            float* dst = full ? c + jr : tile;
            int ldd = full ? ldc : 2 * NR;
            if (width == NR)
                Kernel6x16Runs(a0, a1, a2, a3, a4, a5, runs, runLen, runStride, aStep, b + jr, bStep, dst, ldd, full && addC);
            else
                Kernel6x32RunsWide(a0, a1, a2, a3, a4, a5, runs, runLen, runStride, aStep, b + jr, bStep, dst, ldd,
                                   full && addC);
            for (int i = 0; !full && i < rows; i++)
            {
                var src = new ReadOnlySpan<float>(tile + i * 2 * NR, width);
                var row = new Span<float>(c + (long)i * ldc + jr, width);
                if (addC) System.Numerics.Tensors.TensorPrimitives.Add(row, src, row);
                else src.CopyTo(row);
            }
            jr += width;
        }
    }

    /// <summary>Columns of one <see cref="GemvBlockWide"/> call: sixteen 512-bit accumulators, or eight when half.</summary>
    public const int GemvBlock = 256;

    /// <summary>
    /// c[0..w] (+)= Σ_{p &lt; k} a[p·aStep] · b[p·ldb + 0..w], w = 256 (or 128 when <paramref name="half"/>): one row of
    /// A against a block of B, the block's sums held in registers for the whole depth. Batch-1 acting's dense layer
    /// (1 × 3136 · 3136 × 512) did an axpy per depth step instead (TensorPrimitives.MultiplyAdd over the C row): 3,136
    /// calls whose loads, stores and call overhead cost more than streaming the 6.4 MB of weights. Each thread's
    /// 256 columns in one pass read a contiguous kilobyte per row (profile forward --batch 1: torso 0.044 ms with
    /// 128-column blocks, 0.038 with 256). Inlined with a constant <paramref name="half"/>, so each width compiles alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void GemvBlockWide(float* a, nint aStep, float* b, nint ldb, int k, float* c, bool accumulate,
                                     bool half)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default;
        Vector512<float> c12 = default, c13 = default, c14 = default, c15 = default;
        for (int p = 0; p < k; p++, a += aStep, b += ldb)
        {
            var x = Vector512.Create(*a);
            c0 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            c1 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 16), c1);
            c2 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 32), c2);
            c3 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 48), c3);
            c4 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 64), c4);
            c5 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 80), c5);
            c6 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 96), c6);
            c7 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 112), c7);
            if (half) continue;
            c8 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 128), c8);
            c9 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 144), c9);
            c10 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 160), c10);
            c11 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 176), c11);
            c12 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 192), c12);
            c13 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 208), c13);
            c14 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 224), c14);
            c15 = Avx512F.FusedMultiplyAdd(x, Vector512.Load(b + 240), c15);
        }
        WideTile.Store(c, c0, accumulate);
        WideTile.Store(c + 16, c1, accumulate);
        WideTile.Store(c + 32, c2, accumulate);
        WideTile.Store(c + 48, c3, accumulate);
        WideTile.Store(c + 64, c4, accumulate);
        WideTile.Store(c + 80, c5, accumulate);
        WideTile.Store(c + 96, c6, accumulate);
        WideTile.Store(c + 112, c7, accumulate);
        if (half) return;
        WideTile.Store(c + 128, c8, accumulate);
        WideTile.Store(c + 144, c9, accumulate);
        WideTile.Store(c + 160, c10, accumulate);
        WideTile.Store(c + 176, c11, accumulate);
        WideTile.Store(c + 192, c12, accumulate);
        WideTile.Store(c + 208, c13, accumulate);
        WideTile.Store(c + 224, c14, accumulate);
        WideTile.Store(c + 240, c15, accumulate);
    }
}
