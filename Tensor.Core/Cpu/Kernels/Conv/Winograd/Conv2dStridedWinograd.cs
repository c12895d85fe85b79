using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// VALID convolutions whose kernel is twice their stride (Nature-DQN conv 1: 8×8 stride 4; conv 2: 4×4 stride 2) as
/// a space-to-depth 2×2 stride-1 conv, run by Winograd F(2×2, 2×2) (Lavin &amp; Gray 2016): 9 multiply-adds per
/// 2×2 output block and channel pair instead of 16. Forward (bias and ReLU fused) and weight gradient.
/// </summary>
/// <remarks>
/// <para>Space to depth (block s = stride): x'[i, j, (a·s + b)·C + c] = x[s·i + a, s·j + b, c] and
/// w'[p, q, (a·s + b)·C + c, k] = w[s·p + a, s·q + b, c, k] for p, q ∈ {0, 1} turn y = conv_s(x, w) into
/// y[i, j] = Σ_{p,q} x'[i + p, j + q] · w'[p, q]. Nothing is rearranged in memory: for fixed (i, j, a) the s·C
/// channels (b, c) of x' are s·C contiguous floats of image row s·i + a (16 at conv 1, 64 at conv 2).</para>
/// <para>F(2, 2) (points 0, 1, ∞): Bᵀ = [[1,−1,0],[0,1,0],[0,−1,1]], G = [[1,0],[1,1],[0,1]], Aᵀ = [[1,1,0],[0,1,1]];
/// 2-D tile Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A with 3×3 input tiles. The weight gradient w'_p = Σ_i x'_{i+p} dy_i is
/// F(2, 2) again with dY in the filter's place, summed over tiles before Aᵀ·A (as in
/// <see cref="Conv2dWinogradWeightGrad"/>).</para>
/// <para>Why: the Nature convs ran at 75–90% of the FMA peak directly; only fewer FLOPs could make them faster. The
/// input gradient (only conv 2 needs one) keeps the GEMM + col2im path.</para>
/// </remarks>
internal static unsafe partial class Conv2dStridedWinograd
{
    private const int Positions = 9;

    /// <summary>Tiles per weight-gradient block, shared with the 3×3 one (<see cref="Conv2dWinogradWeightGrad.Block"/>).</summary>
    private const int Block = Conv2dWinogradWeightGrad.Block;

    private const int Group = 6, Panel = 16;

