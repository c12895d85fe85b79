using System.Buffers;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Padded convolutions through the unpadded implicit kernels: x is copied once into a zero-bordered buffer, after
/// which a SAME/explicitly padded conv is a VALID conv of that buffer (<see cref="Conv2dImplicit"/>). The stride-1 input gradient is itself such a convolution (of the padded
/// dY with the spatially flipped, in/out-transposed kernel), so it runs through the implicit forward too.
/// </summary>
/// <remarks>
/// <para>Why: IMPALA's 3×3 SAME convs (16/32 channels) took the im2col path, whose 144–288-float rows are written and
/// read back for every output pixel (9× the image), and whose input gradient added a col2im pass over as much. The
/// zero-bordered copy is (1 + 2/H)² of the image, once. (The weight gradient borders one image at a time instead:
/// <see cref="Conv2dDirectWeightGrad"/>.)</para>
/// <para>Input gradient: dx[h, w, c] = Σ_{i, j, o} dy[i, j, o] · w[h + pt − i, w + pl − j, c, o]. With kh' = KH−1−kh
/// this is Σ_{kh', kw', o} dyₚ[h + kh', w + kw', o] · w'[kh', kw', o, c] where dyₚ is dy with KH−1−pt rows above,
/// KW−1−pl columns left (and KH−1−pb, KW−1−pr below/right) of zeros and w'[kh', kw', o, c] = w[KH−1−kh', KW−1−kw', c,
/// o]: a stride-1 VALID conv with Cout = C, accumulated into dx.</para>
/// </remarks>
internal static class Conv2dPadded
{
    /// <summary>The padded-input geometry: the same conv with the borders made part of the image.</summary>
    public static Conv2dGeometry Unpadded(in Conv2dGeometry g) =>
        g with
        {
            H = g.H + g.PadTop + g.PadBottom, W = g.W + g.PadLeft + g.PadRight,
            PadTop = 0, PadBottom = 0, PadLeft = 0, PadRight = 0,
        };

    /// <summary>Any padding on any side.</summary>
    public static bool IsPadded(in Conv2dGeometry g) => g.PadTop + g.PadBottom + g.PadLeft + g.PadRight > 0;

    /// <summary>A padded conv the implicit forward can run once its input is bordered.</summary>
    public static bool CanForward(in Conv2dGeometry g) => IsPadded(g) && Conv2dImplicit.CanRun(Unpadded(g));

    /// <summary>
    /// Stride 1, padding at most KH−1 / KW−1 on every side (so dY's border is non-negative), and the flipped conv
    /// (C outputs, KH·KW·Cout taps) within the implicit forward's limits.
    /// </summary>
    public static bool CanBackwardInput(in Conv2dGeometry g) =>
        g.StrideH == 1 && g.StrideW == 1 && g.KH * g.KW > 1 &&
        g.PadTop <= g.KH - 1 && g.PadBottom <= g.KH - 1 && g.PadLeft <= g.KW - 1 && g.PadRight <= g.KW - 1 &&
        Conv2dImplicit.CanRun(FlippedGeometry(g));

    /// <summary>y = conv(x, w) + bias (then ReLU) for a padded conv. Requires <see cref="CanForward"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, bool relu) =>
        BorderedConv(y, x, g.H, g.W, w, bias, g, Unpadded(g), g.PadTop, g.PadLeft, relu, accumulate: false);

