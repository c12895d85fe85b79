using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// contiguous row of C floats. Max pooling forward has a channel-vectorized kernel (<see cref="MaxForward"/>,
/// the IMPALA encoder's pools) checked against the scalar <see cref="MaxForwardNaive"/>; the other loops are
/// their own reference.</para>
/// <para>Padding: max pooling treats padded positions as −∞ (flax/TensorFlow), i.e. it ignores them; average
/// pooling treats them as zeros and divides by KH·KW when <c>countIncludePad</c> (flax <c>avg_pool</c>'s
/// default), otherwise by the number of input pixels in the window.</para>
/// </remarks>
internal static class PoolKernels
{
    /// <summary>
    /// Max pooling, NHWC: y = max over the window (padding never wins), argmax = the winning pixel's index inside its
    /// image (h·W + w) as a float, −1 for a window with no in-image pixel. Ties keep the first pixel in (kh, kw)
    /// order; a NaN wins over numbers and the first NaN is kept, as <see cref="MaxForwardNaive"/>.
    /// </summary>
    /// <remarks>
    /// Vectorized over channels (8 at a time with AVX): the scalar version's per-channel branches made Impala's
    /// 3×3/2 pools ~14% of a training step. The window is seeded with its first in-image pixel, which removes the
    /// "no pixel yet" test from the inner loop; images are split across <see cref="CpuThreads.Max"/> workers when
    /// the batch is large enough to pay for the fork.
    /// </remarks>
    public static void MaxForward(Span<float> y, Span<float> argmax, ReadOnlySpan<float> x, in Conv2dGeometry g)
    {
        bool withArg = !argmax.IsEmpty;
        if (!Avx.IsSupported || g.C < Vector256<float>.Count)
        {
            if (withArg) MaxForwardNaive(y, argmax, x, g);
            else MaxForwardNaive(y, new float[y.Length], x, g);
            return;
        }
        long work = (long)g.Batch * g.OH * g.OW * g.C * g.KH * g.KW;
        int threads = work >= ParallelMinWork ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        if (threads <= 1)
        {
            MaxForwardImages(y, argmax, x, g, 0, g.Batch);
            return;
        }
        unsafe
        {
            fixed (float* py = y)
            fixed (float* pa = argmax)
            fixed (float* px = x)
            {
                nint ny = (nint)py, na = (nint)pa, nx = (nint)px;
                int yLen = y.Length, aLen = argmax.Length, xLen = x.Length;
                var geo = g;
                CpuThreads.ForRanges(g.Batch, threads, (b0, b1) =>
                    MaxForwardImages(new Span<float>((float*)ny, yLen), new Span<float>((float*)na, aLen),
                                     new ReadOnlySpan<float>((float*)nx, xLen), geo, b0, b1));
            }
        }
    }

    /// <summary>Work (output elements × window taps) below which pooling stays on the calling thread.</summary>
    public const long ParallelMinWork = 1 << 20;