    /// <summary>
    /// Square stride s ≥ 2 with a 2s×2s kernel, no padding, s·C a multiple of 8 (whole vectors per image-row run) and
    /// Cout a multiple of 16.
    /// </summary>
    public static bool CanRun(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.StrideH == g.StrideW && g.StrideH >= 2 && g.KH == 2 * g.StrideH &&
        g.KW == 2 * g.StrideW && g.PadTop == 0 && g.PadBottom == 0 && g.PadLeft == 0 && g.PadRight == 0 &&
        g.StrideH * g.C % 8 == 0 && g.Cout % Panel == 0 && g.OH > 0 && g.OW > 0;

    /// <summary>
    /// <see cref="CanRun"/> and a transformed filter (9·s²·C·Cout floats, streamed by every group of six tiles) of at
    /// most <see cref="MaxForwardFilterFloats"/>.
    /// </summary>
    public static bool CanForward(in Conv2dGeometry g) =>
        CanRun(g) && Positions * g.StrideH * g.StrideW * g.C * g.Cout <= MaxForwardFilterFloats;

    /// <summary>
    /// Nature conv 1's 72 KiB filter (batch 32: 0.82 ms against 0.85 direct); conv 2's 288 KiB was slower than direct
    /// (0.68 against 0.66 ms), as in <see cref="Conv2dWinograd.MaxFilterFloats"/>. The weight gradient has no such
    /// limit (its filter-sized sums are loaded once per 48 tiles): conv 1 0.76 against 1.03 ms, conv 2 0.60 against 0.68.
    /// </summary>
    public const int MaxForwardFilterFloats = Positions * 64 * 32;

    /// <summary>The sizes of the space-to-depth view: tiles, the image extent they read, channels of x'.</summary>
    private readonly record struct View(int S, int C, int Cs, int K, int TY, int TX, int HB, int WB, bool InPlace)
    {
        public static View Of(in Conv2dGeometry g)
        {
            int s = g.StrideH, ty = (g.OH + 1) / 2, tx = (g.OW + 1) / 2;
            int hb = s * (2 * ty + 1), wb = s * (2 * tx + 1);
            return new View(s, g.C, s * s * g.C, g.Cout, ty, tx, hb, wb, hb <= g.H && wb <= g.W);
        }

        public int Tiles => TY * TX;
    }

    /// <summary>y = conv(x, w) + bias, then max(0, ·) when <paramref name="relu"/>. Requires <see cref="CanForward"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, bool relu)
    {
        var vw = View.Of(g);
        int ustep = WinogradDriver.FilterStride(vw.Cs, vw.K); // positions off 4 KiB sets
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? CpuThreads.Max : 1;
        // Fewer images than threads (batch-1 acting): each image's groups of tiles are split.
        int parts = Math.Clamp(threads / Math.Max(1, g.Batch), 1, (vw.Tiles + Group - 1) / Group);
        int units = g.Batch * parts;
        bool wide = WinogradDriver.WideTransform(vw.S * vw.C, vw.K);
        int scratch = (vw.InPlace ? 0 : vw.HB * vw.WB * vw.C) + Positions * Group * (vw.Cs + vw.K);
        fixed (float* py = y, px = x, pw = w, pb = bias)
        {
            nint ny = (nint)py, nx = (nint)px, nw = (nint)pw, nb = bias.IsEmpty ? 0 : (nint)pb;
            int wlen = w.Length;
            var geo = g;
            CpuThreads.ForRanges(units, Math.Min(threads, units), (lo, hi) =>
            {
                // Each thread transforms the filter into its own U (1–2 µs at conv 1), at the same time as the others:
                // one U written by the caller made every other core fetch its 72 KB from the caller's cache on every
                // call, which at batch 1 cost more than the transform when the two cores sit far apart (see
                // ElementwiseSplit.BytesToFloat).
                float[] u = ArrayPool<float>.Shared.Rent(Positions * ustep);
                float[] buf = ArrayPool<float>.Shared.Rent(scratch);
                TransformFilter(u, new ReadOnlySpan<float>((float*)nw, wlen), vw, ustep);
                fixed (float* pbuf = buf, pu = u)
                {
                    float* img = vw.InPlace ? null : pbuf, v = pbuf + (vw.InPlace ? 0 : (long)vw.HB * vw.WB * vw.C);
                    float* m = v + Positions * Group * vw.Cs;
                    new Span<float>(v, Positions * Group * vw.Cs).Clear(); // a short last group reads finite rows
                    for (int unit = lo; unit < hi; unit++)
                    {
                        int b = unit / parts, part = unit - b * parts;
                        float* src = Source((float*)nx, img, geo, vw, b, part == 0 || unit == lo, out int row);
                        int t0 = (int)((long)vw.Tiles * part / parts), t1 = (int)((long)vw.Tiles * (part + 1) / parts);
                        float* yb = (float*)ny + (long)b * geo.OutPixels * vw.K;
                        if (wide) ForwardTiles<Float16>(yb, src, row, v, m, pu, (float*)nb, geo, vw, t0, t1, relu);
                        else ForwardTiles<Float8>(yb, src, row, v, m, pu, (float*)nb, geo, vw, t0, t1, relu);
                    }
                }
                ArrayPool<float>.Shared.Return(buf);
                ArrayPool<float>.Shared.Return(u);
            });
        }
    }

    /// <summary>
    /// Image b's pixels as the tiles read them: x itself when the tiles stay inside it, else (when
    /// <paramref name="copy"/>) a zero-extended copy in <paramref name="img"/>. <paramref name="row"/>: floats per image row.
    /// </summary>
    private static float* Source(float* x, float* img, in Conv2dGeometry g, in View vw, int b, bool copy, out int row)
    {
        float* src = x + (long)b * g.H * g.W * g.C;
        if (vw.InPlace)
        {
            row = g.W * g.C;
            return src;
        }
        row = vw.WB * g.C;
        if (copy)
        {
            int h = Math.Min(g.H, vw.HB), wd = Math.Min(g.W, vw.WB);
            new Span<float>(img, vw.HB * vw.WB * g.C).Clear();
            for (int r = 0; r < h; r++)
            {
                new ReadOnlySpan<float>(src + (long)r * g.W * g.C, wd * g.C).CopyTo(new Span<float>(img + (long)r * row, wd * g.C));
            }
        }
        return img;
    }

    /// <summary>
    /// Output tiles [t0, t1) of one image, six at a time: input transforms, 9 products, output transforms. The six
    /// tiles' V (9 × 6 × Cs floats, 14 KiB at conv 1) stay in L1: with 48-tile blocks V spilled to L2 and the input
    /// transform's stores took a quarter of the conv (0.23 of 0.86 ms at batch 32).
    /// </summary>
    private static void ForwardTiles<TV>(float* y, float* x, int row, float* v, float* m, float* u, float* bias,
                                     in Conv2dGeometry g, in View vw, int t0, int t1, bool relu)
        where TV : struct, IFloatVector<TV>
    {
        int cs = vw.Cs, k = vw.K;
        for (int b0 = t0; b0 < t1; b0 += Group)
        {
            int n = Math.Min(Group, t1 - b0);
            for (int r = 0; r < n; r++)
            {
                int t = b0 + r, i = t / vw.TX, j = t - i * vw.TX;
                InputTile<TV>(v + r * cs, Group * cs, x, row, vw, 2 * i, 2 * j);
            }
            for (int p = 0; p < Positions; p++)
            {
                float* vp = v + p * Group * cs, up = u + (long)p * WinogradDriver.FilterStride(cs, k), mp = m + p * Group * k;
                WinogradDriver.GroupProduct(vp, cs, up, k, mp, n);
            }
            for (int r = 0; r < n; r++)
            {
                int t = b0 + r, i = t / vw.TX, j = t - i * vw.TX;
                OutputTile<TV>(y, m + r * k, Group * k, bias, g, 2 * i, 2 * j, relu);
            }
        }
    }

    /// <summary>
    /// V[ξ, r, :] ← (Bᵀ d B)_ξ for the 3×3 tile of x' whose corner is x' pixel (<paramref name="i"/>,
    /// <paramref name="j"/>); positions <paramref name="ps"/> floats apart.
    /// </summary>
    private static void InputTile<TV>(float* v, long ps, float* x, int row, in View vw, int i, int j)
        where TV : struct, IFloatVector<TV>
    {
        int s = vw.S, run = s * vw.C;
        long pixRow = (long)s * row, pixCol = run; // one x' pixel down / right
        for (int a = 0; a < s; a++)
        {
            float* d = x + ((long)s * i + a) * row + (long)s * j * vw.C;
            float* o = v + a * run;
            for (int q = 0; q < run; q += TV.Count)
            {
                float* e = d + q, w = o + q;
                var d00 = TV.Load(e); var d01 = TV.Load(e + pixCol); var d02 = TV.Load(e + 2 * pixCol);
                float* e1 = e + pixRow;
                var d10 = TV.Load(e1); var d11 = TV.Load(e1 + pixCol); var d12 = TV.Load(e1 + 2 * pixCol);
                float* e2 = e1 + pixRow;
                var d20 = TV.Load(e2); var d21 = TV.Load(e2 + pixCol); var d22 = TV.Load(e2 + 2 * pixCol);
                // t = Bᵀ d: rows (d0 − d1, d1, d2 − d1); then v = t B: columns (t0 − t1, t1, t2 − t1).
                var t00 = d00 - d10; var t01 = d01 - d11; var t02 = d02 - d12;
                var t20 = d20 - d10; var t21 = d21 - d11; var t22 = d22 - d12;
                (t00 - t01).Store(w); t01.Store(w + ps); (t02 - t01).Store(w + 2 * ps);
                (d10 - d11).Store(w + 3 * ps); d11.Store(w + 4 * ps); (d12 - d11).Store(w + 5 * ps);
                (t20 - t21).Store(w + 6 * ps); t21.Store(w + 7 * ps); (t22 - t21).Store(w + 8 * ps);
            }
        }
    }

    /// <summary>The 2×2 output pixels at (oy, ox) ← Aᵀ M A (+ bias, ReLU); pixels beyond OH/OW are not written.</summary>
    private static void OutputTile<TV>(float* y, float* m, long ps, float* bias, in Conv2dGeometry g, int oy, int ox,
                                       bool relu) where TV : struct, IFloatVector<TV>
    {
        int k = g.Cout;
        bool down = oy + 1 < g.OH, right = ox + 1 < g.OW;
        float* y00 = y + ((long)oy * g.OW + ox) * k, y10 = y00 + (long)g.OW * k;
        for (int q = 0; q < k; q += TV.Count)
        {
            var (o00, o01, o10, o11) = OutputQuad<TV>(m + q, ps);
            var b = bias is null ? TV.Create(0f) : TV.Load(bias + q);
            Put(y00 + q, o00 + b, relu);
            if (right) Put(y00 + k + q, o01 + b, relu);
            if (down)
            {
                Put(y10 + q, o10 + b, relu);
                if (right) Put(y10 + k + q, o11 + b, relu);
            }
        }
    }

    /// <summary>
    /// One tile's 2×2 outputs Aᵀ M A for eight channels at <paramref name="a"/> (the 9 positions ps apart):
    /// s = Aᵀ M per column (s0 = m0 + m1, s1 = m1 + m2, rows of M 3·ps apart), then y = s A.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TV, TV, TV, TV) OutputQuad<TV>(float* a, long ps) where TV : struct, IFloatVector<TV>
    {
        var m00 = TV.Load(a); var m01 = TV.Load(a + ps); var m02 = TV.Load(a + 2 * ps);
        var m10 = TV.Load(a + 3 * ps); var m11 = TV.Load(a + 4 * ps); var m12 = TV.Load(a + 5 * ps);
        var m20 = TV.Load(a + 6 * ps); var m21 = TV.Load(a + 7 * ps); var m22 = TV.Load(a + 8 * ps);
        var s00 = m00 + m10; var s01 = m01 + m11; var s02 = m02 + m12;
        var s10 = m10 + m20; var s11 = m11 + m21; var s12 = m12 + m22;
        return (s00 + s01, s01 + s02, s10 + s11, s11 + s12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TV>(float* y, TV o, bool relu) where TV : struct, IFloatVector<TV>
    {
        if (relu) o = TV.Max(o, TV.Create(0f));
        o.Store(y);
    }

    /// <summary>
    /// u [9, Cs, K] (positions <paramref name="step"/> apart) ← G g Gᵀ of the space-to-depth filter w' (see the
    /// remarks) from w [2s, 2s, C, K], as vector code over 8 output channels (K is whole vectors). With
    /// <paramref name="flip"/> g is w'[1 − p, 1 − q] (the input gradient's filter, before its transpose).
    /// </summary>
    private static void TransformFilter(Span<float> u, ReadOnlySpan<float> w, in View vw, int step, bool flip = false)
    {
        int s = vw.S, c = vw.C, k = vw.K, ck = c * k;
        long rowTap = 2L * s * ck; // one kernel row down
        fixed (float* pw = w, pu = u)
        {
            for (int a = 0; a < s; a++)
            for (int bb = 0; bb < s; bb++)
            for (int ci = 0; ci < c; ci++)
            {
                int q = (a * s + bb) * c + ci;
                float* g00 = pw + (long)a * rowTap + (long)bb * ck + (long)ci * k; // w[a, bb, ci, ·]
                float* g01 = g00 + (long)s * ck;                                   // w[a, s + bb]
                float* g10 = g00 + s * rowTap;                                     // w[s + a, bb]
                float* g11 = g10 + (long)s * ck;                                   // w[s + a, s + bb]
                if (flip)
                {
                    float* t00 = g00, t01 = g01;
                    g00 = g11;
                    g11 = t00;
                    g01 = g10;
                    g10 = t01;
                }
                float* at = pu + (long)q * k;
                for (int o = 0; o < k; o += 8)
                {
                    // G g (3×2): rows (g0·, g0· + g1·, g1·); then · Gᵀ the same way along the columns.
                    var r00 = Vector256.Load(g00 + o); var r01 = Vector256.Load(g01 + o);
                    var r20 = Vector256.Load(g10 + o); var r21 = Vector256.Load(g11 + o);
                    var r10 = r00 + r20; var r11 = r01 + r21;
                    float* d = at + o;
                    r00.Store(d); (r00 + r01).Store(d + step); r01.Store(d + 2 * step);
                    r10.Store(d + 3 * step); (r10 + r11).Store(d + 4 * step); r11.Store(d + 5 * step);
                    r20.Store(d + 6 * step); (r20 + r21).Store(d + 7 * step); r21.Store(d + 8 * step);
                }
            }
        }
    }

    /// <summary>
    /// dw [2s, 2s, C, K] += the weight gradient and, unless <paramref name="dBias"/> is empty, dBias [K] += Σ dY.
    /// Requires <see cref="CanRun"/>.
    /// </summary>
    public static void AccumulateWeightGrad(Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy,
                                            ReadOnlySpan<float> x, in Conv2dGeometry g)
    {
        var vw = View.Of(g);
        int mSize = Positions * vw.Cs * vw.K;
        bool withBias = !dBias.IsEmpty;
        int size = mSize + (withBias ? vw.K : 0);
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        bool wide = WinogradDriver.WideTransform(vw.S * vw.C, vw.K);
        float[] total;
        fixed (float* pdy = dy, px = x)
        {
            nint ndy = (nint)pdy, nx = (nint)px;
            var geo = g;
            total = ImagePartials.Sum(g.Batch, threads, size, (sum, lo, hi) =>
            {
                if (wide)
                    WeightGradImages<Float16>(sum, withBias ? sum + mSize : null, (float*)ndy, (float*)nx, geo, vw, lo, hi);
                else
                    WeightGradImages<Float8>(sum, withBias ? sum + mSize : null, (float*)ndy, (float*)nx, geo, vw, lo, hi);
            });
        }
        WeightOutputTransform(dw, total.AsSpan(0, mSize), vw);
        if (withBias) TP.Add(dBias, total.AsSpan(mSize, vw.K), dBias);
        ArrayPool<float>.Shared.Return(total);
    }

    /// <summary>Images [b0, b1) summed into m [9, Cs, K] and dBias [K] (null: none).</summary>
    private static void WeightGradImages<TV>(float* m, float* dBias, float* dy, float* x, in Conv2dGeometry g,
                                             in View vw, int b0, int b1) where TV : struct, IFloatVector<TV>
    {
        int cs = vw.Cs, k = vw.K;
        bool odd = g.OH % 2 != 0 || g.OW % 2 != 0;
        int dyTiles = 4 * vw.Tiles * k;
        int scratch = (vw.InPlace ? 0 : vw.HB * vw.WB * vw.C) + (odd ? dyTiles : 0) + Positions * Block * (cs + k);
        float[] buf = ArrayPool<float>.Shared.Rent(scratch);
        fixed (float* pb = buf)
        {
            float* img = pb, dyb = img + (vw.InPlace ? 0 : (long)vw.HB * vw.WB * vw.C);
            float* v = dyb + (odd ? dyTiles : 0), yt = v + Positions * Block * cs;
            int fill = 0; // blocks fill with tiles of consecutive images (conv 2 has 25 per image)
            for (int b = b0; b < b1; b++)
            {
                float* src = Source(x, img, g, vw, b, copy: true, out int row);
                float* dyImg = Conv2dWinogradWeightGrad.TileDy(dy + (long)b * g.OutPixels * k, dyb, g.OH, g.OW, k, dBias,
                                                               out int dyRow);
                for (int t = 0; t < vw.Tiles; t++)
                {
                    int i = t / vw.TX, j = t - i * vw.TX;
                    InputTile<TV>(v + fill * cs, Block * cs, src, row, vw, 2 * i, 2 * j);
                    GradTile<TV>(yt + fill * k, Block * k, dyImg + (long)2 * i * dyRow + 2 * j * k, dyRow, k);
                    if (++fill == Block)
                    {
                        Conv2dWinogradWeightGrad.SumBlock(m, v, yt, cs, k, fill, Positions);
                        fill = 0;
                    }
                }
            }
            if (fill > 0) Conv2dWinogradWeightGrad.SumBlock(m, v, yt, cs, k, fill, Positions);
        }
        ArrayPool<float>.Shared.Return(buf);
    }

    /// <summary>Y[ξ, r, :] ← (G dy Gᵀ)_ξ for the 2×2 dY block at <paramref name="d"/>; positions ps apart.</summary>
    private static void GradTile<TV>(float* y, long ps, float* d, int row, int k) where TV : struct, IFloatVector<TV>
    {
        for (int q = 0; q < k; q += TV.Count)
        {
            float* a = d + q;
            var d00 = TV.Load(a);
            var d01 = TV.Load(a + k);
            var d10 = TV.Load(a + row);
            var d11 = TV.Load(a + row + k);
            // G dy: rows (dy0, dy0 + dy1, dy1); then the same along the columns.
            var s0 = d00 + d10;
            var s1 = d01 + d11;
            float* o = y + q;
            d00.Store(o); (d00 + d01).Store(o + ps); d01.Store(o + 2 * ps);
            s0.Store(o + 3 * ps); (s0 + s1).Store(o + 4 * ps); s1.Store(o + 5 * ps);
            d10.Store(o + 6 * ps); (d10 + d11).Store(o + 7 * ps); d11.Store(o + 8 * ps);
        }
    }

    /// <summary>dw [2s, 2s, C, K] += Aᵀ M A of every (x' channel, output channel) pair, scattered back to depth.</summary>
    private static void WeightOutputTransform(Span<float> dw, ReadOnlySpan<float> m, in View vw)
    {
        int s = vw.S, c = vw.C, k = vw.K, kw = 2 * s, step = vw.Cs * k;
        for (int a = 0; a < s; a++)
        for (int bb = 0; bb < s; bb++)
        for (int ci = 0; ci < c; ci++)
        {
            int q = (a * s + bb) * c + ci;
            for (int o = 0; o < k; o++)
            {
                int at = q * k + o;
                // s = Aᵀ M (rows m0 + m1, m1 + m2), then · A along the columns.
                float s0 = m[at] + m[at + 3 * step], s1 = m[at + step] + m[at + 4 * step], s2 = m[at + 2 * step] + m[at + 5 * step];
                float t0 = m[at + 3 * step] + m[at + 6 * step], t1 = m[at + 4 * step] + m[at + 7 * step],
                      t2 = m[at + 5 * step] + m[at + 8 * step];
                dw[((a * kw) + bb) * c * k + ci * k + o] += s0 + s1;
                dw[((a * kw) + s + bb) * c * k + ci * k + o] += s1 + s2;
                dw[(((s + a) * kw) + bb) * c * k + ci * k + o] += t0 + t1;
                dw[(((s + a) * kw) + s + bb) * c * k + ci * k + o] += t1 + t2;
            }
        }
    }
}