    /// <summary>dx += conv(dyₚ, w') (see the remarks). Requires <see cref="CanBackwardInput"/>.</summary>
    public static void AccumulateInputGrad(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                           in Conv2dGeometry g)
    {
        int kh = g.KH, kw = g.KW, c = g.C, k = g.Cout;
        float[] wf = ArrayPool<float>.Shared.Rent(kh * kw * k * c);
        try
        {
            for (int a = 0; a < kh; a++)
            for (int b = 0; b < kw; b++)
            {
                int src = ((kh - 1 - a) * kw + (kw - 1 - b)) * c * k, dst = (a * kw + b) * k * c;
                for (int ci = 0; ci < c; ci++)
                for (int o = 0; o < k; o++) wf[dst + o * c + ci] = w[src + ci * k + o];
            }
            BorderedConv(dx, dy, g.OH, g.OW, wf.AsSpan(0, kh * kw * k * c), ReadOnlySpan<float>.Empty, g, FlippedGeometry(g),
                         kh - 1 - g.PadTop, kw - 1 - g.PadLeft, relu: false, accumulate: true);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(wf);
        }
    }

    /// <summary>
    /// The VALID conv <paramref name="gp"/> of the bordered input, which is <paramref name="src"/> [B, h, w, gp.C]
    /// (x, or dY for the flipped conv) placed at (<paramref name="top"/>, <paramref name="left"/>). Each worker borders one image at a time into its own buffer (≤ 124 KiB at IMPALA's
    /// sizes, so it stays in L2 for the tiles that read it) and runs that image's rows.
    /// </summary>
    private static unsafe void BorderedConv(Span<float> y, ReadOnlySpan<float> src, int h, int wd,
                                            ReadOnlySpan<float> w, ReadOnlySpan<float> bias, in Conv2dGeometry g,
                                            Conv2dGeometry gp, int top, int left, bool relu, bool accumulate)
    {
        int imgIn = h * wd * gp.C, imgOut = gp.OutPixels * gp.Cout, bordered = gp.H * gp.W * gp.C;
        var one = gp with { Batch = 1 };
        int threads = g.ForwardFlops >= Gemm.GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        fixed (float* py = y, ps = src, pw = w, pb = bias)
        {
            nint ny = (nint)py, ns = (nint)ps, nw = (nint)pw, nb = bias.IsEmpty ? 0 : (nint)pb;
            CpuThreads.ForRanges(g.Batch, threads, (lo, hi) =>
            {
                float[] buf = ArrayPool<float>.Shared.Rent(bordered);
                fixed (float* pbuf = buf)
                {
                    for (int b = lo; b < hi; b++)
                    {
                        PadImage(pbuf, (float*)ns + (long)b * imgIn, h, wd, one.C, top, left, one.H, one.W);
                        Conv2dImplicit.Serial((float*)ny + (long)b * imgOut, pbuf, (float*)nw, (float*)nb, relu,
                                              accumulate, one);
                    }
                }
                ArrayPool<float>.Shared.Return(buf);
            });
        }
    }

    /// <summary>The input gradient as a VALID stride-1 conv: dyₚ [B, H+KH−1, W+KW−1, Cout] → dx [B, H, W, C].</summary>
    private static Conv2dGeometry FlippedGeometry(in Conv2dGeometry g) =>
        new(g.Batch, g.H + g.KH - 1, g.W + g.KW - 1, g.Cout, g.KH, g.KW, g.C, 1, 1, 0, 0, 0, 0, g.H, g.W);

    /// <summary>One image: dst [hp, wp, c] ← src [h, w, c] at (<paramref name="top"/>, <paramref name="left"/>), zero border.</summary>
    internal static unsafe void PadImage(float* d, float* s, int h, int w, int c, int top, int left, int hp, int wp)
    {
        int rowIn = w * c, rowOut = wp * c;
        new Span<float>(d, top * rowOut).Clear();
        for (int r = 0; r < h; r++)
        {
            float* dr = d + (long)(top + r) * rowOut;
            new Span<float>(dr, left * c).Clear();
            new ReadOnlySpan<float>(s + (long)r * rowIn, rowIn).CopyTo(new Span<float>(dr + left * c, rowIn));
            new Span<float>(dr + left * c + rowIn, rowOut - left * c - rowIn).Clear();
        }
        new Span<float>(d + (long)(top + h) * rowOut, (hp - top - h) * rowOut).Clear();
    }
}
