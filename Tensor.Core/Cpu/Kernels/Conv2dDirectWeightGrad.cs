using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Convolution weight gradient without im2col or packing: dw[tap, o] += Σ_pixels x[origin + offset(tap)] · dy[pixel, o],
/// six taps × sixteen output channels per register tile, one image at a time (zero-bordered into a per-thread buffer
/// when the conv is padded).
/// </summary>
/// <remarks>
/// <para>Glossary as in <see cref="Conv2dKernels"/>. Buffers: dy [B, OH, OW, K], x [B, H, W, C], dw [KK, K]
/// (accumulated). A tap is one (kh, kw, c) of the patch; its offset from a pixel's patch origin in the (bordered)
/// image is kh·Wₚ·C + kw·C + c.</para>
/// <para>Why: dW is a product whose depth is every output pixel of the batch (56,448 at IMPALA's first stack) and whose
/// outputs are tiny (144 taps × 16 channels). As a GEMM it packs the whole im2col matrix (or dYᵀ and an im2col panel
/// per depth block) to feed 16 output channels, and ran at 45–95 GFLOP/s. Here each pixel costs two vector loads of
/// dY, six broadcasts straight out of the image and twelve FMAs; an image's x (≤ 124 KiB bordered) and dY (≤ 113 KiB)
/// stay in L2 while all tap tiles sweep them.</para>
/// <para>Threads: images are split across workers, each summing into a private dW (<see cref="ImagePartials"/>), so
/// results do not depend on timing (they differ from the GEMM path by rounding).</para>
/// </remarks>
internal static unsafe class Conv2dDirectWeightGrad
{
    private const int TR = 6;   // taps per register tile
    private const int NR = 16;  // output channels per register tile (two vectors)

    /// <summary>AVX2+FMA and whole 16-channel output panels; any stride, padding and kernel size.</summary>
    public static bool CanRun(in Conv2dGeometry g) => GemmMicroKernel.IsSupported && g.Cout % NR == 0;

    /// <summary>
    /// dw [KK, K] += im2col(x)ᵀ · dy [B·P, K] and, unless <paramref name="dBias"/> is empty, dBias [K] += Σ_pixels dy
    /// (summed per image while its dY is in cache, instead of a separate serial pass over all of dY). Requires
    /// <see cref="CanRun"/>.
    /// </summary>
    public static void Accumulate(Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy, ReadOnlySpan<float> x,
                                  in Conv2dGeometry g)
    {
        int kk = g.PatchSize, k = g.Cout;
        int hp = g.H + g.PadTop + g.PadBottom, wp = g.W + g.PadLeft + g.PadRight;
        bool padded = hp != g.H || wp != g.W;
        int tiles = (kk + TR - 1) / TR;
        // Offsets of every tap within the bordered image; the last tile repeats its last tap (results discarded).
        int[] offs = ArrayPool<int>.Shared.Rent(tiles * TR);
        int run = g.KW * g.C;
        for (int q = 0; q < tiles * TR; q++)
        {
            int tap = Math.Min(q, kk - 1), kh = tap / run;
            offs[q] = kh * wp * g.C + (tap - kh * run);
        }
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        bool withBias = !dBias.IsEmpty;
        int size = kk * k + (withBias ? k : 0);
        float[] total;
        fixed (float* pdy = dy, px = x)
        fixed (int* po = offs)
        {
            nint ndy = (nint)pdy, nx = (nint)px, no = (nint)po;
            var geo = g;
            total = ImagePartials.Sum(g.Batch, threads, size, (sum, lo, hi) =>
            {
                float[]? img = padded ? ArrayPool<float>.Shared.Rent(hp * wp * geo.C) : null;
                fixed (float* pi = img)
                {
                    Images(sum, withBias ? sum + kk * k : null, (float*)ndy, (float*)nx, pi, (int*)no, geo, hp, wp,
                           lo, hi);
                }
                if (img is not null) ArrayPool<float>.Shared.Return(img);
            });
        }
        TP.Add(dw, total.AsSpan(0, kk * k), dw);
        if (withBias) TP.Add(dBias, total.AsSpan(kk * k, k), dBias);
        ArrayPool<float>.Shared.Return(total);
        ArrayPool<int>.Shared.Return(offs);
    }

