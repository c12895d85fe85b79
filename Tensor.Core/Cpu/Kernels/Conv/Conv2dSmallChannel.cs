using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Direct convolution forward for few input channels (any padding and stride): y [M, K] = conv(x, w) + bias with
/// six output pixels per register tile and no im2col matrix.
/// </summary>
/// <remarks>
/// <para>Glossary as in <see cref="Conv2dKernels"/>. Buffers: x [B, H, W, C], w [KH, KW, C, K] = [KK, K], bias [K]
/// (may be empty), y [B, OH, OW, K] (overwritten).</para>
/// <para>Why: IMPALA's first conv (C = 4, K = 16, 3×3 SAME, 84×84) has a 36-float patch, so im2col wrote and the GEMM
/// re-read 225,792 × 36 floats (32 MB at batch 32) for 0.6 GFLOP (im2col 3.0 ms + GEMM 2.7 ms). Here a tile of six
/// consecutive output pixels of one row keeps its 6 × 16 sums in twelve registers; for each in-image kernel row, tap
/// and channel it broadcasts the six pixels' inputs against two vectors of w (the same 6×16 shape as
/// <see cref="GemmMicroKernel.Kernel6x16"/>). Tiles that touch the left or right padding fall back to one pixel at a
/// time over its valid taps; the pads never reach the inner loop.</para>
/// <para>Threads split the B·OH output rows.</para>
/// </remarks>
internal static unsafe class Conv2dSmallChannel
{
    private const int Tile = 6;
    private const int Panel = 16;

    /// <summary>Most input channels this path takes (its advantage is the im2col it skips for short patches).</summary>
    public const int MaxChannels = 8;

    /// <summary>AVX2/FMA, K a multiple of 16 up to 32, C ≤ <see cref="MaxChannels"/>, a kernel over 1×1.</summary>
    public static bool CanRun(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.Cout % Panel == 0 && g.Cout <= 2 * Panel && g.C <= MaxChannels &&
        g.KH * g.KW > 1;

    /// <summary>y [M, K] = conv(x, w [KK, K]) + bias [K] (bias may be empty). Requires <see cref="CanRun"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g)
    {
        int rows = g.Batch * g.OH;
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, rows) : 1;
        // Bias as a zero vector when absent, so the tiles always start from it.
        float* zero = stackalloc float[2 * Panel];
        new Span<float>(zero, 2 * Panel).Clear();
        fixed (float* py = y, px = x, pw = w, pb = bias)
        {
            nint ny = (nint)py, nx = (nint)px, nw = (nint)pw, nb = bias.IsEmpty ? (nint)zero : (nint)pb;
            var geo = g;
            CpuThreads.ForRanges(rows, threads,
                                     (lo, hi) => Rows((float*)ny, (float*)nx, (float*)nw, (float*)nb, geo, lo, hi));
        }
    }

    /// <summary>Output rows [r0, r1) of y (r = b·OH + oh).</summary>
    private static void Rows(float* y, float* x, float* w, float* bias, in Conv2dGeometry g, int r0, int r1)
    {
        int k = g.Cout, sw = g.StrideW;
        // Output columns whose every tap lies inside the image: 0 ≤ ow·sw − left and ow·sw − left + KW − 1 < W.
        int inLo = Math.Min(g.OW, (g.PadLeft + sw - 1) / sw);
        int lastStart = g.W - g.KW + g.PadLeft; // ow·sw may be at most this
        int inHi = Math.Max(inLo, lastStart < 0 ? 0 : Math.Min(g.OW, lastStart / sw + 1));
        for (int r = r0; r < r1; r++)
        {
            int b = r / g.OH, oh = r - b * g.OH;
            float* yRow = y + (long)r * g.OW * k;
            // In-image kernel rows of this output row.
            int top = oh * g.StrideH - g.PadTop, khLo = Math.Max(0, -top), khHi = Math.Min(g.KH, g.H - top);
            float* xTop = x + ((long)b * g.H + top) * g.W * g.C; // input row of kh = 0 (maybe outside x)
            int ow = 0;
            for (; ow < inLo; ow++) Pixel(yRow, xTop, w, bias, g, ow, khLo, khHi);
            for (; ow + Tile <= inHi; ow += Tile)
            {
                for (int j = 0; j < k; j += Panel)
                {
                    Tile6(yRow + (long)ow * k + j, xTop, w + j, bias + j, g, ow, khLo, khHi);
                }
            }
            for (; ow < g.OW; ow++) Pixel(yRow, xTop, w, bias, g, ow, khLo, khHi);
        }
    }

