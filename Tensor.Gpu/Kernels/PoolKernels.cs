using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Max and average pooling over NHWC images, forward and backward, one thread per output (forward) or per input
/// (backward) element. Glossary as in <see cref="ConvShape"/> with Cout = C; x [B, H, W, C], y and argmax
/// [B, OH, OW, C]; argmax holds the winning input pixel ih·W + iw of the image as a float, −1 for an empty window.
/// Semantics copy Tensor.Core/Cpu/Kernels/PoolKernels.cs: max pooling ignores padding (−∞), the first maximum wins
/// ties, NaN wins over numbers; average pooling divides by KH·KW or by the in-image count.
/// </summary>
/// <remarks>
/// The backward passes are gathers: each input element visits the outputs whose window covers it, so no two
/// threads write one element (no atomics, deterministic sums even when windows overlap).
/// </remarks>
public static class PoolKernels
{
    /// <summary>y, argmax [B·OH·OW·C] from x.</summary>
    public static void MaxForward(Index1D t, ArrayView<float> y, ArrayView<float> argmax, ArrayView<float> x,
                                  ConvShape g, GridStride s)
    {
        for (int o = t; o < s.N; o += s.Stride)
        {
            int ch = o % g.C, r = o / g.C, ow = r % g.OW, u = r / g.OW, oh = u % g.OH, b = u / g.OH;
            int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
            float best = float.NegativeInfinity, arg = -1f;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = ih0 + kh;
                if ((uint)ih >= (uint)g.H) continue;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int iw = iw0 + kw;
                    if ((uint)iw >= (uint)g.W) continue;
                    int pix = ih * g.W + iw;
                    float v = x[((b * g.H + ih) * g.W + iw) * g.C + ch];
                    if (v > best || arg < 0f || (float.IsNaN(v) && !float.IsNaN(best)))
                    {
                        best = v;
                        arg = pix;
                    }
                }
            }
            y[o] = best;
            argmax[o] = arg;
        }
    }

    /// <summary>dx [B·H·W·C] += Σ dY over the outputs whose recorded winner is this pixel.</summary>
    public static void MaxBackward(Index1D t, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> argmax,
                                   ConvShape g, GridStride s)
    {
        for (int i = t; i < s.N; i += s.Stride)
        {
            int ch = i % g.C, r = i / g.C, iw = r % g.W, u = r / g.W, ih = u % g.H, b = u / g.H;
            float pix = ih * g.W + iw, acc = 0f;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int nh = ih + g.PadTop - kh;
                if (nh < 0 || nh % g.StrideH != 0 || nh / g.StrideH >= g.OH) continue;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int nw = iw + g.PadLeft - kw;
                    if (nw < 0 || nw % g.StrideW != 0 || nw / g.StrideW >= g.OW) continue;
                    int o = ((b * g.OH + nh / g.StrideH) * g.OW + nw / g.StrideW) * g.C + ch;
                    if (argmax[o] == pix) acc += dy[o];
                }
            }
            dx[i] += acc;
        }
    }

    /// <summary>Divisor of output window (oh, ow): KH·KW, or the number of its taps inside the image.</summary>
    private static float Divisor(ConvShape g, int oh, int ow, int countIncludePad)
    {
        if (countIncludePad != 0) return g.KH * g.KW;
        int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
        int rows = XMin(g.KH, g.H - ih0) - XMax(0, -ih0), cols = XMin(g.KW, g.W - iw0) - XMax(0, -iw0);
        return XMax(1, XMax(0, rows) * XMax(0, cols));
    }

    private static int XMin(int a, int b) => a < b ? a : b;

    private static int XMax(int a, int b) => a > b ? a : b;

    /// <summary>y [B·OH·OW·C] = window mean of x.</summary>
    public static void AvgForward(Index1D t, ArrayView<float> y, ArrayView<float> x, ConvShape g, int countIncludePad,
                                  GridStride s)
    {
        for (int o = t; o < s.N; o += s.Stride)
        {
            int ch = o % g.C, r = o / g.C, ow = r % g.OW, u = r / g.OW, oh = u % g.OH, b = u / g.OH;
            int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
            float sum = 0f;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = ih0 + kh;
                if ((uint)ih >= (uint)g.H) continue;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int iw = iw0 + kw;
                    if ((uint)iw < (uint)g.W) sum += x[((b * g.H + ih) * g.W + iw) * g.C + ch];
                }
            }
            y[o] = sum * (1f / Divisor(g, oh, ow, countIncludePad));
        }
    }

    /// <summary>dx [B·H·W·C] += Σ dY/divisor over the windows covering this pixel.</summary>
    public static void AvgBackward(Index1D t, ArrayView<float> dx, ArrayView<float> dy, ConvShape g,
                                   int countIncludePad, GridStride s)
    {
        for (int i = t; i < s.N; i += s.Stride)
        {
            int ch = i % g.C, r = i / g.C, iw = r % g.W, u = r / g.W, ih = u % g.H, b = u / g.H;
            float acc = 0f;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int nh = ih + g.PadTop - kh;
                if (nh < 0 || nh % g.StrideH != 0 || nh / g.StrideH >= g.OH) continue;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int nw = iw + g.PadLeft - kw;
                    if (nw < 0 || nw % g.StrideW != 0 || nw / g.StrideW >= g.OW) continue;
                    int oh = nh / g.StrideH, ow = nw / g.StrideW;
                    acc += dy[((b * g.OH + oh) * g.OW + ow) * g.C + ch] * (1f / Divisor(g, oh, ow, countIncludePad));
                }
            }
            dx[i] += acc;
        }
    }
}