    /// <summary>
    /// Images [b0, b1) summed into <paramref name="dw"/> [KK, K] and <paramref name="dBias"/> [K] (null: none);
    /// <paramref name="img"/>: border buffer or null.
    /// </summary>
    private static void Images(float* dw, float* dBias, float* dy, float* x, float* img, int* offs, in Conv2dGeometry g, int hp,
                               int wp, int b0, int b1)
    {
        int kk = g.PatchSize, k = g.Cout, c = g.C;
        long colStep = (long)g.StrideW * c, rowStep = (long)g.StrideH * wp * c;
        for (int b = b0; b < b1; b++)
        {
            float* src = x + (long)b * g.H * g.W * c;
            if (img is not null)
            {
                Conv2dPadded.PadImage(img, src, g.H, g.W, c, g.PadTop, g.PadLeft, hp, wp);
                src = img;
            }
            float* dyImg = dy + (long)b * g.OutPixels * k;
            if (dBias is not null)
            {
                Conv2dKernels.SumRowsInto(new Span<float>(dBias, k), new ReadOnlySpan<float>(dyImg, g.OutPixels * k),
                                          g.OutPixels, k);
            }
            for (int t0 = 0; t0 < kk; t0 += TR)
            {
                int taps = Math.Min(TR, kk - t0);
                for (int jr = 0; jr < k; jr += NR)
                {
                    float* d = dyImg + jr, w = dw + (long)t0 * k + jr;
                    if (GemmMicroKernel.Wide && k - jr >= 2 * NR)
                    {
                        TileWide2(src, offs + t0, d, k, g.OH, g.OW, colStep, rowStep, w, k, taps);
                        jr += NR; // both panels done
                    }
                    else if (GemmMicroKernel.Wide)
                        TileWide(src, offs + t0, d, k, g.OH, g.OW, colStep, rowStep, w, k, taps);
                    else
                        Tile(src, offs + t0, d, k, g.OH, g.OW, colStep, rowStep, w, k, taps);
                }
            }
        }
    }