    /// <summary>Images [b0, b1) of <see cref="MaxForward"/>; an empty argmax is not written.</summary>
    private static void MaxForwardImages(Span<float> y, Span<float> argmax, ReadOnlySpan<float> x,
                                         in Conv2dGeometry g, int b0, int b1)
    {
        bool withArg = !argmax.IsEmpty;
        int c = g.C, img = g.H * g.W * c, cv = c - c % Vector256<float>.Count;
        ref float xr0 = ref MemoryMarshal.GetReference(x);
        ref float yr0 = ref MemoryMarshal.GetReference(y);
        ref float ar0 = ref MemoryMarshal.GetReference(argmax);
        for (int b = b0; b < b1; b++)
        for (int oh = 0; oh < g.OH; oh++)
        {
            int ih0 = oh * g.StrideH - g.PadTop;
            int khLo = Math.Max(0, -ih0), khHi = Math.Min(g.KH, g.H - ih0);
            for (int ow = 0; ow < g.OW; ow++)
            {
                int o = ((b * g.OH + oh) * g.OW + ow) * c;
                int iw0 = ow * g.StrideW - g.PadLeft;
                int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.W - iw0);
                if (khLo >= khHi || kwLo >= kwHi)
                {
                    y.Slice(o, c).Fill(float.NegativeInfinity);
                    if (withArg) argmax.Slice(o, c).Fill(-1f);
                    continue;
                }
                int firstPix = (ih0 + khLo) * g.W + iw0 + kwLo;
                for (int ch = 0; ch < c; ch += Vector256<float>.Count)
                {
                    if (ch >= cv) ch = c - Vector256<float>.Count; // overlapping tail: recomputes a few channels
                    if (!withArg)
                    {
                        // No argmax (nothing will run the backward, e.g. a target network under NoGrad): one
                        // Vector256.Max per tap, which propagates NaN like the full rule. IMPALA's pools at batch 32
                        // (profile forward-impala): 0.74 / 0.38 / 0.08 → 0.64–0.84 / 0.33 / 0.05–0.06 ms; the first is
                        // bound by reading its 14.5 MB input, not by the argmax bookkeeping.
                        var m = Vector256.Create(float.NegativeInfinity);
                        for (int kh = khLo; kh < khHi; kh++)
                        {
                            int row = b * img + ((ih0 + kh) * g.W + iw0) * c + ch;
                            for (int kw = kwLo; kw < kwHi; kw++)
                                m = Vector256.Max(m, Vector256.LoadUnsafe(ref xr0, (nuint)(row + kw * c)));
                        }
                        m.StoreUnsafe(ref yr0, (nuint)(o + ch));
                        continue;
                    }
                    // Fast pass: take = v > best, and note whether any NaN went by. NaN is rare, so a window that saw one
                    // is redone with the full rule; without NaN both rules pick the same (first) maximum.
                    var best = Vector256.LoadUnsafe(ref xr0, (nuint)(b * img + firstPix * c + ch));
                    var arg = Vector256.Create((float)firstPix);
                    var nan = Avx.Compare(best, best, FloatComparisonMode.UnorderedNonSignaling);
                    for (int kh = khLo; kh < khHi; kh++)
                    {
                        int ih = ih0 + kh;
                        for (int kw = kh == khLo ? kwLo + 1 : kwLo; kw < kwHi; kw++)
                        {
                            int pix = ih * g.W + iw0 + kw;
                            var v = Vector256.LoadUnsafe(ref xr0, (nuint)(b * img + pix * c + ch));
                            var take = Avx.Compare(v, best, FloatComparisonMode.OrderedGreaterThanNonSignaling);
                            nan = Avx.Or(nan, Avx.Compare(v, v, FloatComparisonMode.UnorderedNonSignaling));
                            best = Avx.BlendVariable(best, v, take);
                            arg = Avx.BlendVariable(arg, Vector256.Create((float)pix), take);
                        }
                    }
                    if (!Avx.TestZ(nan, nan))
                    {
                        (best, arg) = MaxWindowWithNaN(ref xr0, b * img, c, ch, g, ih0, iw0, khLo, khHi, kwLo, kwHi, firstPix);
                    }
                    best.StoreUnsafe(ref yr0, (nuint)(o + ch));
                    arg.StoreUnsafe(ref ar0, (nuint)(o + ch));
                }
            }
        }
    }

    /// <summary>
    /// One window and 8 channels with the full rule: v &gt; best, or v is NaN while best is not (NaN propagates; the
    /// first NaN stays).
    /// </summary>
    private static (Vector256<float> Best, Vector256<float> Arg) MaxWindowWithNaN(
        ref float xr0, int imageOffset, int c, int ch, in Conv2dGeometry g, int ih0, int iw0, int khLo, int khHi,
        int kwLo, int kwHi, int firstPix)
    {
        var best = Vector256.LoadUnsafe(ref xr0, (nuint)(imageOffset + firstPix * c + ch));
        var arg = Vector256.Create((float)firstPix);
        for (int kh = khLo; kh < khHi; kh++)
        {
            int ih = ih0 + kh;
            for (int kw = kh == khLo ? kwLo + 1 : kwLo; kw < kwHi; kw++)
            {
                int pix = ih * g.W + iw0 + kw;
                var v = Vector256.LoadUnsafe(ref xr0, (nuint)(imageOffset + pix * c + ch));
                var take = Avx.Or(Avx.Compare(v, best, FloatComparisonMode.OrderedGreaterThanNonSignaling),
                                  Avx.AndNot(Avx.Compare(best, best, FloatComparisonMode.UnorderedNonSignaling),
                                             Avx.Compare(v, v, FloatComparisonMode.UnorderedNonSignaling)));
                best = Avx.BlendVariable(best, v, take);
                arg = Avx.BlendVariable(arg, Vector256.Create((float)pix), take);
            }
        }
        return (best, arg);
    }

    /// <summary>Scalar reference for <see cref="MaxForward"/> (same tie and NaN rules); kept for tests.</summary>
    public static void MaxForwardNaive(Span<float> y, Span<float> argmax, ReadOnlySpan<float> x, in Conv2dGeometry g)
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
    /// <remarks>
    /// Gathered per input pixel rather than scattered per output: each dx vector of 8 channels sums, over the few
    /// windows that contain its pixel (2×2 at IMPALA's 3×3/2 pooling), the dY entries whose argmax is that pixel, and is
    /// written once. The scatter was scalar (each channel's argmax differs) and serial: 1.5–2 ms at IMPALA's first
    /// pool. Windows are visited in output order, so each pixel's sum adds in the scatter's order. Images split
    /// across threads (disjoint dx).
    /// </remarks>
    public static void MaxBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> argmax,
                                   in Conv2dGeometry g)
    {
        if (!Avx.IsSupported || g.C < Vector256<float>.Count)
        {
            MaxBackwardNaive(dx, dy, argmax, g);
            return;
        }
        long work = (long)g.Batch * g.H * g.W * g.C;
        int threads = work >= ParallelMinWork ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        unsafe
        {
            fixed (float* pdx = dx, pdy = dy, pa = argmax)
            {
                nint ndx = (nint)pdx, ndy = (nint)pdy, na = (nint)pa;
                var geo = g;
                CpuThreads.ForRanges(g.Batch, threads, (b0, b1) =>
                    MaxBackwardImages((float*)ndx, (float*)ndy, (float*)na, geo, b0, b1));
            }
        }
    }

    private static unsafe void MaxBackwardImages(float* dx, float* dy, float* argmax, in Conv2dGeometry g, int b0,
                                                 int b1)
    {
        int c = g.C, cv = c - c % Vector256<float>.Count;
        long img = (long)g.H * g.W * c, per = (long)g.OH * g.OW * c;
        for (int b = b0; b < b1; b++)
        for (int ih = 0; ih < g.H; ih++)
        {
            // Output rows whose window covers ih: oh·s − pad ≤ ih ≤ oh·s − pad + KH − 1.
            var (ohLo, ohHi) = Covering(ih, g.PadTop, g.KH, g.StrideH, g.OH);
            for (int iw = 0; iw < g.W; iw++)
            {
                var (owLo, owHi) = Covering(iw, g.PadLeft, g.KW, g.StrideW, g.OW);
                int pix = ih * g.W + iw;
                var pixV = Vector256.Create((float)pix);
                float* d = dx + b * img + (long)pix * c;
                for (int ch = 0; ch < cv; ch += Vector256<float>.Count)
                {
                    var acc = Vector256<float>.Zero;
                    for (int oh = ohLo; oh < ohHi; oh++)
                    for (int ow = owLo; ow < owHi; ow++)
                    {
                        long o = b * per + ((long)oh * g.OW + ow) * c + ch;
                        var hit = Avx.CompareEqual(Avx.LoadVector256(argmax + o), pixV);
                        acc = Avx.Add(acc, Avx.And(hit, Avx.LoadVector256(dy + o)));
                    }
                    Avx.Store(d + ch, Avx.Add(Avx.LoadVector256(d + ch), acc));
                }
                for (int ch = cv; ch < c; ch++)
                {
                    float acc = 0f;
                    for (int oh = ohLo; oh < ohHi; oh++)
                    for (int ow = owLo; ow < owHi; ow++)
                    {
                        long o = b * per + ((long)oh * g.OW + ow) * c + ch;
                        if (argmax[o] == pix) acc += dy[o];
                    }
                    d[ch] += acc;
                }
            }
        }
    }

    /// <summary>Outputs [lo, hi) along one axis whose window (size k, stride s, leading pad) covers input i.</summary>
    private static (int Lo, int Hi) Covering(int i, int pad, int k, int s, int outSize)
    {
        int first = i + pad - k + 1; // smallest o·s that still reaches i
        int lo = first <= 0 ? 0 : (first + s - 1) / s;
        int hi = Math.Min(outSize, (i + pad) / s + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>The scatter form of <see cref="MaxBackward"/>: test oracle and the path for fewer than 8 channels.</summary>
    public static void MaxBackwardNaive(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> argmax,
                                        in Conv2dGeometry g)
    {
        int c = g.C, img = g.H * g.W * c, per = g.OH * g.OW * c;
        for (int b = 0; b < g.Batch; b++)
        {
            var dxb = dx.Slice(b * img, img);
            // Pixel by pixel with the channel innermost: no per-element modulo to recover the channel.
            for (int i0 = 0; i0 < per; i0 += c)
            {
                int o0 = b * per + i0;
                for (int ch = 0; ch < c; ch++)
                {
                    float a = argmax[o0 + ch];
                    if (a < 0f) continue;
                    dxb[(int)a * c + ch] += dy[o0 + ch];
                }
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
