using System.Buffers;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// 2-D convolution over NHWC images with HWIO weights, forward and backward, as im2col + GEMM.
/// </summary>
/// <remarks>
/// <para>Glossary: B batch; H×W input spatial; C in-channels; KH×KW kernel; K = Cout out-channels; OH×OW output
/// spatial; P = OH·OW output pixels per image; KK = KH·KW·C patch length (one im2col row, ordered kh, kw, c
/// exactly like the flattened HWIO weight [KK, K]); M = rows of one GEMM (images in the chunk × P).</para>
/// <para>Buffers: x [B, H, W, C], w [KH, KW, C, K] = [KK, K], bias [K], y [B, OH, OW, K] = [B·P, K];
/// col [M, KK]. Because NHWC output rows are output pixels, y = col · w needs no transpose (the reason for the
/// NHWC/HWIO layout, see <c>Ops</c>).</para>
/// <para>Forward: y = im2col(x) · w (+ bias). Backward: dW += colᵀ · dY; dBias += Σ_rows dY;
/// dcol = dY · wᵀ then col2im scatter-adds dcol into dx. Backward kernels accumulate (+=).</para>
/// <para>The <c>*Naive</c> kernels are direct loops kept as test oracle and documentation.</para>
/// <para>Threads: the batch is not split across threads here; all parallelism comes from
/// <see cref="MatMulKernels.Gemm"/>, which threads large products itself (splitting here as well would
/// oversubscribe the two cores). Several images share one GEMM so that M stays large.</para>
/// </remarks>
internal static class Conv2dKernels
{
    /// <summary>
    /// Default upper bound on the floats of one chunk's im2col buffer (16 MiB): bounds memory while keeping the
    /// GEMM's M (images × P) large. Nature conv 1 at batch 32 needs 3.3 M floats, so it runs as one GEMM.
    /// </summary>
    public const int DefaultMaxColFloats = 1 << 22;

    /// <summary>Images per GEMM chunk: as many as fit in <paramref name="maxColFloats"/>, at least one.</summary>
    private static int ImagesPerChunk(in Conv2dGeometry g, int maxColFloats) =>
        Math.Clamp(maxColFloats / Math.Max(1, g.OutPixels * g.PatchSize), 1, Math.Max(1, g.Batch));

    /// <summary>A 1×1, stride-1, unpadded convolution reads x itself as the im2col matrix.</summary>
    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop == 0 && g.PadBottom == 0 && g.PadLeft == 0 && g.PadRight == 0;