    /// <summary>
    /// dst[i, 0:16] += Σ over the image's OH×OW pixels of img[origin + off[i]] · dy[pixel, 0:16], i &lt; taps.
    /// </summary>
    /// <remarks>
    /// The loop body is <see cref="GemmMicroKernel.Kernel6x16"/>'s with another A source (six tap offsets from the
    /// pixel's origin instead of a packed panel). It is written out rather than shared: a shared step would take the
    /// twelve accumulators by reference, and the JIT then keeps them in memory.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* img, int* off, float* dy, int ldy, int oh, int ow, long colStep, long rowStep,
                             float* dst, int ldd, int taps)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        long o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5];
        for (int i = 0; i < oh; i++)
        {
            float* a = img + i * rowStep;
            float* d = dy + (long)i * ow * ldy;
            for (int j = 0; j < ow; j++, a += colStep, d += ldy)
            {
                var b0 = Avx.LoadVector256(d);
                var b1 = Avx.LoadVector256(d + 8);
                var v = Avx.BroadcastScalarToVector256(a + o0);
                c00 = Fma.MultiplyAdd(v, b0, c00); c01 = Fma.MultiplyAdd(v, b1, c01);
                v = Avx.BroadcastScalarToVector256(a + o1);
                c10 = Fma.MultiplyAdd(v, b0, c10); c11 = Fma.MultiplyAdd(v, b1, c11);
                v = Avx.BroadcastScalarToVector256(a + o2);
                c20 = Fma.MultiplyAdd(v, b0, c20); c21 = Fma.MultiplyAdd(v, b1, c21);
                v = Avx.BroadcastScalarToVector256(a + o3);
                c30 = Fma.MultiplyAdd(v, b0, c30); c31 = Fma.MultiplyAdd(v, b1, c31);
                v = Avx.BroadcastScalarToVector256(a + o4);
                c40 = Fma.MultiplyAdd(v, b0, c40); c41 = Fma.MultiplyAdd(v, b1, c41);
                v = Avx.BroadcastScalarToVector256(a + o5);
                c50 = Fma.MultiplyAdd(v, b0, c50); c51 = Fma.MultiplyAdd(v, b1, c51);
            }
        }
        AddRow(dst, c00, c01);
        if (taps > 1) AddRow(dst + ldd, c10, c11);
        if (taps > 2) AddRow(dst + 2 * ldd, c20, c21);
        if (taps > 3) AddRow(dst + 3 * ldd, c30, c31);
        if (taps > 4) AddRow(dst + 4 * ldd, c40, c41);
        if (taps > 5) AddRow(dst + 5 * ldd, c50, c51);
    }

    /// <summary>
    /// <see cref="Tile"/> with one 512-bit vector per tap (<see cref="GemmMicroKernel.Wide"/>); pixels in pairs, the
    /// even and odd ones in separate accumulators (twelve chains, see <see cref="WideTile"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileWide(float* img, int* off, float* dy, int ldy, int oh, int ow, long colStep, long rowStep,
                                 float* dst, int ldd, int taps)
    {
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default;
        long t0 = off[0], t1 = off[1], t2 = off[2], t3 = off[3], t4 = off[4], t5 = off[5];
        for (int i = 0; i < oh; i++)
        {
            float* a = img + i * rowStep;
            float* d = dy + (long)i * ow * ldy;
            int j = 0;
            for (; j + 1 < ow; j += 2, a += 2 * colStep, d += 2 * ldy)
            {
                var b0 = Vector512.Load(d);
                var b1 = Vector512.Load(d + ldy);
                float* a1 = a + colStep;
                e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t0]), b0, e0);
                o0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[t0]), b1, o0);
                e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t1]), b0, e1);
                o1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[t1]), b1, o1);
                e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t2]), b0, e2);
                o2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[t2]), b1, o2);
                e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t3]), b0, e3);
                o3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[t3]), b1, o3);
                e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t4]), b0, e4);
                o4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[t4]), b1, o4);
                e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t5]), b0, e5);
                o5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[t5]), b1, o5);
            }
            if (j < ow)
            {
                var b0 = Vector512.Load(d);
                e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t0]), b0, e0);
                e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t1]), b0, e1);
                e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t2]), b0, e2);
                e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t3]), b0, e3);
                e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t4]), b0, e4);
                e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[t5]), b0, e5);
            }
        }
        WideTile.Store(dst, e0 + o0, addC: true);
        if (taps > 1) WideTile.Store(dst + ldd, e1 + o1, addC: true);
        if (taps > 2) WideTile.Store(dst + 2 * ldd, e2 + o2, addC: true);
        if (taps > 3) WideTile.Store(dst + 3 * ldd, e3 + o3, addC: true);
        if (taps > 4) WideTile.Store(dst + 4 * ldd, e4 + o4, addC: true);
        if (taps > 5) WideTile.Store(dst + 5 * ldd, e5 + o5, addC: true);
    }

    /// <summary>
    /// Two adjacent 16-channel panels of dY at once (512-bit): six taps × 32 channels in twelve accumulators, per pixel
    /// two vector loads and six broadcasts (see <see cref="WideTile.Product2{TRows}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileWide2(float* img, int* off, float* dy, int ldy, int oh, int ow, long colStep, long rowStep,
                                  float* dst, int ldd, int taps)
    {
        Vector512<float> l0 = default, l1 = default, l2 = default, l3 = default, l4 = default, l5 = default;
        Vector512<float> h0 = default, h1 = default, h2 = default, h3 = default, h4 = default, h5 = default;
        long t0 = off[0], t1 = off[1], t2 = off[2], t3 = off[3], t4 = off[4], t5 = off[5];
        for (int i = 0; i < oh; i++)
        {
            float* a = img + i * rowStep;
            float* d = dy + (long)i * ow * ldy;
            for (int j = 0; j < ow; j++, a += colStep, d += ldy)
            {
                var bl = Vector512.Load(d);
                var bh = Vector512.Load(d + 16);
                var x = Vector512.Create(a[t0]);
                l0 = Avx512F.FusedMultiplyAdd(x, bl, l0); h0 = Avx512F.FusedMultiplyAdd(x, bh, h0);
                x = Vector512.Create(a[t1]);
                l1 = Avx512F.FusedMultiplyAdd(x, bl, l1); h1 = Avx512F.FusedMultiplyAdd(x, bh, h1);
                x = Vector512.Create(a[t2]);
                l2 = Avx512F.FusedMultiplyAdd(x, bl, l2); h2 = Avx512F.FusedMultiplyAdd(x, bh, h2);
                x = Vector512.Create(a[t3]);
                l3 = Avx512F.FusedMultiplyAdd(x, bl, l3); h3 = Avx512F.FusedMultiplyAdd(x, bh, h3);
                x = Vector512.Create(a[t4]);
                l4 = Avx512F.FusedMultiplyAdd(x, bl, l4); h4 = Avx512F.FusedMultiplyAdd(x, bh, h4);
                x = Vector512.Create(a[t5]);
                l5 = Avx512F.FusedMultiplyAdd(x, bl, l5); h5 = Avx512F.FusedMultiplyAdd(x, bh, h5);
            }
        }
        WideTile.Store(dst, l0, addC: true); WideTile.Store(dst + 16, h0, addC: true);
        if (taps > 1) { WideTile.Store(dst + ldd, l1, addC: true); WideTile.Store(dst + ldd + 16, h1, addC: true); }
        if (taps > 2) { WideTile.Store(dst + 2 * ldd, l2, addC: true); WideTile.Store(dst + 2 * ldd + 16, h2, addC: true); }
        if (taps > 3) { WideTile.Store(dst + 3 * ldd, l3, addC: true); WideTile.Store(dst + 3 * ldd + 16, h3, addC: true); }
        if (taps > 4) { WideTile.Store(dst + 4 * ldd, l4, addC: true); WideTile.Store(dst + 4 * ldd + 16, h4, addC: true); }
        if (taps > 5) { WideTile.Store(dst + 5 * ldd, l5, addC: true); WideTile.Store(dst + 5 * ldd + 16, h5, addC: true); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* row, Vector256<float> lo, Vector256<float> hi)
    {
        Avx.Store(row, Avx.Add(lo, Avx.LoadVector256(row)));
        Avx.Store(row + 8, Avx.Add(hi, Avx.LoadVector256(row + 8)));
    }
}