    /// <summary>Six pixels ow..ow+6 of one output row, one 16-channel panel; every tap in range horizontally.</summary>
    private static void Tile6(float* yp, float* xTop, float* w, float* bias, in Conv2dGeometry g, int ow, int khLo,
                              int khHi)
    {
        int c = g.C, k = g.Cout, kwc = g.KW * c;
        long step = (long)g.StrideW * c, rowLen = (long)g.W * c;
        var b0 = Avx.LoadVector256(bias);
        var b1 = Avx.LoadVector256(bias + 8);
        Vector256<float> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1;
        Vector256<float> c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1;
        for (int kh = khLo; kh < khHi; kh++)
        {
            // The KW·C contiguous inputs of kernel row kh for pixel 0; pixel i starts i·stride·C floats later.
            float* a = xTop + kh * rowLen + ((long)ow * g.StrideW - g.PadLeft) * c;
            float* wp = w + (long)kh * kwc * k;
            for (int q = 0; q < kwc; q++, wp += k)
            {
                var w0 = Avx.LoadVector256(wp);
                var w1 = Avx.LoadVector256(wp + 8);
                var v = Vector256.Create(a[q]);
                c00 = Fma.MultiplyAdd(v, w0, c00); c01 = Fma.MultiplyAdd(v, w1, c01);
                v = Vector256.Create(a[q + step]);
                c10 = Fma.MultiplyAdd(v, w0, c10); c11 = Fma.MultiplyAdd(v, w1, c11);
                v = Vector256.Create(a[q + 2 * step]);
                c20 = Fma.MultiplyAdd(v, w0, c20); c21 = Fma.MultiplyAdd(v, w1, c21);
                v = Vector256.Create(a[q + 3 * step]);
                c30 = Fma.MultiplyAdd(v, w0, c30); c31 = Fma.MultiplyAdd(v, w1, c31);
                v = Vector256.Create(a[q + 4 * step]);
                c40 = Fma.MultiplyAdd(v, w0, c40); c41 = Fma.MultiplyAdd(v, w1, c41);
                v = Vector256.Create(a[q + 5 * step]);
                c50 = Fma.MultiplyAdd(v, w0, c50); c51 = Fma.MultiplyAdd(v, w1, c51);
            }
        }
        Avx.Store(yp, c00); Avx.Store(yp + 8, c01);
        Avx.Store(yp + k, c10); Avx.Store(yp + k + 8, c11);
        Avx.Store(yp + 2 * k, c20); Avx.Store(yp + 2 * k + 8, c21);
        Avx.Store(yp + 3 * k, c30); Avx.Store(yp + 3 * k + 8, c31);
        Avx.Store(yp + 4 * k, c40); Avx.Store(yp + 4 * k + 8, c41);
        Avx.Store(yp + 5 * k, c50); Avx.Store(yp + 5 * k + 8, c51);
    }

    /// <summary>One pixel ow of an output row, all panels, over its in-image taps only (the padded edges).</summary>
    private static void Pixel(float* yRow, float* xTop, float* w, float* bias, in Conv2dGeometry g, int ow, int khLo,
                              int khHi)
    {
        int c = g.C, k = g.Cout;
        int iw0 = ow * g.StrideW - g.PadLeft, kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.W - iw0);
        for (int j = 0; j < k; j += Panel)
        {
            var a0 = Avx.LoadVector256(bias + j);
            var a1 = Avx.LoadVector256(bias + j + 8);
            for (int kh = khLo; kh < khHi; kh++)
            {
                for (int kw = kwLo; kw < kwHi; kw++)
                {
                    float* a = xTop + ((long)kh * g.W + iw0 + kw) * c;
                    float* wp = w + ((long)(kh * g.KW + kw) * c) * k + j;
                    for (int ci = 0; ci < c; ci++, wp += k)
                    {
                        var v = Vector256.Create(a[ci]);
                        a0 = Fma.MultiplyAdd(v, Avx.LoadVector256(wp), a0);
                        a1 = Fma.MultiplyAdd(v, Avx.LoadVector256(wp + 8), a1);
                    }
                }
            }
            float* yp = yRow + (long)ow * k + j;
            Avx.Store(yp, a0);
            Avx.Store(yp + 8, a1);
        }
    }
}