    /// <summary>y [B, OH, OW, K] = conv(x [B, H, W, C], w [KK, K]) + bias [K] (bias may be empty).</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, int maxColFloats = DefaultMaxColFloats)
    {
        int kk = g.PatchSize, k = g.Cout, p = g.OutPixels;
        if (IsPointwise(g))
        {
            MatMulKernels.Gemm(false, false, g.Batch * p, k, kk, x, kk, w, k, y, k, accumulate: false);
        }
        else
        {
            int chunk = ImagesPerChunk(g, maxColFloats);
            float[] col = ArrayPool<float>.Shared.Rent(chunk * p * kk);
            try
            {
                for (int b0 = 0; b0 < g.Batch; b0 += chunk)
                {
                    int nb = Math.Min(chunk, g.Batch - b0), m = nb * p;
                    var c = col.AsSpan(0, m * kk);
                    Im2Col(c, x, g, b0, nb);
                    MatMulKernels.Gemm(false, false, m, k, kk, c, kk, w, k, y.Slice(b0 * p * k, m * k), k,
                                       accumulate: false);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(col);
            }
        }
        if (!bias.IsEmpty)
        {
            for (int r = 0; r < g.Batch * p; r++)
            {
                var row = y.Slice(r * k, k);
                TP.Add(row, bias, row);
            }
        }
    }

    /// <summary>dx [B, H, W, C] += col2im(dY [B·P, K] · wᵀ), w [KK, K].</summary>
    public static void BackwardInput(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                     in Conv2dGeometry g, int maxColFloats = DefaultMaxColFloats)
    {
        int kk = g.PatchSize, k = g.Cout, p = g.OutPixels;
        if (IsPointwise(g))
        {
            MatMulKernels.Gemm(false, true, g.Batch * p, kk, k, dy, k, w, k, dx, kk, accumulate: true);
            return;
        }
        int chunk = ImagesPerChunk(g, maxColFloats);
        float[] col = ArrayPool<float>.Shared.Rent(chunk * p * kk);
        try
        {
            for (int b0 = 0; b0 < g.Batch; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.Batch - b0), m = nb * p;
                var c = col.AsSpan(0, m * kk);
                MatMulKernels.Gemm(false, true, m, kk, k, dy.Slice(b0 * p * k, m * k), k, w, k, c, kk,
                                   accumulate: false);
                Col2Im(dx, c, g, b0, nb);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(col);
        }
    }

    /// <summary>
    /// dw [KK, K] += im2col(x)ᵀ · dY and dBias [K] += Σ over B, OH, OW of dY; either output may be empty (skipped).
    /// </summary>
    public static void BackwardWeight(Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy,
                                      ReadOnlySpan<float> x, in Conv2dGeometry g,
                                      int maxColFloats = DefaultMaxColFloats)
    {
        int kk = g.PatchSize, k = g.Cout, p = g.OutPixels;
        if (!dBias.IsEmpty)
        {
            for (int r = 0; r < g.Batch * p; r++) TP.Add(dBias, dy.Slice(r * k, k), dBias);
        }
        if (dw.IsEmpty) return;
        if (IsPointwise(g))
        {
            MatMulKernels.Gemm(true, false, kk, k, g.Batch * p, x, kk, dy, k, dw, k, accumulate: true);
            return;
        }
        int chunk = ImagesPerChunk(g, maxColFloats);
        float[] col = ArrayPool<float>.Shared.Rent(chunk * p * kk);
        try
        {
            for (int b0 = 0; b0 < g.Batch; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.Batch - b0), m = nb * p;
                var c = col.AsSpan(0, m * kk);
                Im2Col(c, x, g, b0, nb);
                MatMulKernels.Gemm(true, false, kk, k, m, c, kk, dy.Slice(b0 * p * k, m * k), k, dw, k,
                                   accumulate: true);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(col);
        }
    }

    /// <summary>
    /// col [nb·P, KK] ← the receptive fields of images b0..b0+nb of x; padded positions are zero. Each (kh, kw)
    /// tap copies C contiguous floats (NHWC keeps a pixel's channels together).
    /// </summary>
    internal static void Im2Col(Span<float> col, ReadOnlySpan<float> x, in Conv2dGeometry g, int b0, int nb)
    {
        int c = g.C, kk = g.PatchSize, rowLen = g.W * c, img = g.H * rowLen;
        int r = 0;
        for (int b = b0; b < b0 + nb; b++)
        {
            var xb = x.Slice(b * img, img);
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++, r++)
                {
                    var dst = col.Slice(r * kk, kk);
                    int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = ih0 + kh;
                        var tapRow = dst.Slice(kh * g.KW * c, g.KW * c);
                        if ((uint)ih >= (uint)g.H)
                        {
                            tapRow.Clear();
                            continue;
                        }
                        // Copy the in-range run of taps in one block; zero the padded taps on either side.
                        int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.W - iw0);
                        if (kwLo >= kwHi)
                        {
                            tapRow.Clear();
                            continue;
                        }
                        tapRow[..(kwLo * c)].Clear();
                        xb.Slice(ih * rowLen + (iw0 + kwLo) * c, (kwHi - kwLo) * c).CopyTo(tapRow[(kwLo * c)..]);
                        tapRow[(kwHi * c)..].Clear();
                    }
                }
            }
        }
    }

    /// <summary>dx[images b0..b0+nb] += col2im(col [nb·P, KK]): the adjoint of <see cref="Im2Col"/>.</summary>
    internal static void Col2Im(Span<float> dx, ReadOnlySpan<float> col, in Conv2dGeometry g, int b0, int nb)
    {
        int c = g.C, kk = g.PatchSize, rowLen = g.W * c, img = g.H * rowLen;
        int r = 0;
        for (int b = b0; b < b0 + nb; b++)
        {
            var xb = dx.Slice(b * img, img);
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++, r++)
                {
                    var src = col.Slice(r * kk, kk);
                    int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
                    int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.W - iw0);
                    if (kwLo >= kwHi) continue;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = ih0 + kh;
                        if ((uint)ih >= (uint)g.H) continue;
                        int len = (kwHi - kwLo) * c;
                        var d = xb.Slice(ih * rowLen + (iw0 + kwLo) * c, len);
                        TP.Add(d, src.Slice((kh * g.KW + kwLo) * c, len), d);
                    }
                }
            }
        }
    }

    /// <summary>Reference forward: the direct 7-deep loop, float accumulation in (kh, kw, c) order.</summary>
    public static void ForwardNaive(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
                                    ReadOnlySpan<float> bias, in Conv2dGeometry g)
    {
        int k = g.Cout;
        for (int b = 0; b < g.Batch; b++)
        for (int oh = 0; oh < g.OH; oh++)
        for (int ow = 0; ow < g.OW; ow++)
        for (int o = 0; o < k; o++)
        {
            float s = bias.IsEmpty ? 0f : bias[o];
            for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
            {
                int ih = oh * g.StrideH - g.PadTop + kh, iw = ow * g.StrideW - g.PadLeft + kw;
                if ((uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) continue;
                for (int ci = 0; ci < g.C; ci++)
                {
                    s += x[((b * g.H + ih) * g.W + iw) * g.C + ci] * w[((kh * g.KW + kw) * g.C + ci) * k + o];
                }
            }
            y[((b * g.OH + oh) * g.OW + ow) * k + o] = s;
        }
    }

    /// <summary>Reference backward: dx += Σ dY·w and dw += Σ x·dY by the chain rule on the direct loop.</summary>
    public static void BackwardNaive(Span<float> dx, Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy,
                                     ReadOnlySpan<float> x, ReadOnlySpan<float> w, in Conv2dGeometry g)
    {
        int k = g.Cout;
        for (int b = 0; b < g.Batch; b++)
        for (int oh = 0; oh < g.OH; oh++)
        for (int ow = 0; ow < g.OW; ow++)
        for (int o = 0; o < k; o++)
        {
            float d = dy[((b * g.OH + oh) * g.OW + ow) * k + o];
            if (!dBias.IsEmpty) dBias[o] += d;
            for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
            {
                int ih = oh * g.StrideH - g.PadTop + kh, iw = ow * g.StrideW - g.PadLeft + kw;
                if ((uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) continue;
                for (int ci = 0; ci < g.C; ci++)
                {
                    int xi = ((b * g.H + ih) * g.W + iw) * g.C + ci, wi = ((kh * g.KW + kw) * g.C + ci) * k + o;
                    if (!dx.IsEmpty) dx[xi] += d * w[wi];
                    if (!dw.IsEmpty) dw[wi] += d * x[xi];
                }
            }
        }
    }
}
