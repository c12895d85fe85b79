using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Max and average pooling over NHWC images, forward and backward.
/// </summary>
/// <remarks>
/// <para>Glossary: B batch; H×W input spatial; C channels (pooling keeps them: Cout = C); KH×KW window; OH×OW
/// output spatial. Buffers: x [B, H, W, C], y [B, OH, OW, C], argmax [B, OH, OW, C] (the input pixel ih·W + iw
/// of the winning element within its image, stored as float: exact below 2²⁴ pixels, −1 when the window held
/// no input pixel).</para>
/// <para>Loops run output pixel by output pixel with the C channels innermost, so every window tap reads one
/// contiguous row of C floats. These loops are the reference kernels themselves: pooling is a small share of
/// the IMPALA encoder's time next to its convolutions, so there is no separate fast variant yet.</para>
/// <para>Padding: max pooling treats padded positions as −∞ (flax/TensorFlow), i.e. it ignores them; average
/// pooling treats them as zeros and divides by KH·KW when <c>countIncludePad</c> (flax <c>avg_pool</c>'s
/// default), otherwise by the number of input pixels in the window.</para>
/// </remarks>
internal static class PoolKernels
{
    /// <summary>
    /// y = max over each window; argmax records the winner. Ties go to the first maximum in window order (kh,
    /// then kw, row-major); a NaN wins over numbers (NaN propagates, first NaN kept).
    /// </summary>
    public static void MaxForward(Span<float> y, Span<float> argmax, ReadOnlySpan<float> x, in Conv2dGeometry g)
    {
        int c = g.C, img = g.H * g.W * c;
        for (int b = 0; b < g.Batch; b++)
        {
            var xb = x.Slice(b * img, img);
            for (int oh = 0; oh < g.OH; oh++)
            for (int ow = 0; ow < g.OW; ow++)
            {
                int o = ((b * g.OH + oh) * g.OW + ow) * c;
                var yr = y.Slice(o, c);
                var ar = argmax.Slice(o, c);
                yr.Fill(float.NegativeInfinity);
                ar.Fill(-1f);
                int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int ih = ih0 + kh;
                    if ((uint)ih >= (uint)g.H) continue;
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int iw = iw0 + kw;
                        if ((uint)iw >= (uint)g.W) continue;
                        int pix = ih * g.W + iw;
                        var xr = xb.Slice(pix * c, c);
                        for (int ch = 0; ch < c; ch++)
                        {
                            float v = xr[ch], best = yr[ch];
                            // Strict '>' keeps the first maximum; the first real pixel always replaces the
                            // "no pixel yet" marker so that all-(−∞) windows still route their gradient.
                            if (v > best || ar[ch] < 0f || (float.IsNaN(v) && !float.IsNaN(best)))
                            {
                                yr[ch] = v;
                                ar[ch] = pix;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>dx[b, argmax] += dY for every output element (nothing for windows without an input pixel).</summary>
    public static void MaxBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> argmax,
                                   in Conv2dGeometry g)
    {
        int c = g.C, img = g.H * g.W * c, per = g.OH * g.OW * c;
        for (int b = 0; b < g.Batch; b++)
        {
            var dxb = dx.Slice(b * img, img);
            for (int i = 0; i < per; i++)
            {
                int o = b * per + i;
                float a = argmax[o];
                if (a < 0f) continue;
                dxb[(int)a * c + i % c] += dy[o];
            }
        }
    }

    /// <summary>y = mean over each window (see the type remarks for the divisor).</summary>
    public static void AvgForward(Span<float> y, ReadOnlySpan<float> x, in Conv2dGeometry g, bool countIncludePad)
    {
        int c = g.C, img = g.H * g.W * c;
        for (int b = 0; b < g.Batch; b++)
        {
            var xb = x.Slice(b * img, img);
            for (int oh = 0; oh < g.OH; oh++)
            for (int ow = 0; ow < g.OW; ow++)
            {
                var yr = y.Slice(((b * g.OH + oh) * g.OW + ow) * c, c);
                yr.Clear();
                var (ih0, iw0, khLo, khHi, kwLo, kwHi) = Window(g, oh, ow);
                for (int kh = khLo; kh < khHi; kh++)
                for (int kw = kwLo; kw < kwHi; kw++)
                {
                    TP.Add(yr, xb.Slice(((ih0 + kh) * g.W + iw0 + kw) * c, c), yr);
                }
                TP.Multiply(yr, 1f / Divisor(g, (khHi - khLo) * (kwHi - kwLo), countIncludePad), yr);
            }
        }
    }

    /// <summary>dx += dY / divisor, spread over each window's input pixels.</summary>
    public static void AvgBackward(Span<float> dx, ReadOnlySpan<float> dy, in Conv2dGeometry g, bool countIncludePad)
    {
        int c = g.C, img = g.H * g.W * c;
        for (int b = 0; b < g.Batch; b++)
        {
            var dxb = dx.Slice(b * img, img);
            for (int oh = 0; oh < g.OH; oh++)
            for (int ow = 0; ow < g.OW; ow++)
            {
                var dyr = dy.Slice(((b * g.OH + oh) * g.OW + ow) * c, c);
                var (ih0, iw0, khLo, khHi, kwLo, kwHi) = Window(g, oh, ow);
                float scale = 1f / Divisor(g, (khHi - khLo) * (kwHi - kwLo), countIncludePad);
                for (int kh = khLo; kh < khHi; kh++)
                for (int kw = kwLo; kw < kwHi; kw++)
                {
                    var d = dxb.Slice(((ih0 + kh) * g.W + iw0 + kw) * c, c);
                    TP.MultiplyAdd(dyr, scale, d, d);
                }
            }
        }
    }

    /// <summary>Top-left input pixel of output (oh, ow) and the half-open tap ranges that fall inside the image.</summary>
    private static (int Ih0, int Iw0, int KhLo, int KhHi, int KwLo, int KwHi) Window(in Conv2dGeometry g, int oh, int ow)
    {
        int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
        int khLo = Math.Max(0, -ih0), khHi = Math.Max(khLo, Math.Min(g.KH, g.H - ih0));
        int kwLo = Math.Max(0, -iw0), kwHi = Math.Max(kwLo, Math.Min(g.KW, g.W - iw0));
        return (ih0, iw0, khLo, khHi, kwLo, kwHi);
    }

    private static float Divisor(in Conv2dGeometry g, int inWindow, bool countIncludePad) =>
        countIncludePad ? g.KH * g.KW : Math.Max(inWindow, 1);
}
