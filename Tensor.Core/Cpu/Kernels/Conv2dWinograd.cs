using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// 3×3 stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin &amp; Gray 2016, "Fast Algorithms
/// for Convolutional Neural Networks"): each 2×2 block of output pixels costs 16 multiply-adds per (in, out) channel
/// pair instead of 36, so 2.25× fewer FLOPs than the direct conv, for the price of two cheap linear transforms.
/// </summary>
/// <remarks>
/// <para>Maths: for a 4×4 input tile d and a 3×3 filter g, the 2×2 output tile is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A with
/// Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]], G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]],
/// Aᵀ = [[1,1,1,0],[0,1,−1,−1]]. Summed over input channels, the element-wise product at each of the 16 positions ξ
/// is a matrix product: M_ξ [tiles, K] = V_ξ [tiles, C] · U_ξ [C, K]. It is exact in real arithmetic; in float the
/// transforms add a few ulps (F(2×2, 3×3) has the smallest error of the Winograd family, which is why it is used
/// here and F(4×4, 3×3) is not).</para>
/// <para>Layout: NHWC keeps a pixel's channels together, so both transforms are vector code across channels (8 per
/// Vector256) with no shuffles. Tiles are processed in groups of six, the rows of one 6×16 register tile: the six
/// tiles' V (16 × 6 × C floats) and M (16 × 6 × K) stay in L1, and one image's zero-bordered copy in L2.</para>
/// <para>Why: IMPALA's 3×3 SAME convs are 93% of its FLOPs and already ran at 75–95% of the FMA peak directly; only
/// fewer FLOPs could make them faster. The input gradient of a stride-1 3×3 conv is again a 3×3 conv (of dY bordered
/// by 2 − pad, with the flipped, transposed filter; see <see cref="Conv2dPadded"/>), so it runs through the same code.
/// The weight gradient keeps the direct kernel (<see cref="Conv2dDirectWeightGrad"/>).</para>
/// <para>Threads: images are split across workers; each borders one image at a time into its own buffer.</para>
/// </remarks>
internal static unsafe class Conv2dWinograd
{
    /// <summary>Tiles per group: the rows of the 6×16 register tile.</summary>
    private const int Group = 6;

    /// <summary>Output channels per register tile (two vectors).</summary>
    private const int Panel = 16;

    private const int Positions = 16;

    /// <summary>
    /// 3×3, stride 1, every pad at most 2, input channels a multiple of 8 (whole vectors in the input transform) and
    /// output channels a multiple of 16 (whole register panels), and the transformed filter within
    /// <see cref="MaxFilterFloats"/>.
    /// </summary>
    public static bool CanForward(in Conv2dGeometry g) =>
        Supported(g) && g.C % 8 == 0 && g.Cout % Panel == 0;

    /// <summary>The input gradient's conv has the roles swapped: C outputs (multiple of 16) from Cout inputs (of 8).</summary>
    public static bool CanBackwardInput(in Conv2dGeometry g) =>
        Supported(g) && g.Cout % 8 == 0 && g.C % Panel == 0;

    /// <summary>
    /// Largest transformed filter (16·C·Cout floats) taken: every group of six tiles streams all of it. At IMPALA's
    /// 32×32 channels (64 KiB) the conv measured 1.4–1.6× faster than the direct paths; at Nature conv 3's 64×64
    /// (256 KiB, from L2) slower (forward 0.59 against 0.46 ms, input gradient 0.83 against 0.52 at batch 32).
    /// </summary>
    public const int MaxFilterFloats = Positions * 32 * 32;

    private static bool Supported(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop <= 2 && g.PadBottom <= 2 && g.PadLeft <= 2 && g.PadRight <= 2 && g.OH > 0 && g.OW > 0 &&
        Positions * g.C * g.Cout <= MaxFilterFloats;

    /// <summary>y = conv(x, w) + bias, then max(0, ·) when <paramref name="relu"/>. Requires <see cref="CanForward"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, bool relu)
    {
        float[] u = ArrayPool<float>.Shared.Rent(Positions * g.C * g.Cout);
        try
        {
            TransformFilter(u, w, g.C, g.Cout, flip: false);
            Run(y, x, g.H, g.W, g.C, g.Cout, u, bias, g.PadTop, g.PadLeft, g.OH, g.OW, g, relu, accumulate: false);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(u);
        }
    }

    /// <summary>
    /// dx += the input gradient: the 3×3 conv of dY placed at (2 − PadTop, 2 − PadLeft) in a zero border with the
    /// filter w'[a, b, o, c] = w[2 − a, 2 − b, c, o]. Requires <see cref="CanBackwardInput"/>.
    /// </summary>
    public static void AccumulateInputGrad(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                           in Conv2dGeometry g)
    {
        float[] u = ArrayPool<float>.Shared.Rent(Positions * g.C * g.Cout);
        try
        {
            TransformFilter(u, w, g.C, g.Cout, flip: true);
            Run(dx, dy, g.OH, g.OW, g.Cout, g.C, u, ReadOnlySpan<float>.Empty, 2 - g.PadTop, 2 - g.PadLeft, g.H, g.W,
                g, relu: false, accumulate: true);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(u);
        }
    }

    /// <summary>
    /// u [16, cin, cout] ← G g Gᵀ for every channel pair of w [3, 3, C, K] (HWIO). With <paramref name="flip"/> the
    /// filter is the input gradient's: cin = K, cout = C and g'[a, b] = w[2 − a, 2 − b, c, o] for (in o, out c).
    /// </summary>
    /// <remarks>
    /// Vector code over 8 output channels (cout is whole panels): the scalar version took 37 µs per 32×32 filter
    /// (warm, forward and flipped alternating; this one 24, and 7–8 for either alone), and an IMPALA training step
    /// transforms 27 of those. The flipped filter first transposes each tap's [C, K] matrix (in reversed tap order),
    /// so both cases read output channels contiguously.
    /// </remarks>
    internal static void TransformFilter(Span<float> u, ReadOnlySpan<float> w, int c, int k, bool flip)
    {
        int cin = flip ? k : c, cout = flip ? c : k, taps = cin * cout;
        float[]? flipped = null;
        if (flip)
        {
            flipped = ArrayPool<float>.Shared.Rent(9 * taps);
            for (int t = 0; t < 9; t++)
            {
                MovementKernels.Transpose2D(flipped.AsSpan(t * taps, taps), w.Slice((8 - t) * taps, taps), c, k);
            }
            w = flipped.AsSpan(0, 9 * taps);
        }
        var half = Vector256.Create(0.5f);
        fixed (float* pw = w, pu = u)
        {
            for (int i = 0; i < cin; i++)
            for (int o = 0; o < cout; o += 8)
            {
                float* f = pw + i * cout + o;
                // t = G f (4×3) per column j, then u = t Gᵀ per row r; f[a, b] is tap a·3 + b.
                var f00 = Vector256.Load(f); var f01 = Vector256.Load(f + taps); var f02 = Vector256.Load(f + 2 * taps);
                var f10 = Vector256.Load(f + 3 * taps); var f11 = Vector256.Load(f + 4 * taps); var f12 = Vector256.Load(f + 5 * taps);
                var f20 = Vector256.Load(f + 6 * taps); var f21 = Vector256.Load(f + 7 * taps); var f22 = Vector256.Load(f + 8 * taps);
                float* at = pu + i * cout + o;
                FilterRow(at, taps, f00, f01, f02, half);
                FilterRow(at + 4 * taps, taps, half * (f00 + f10 + f20), half * (f01 + f11 + f21), half * (f02 + f12 + f22), half);
                FilterRow(at + 8 * taps, taps, half * (f00 - f10 + f20), half * (f01 - f11 + f21), half * (f02 - f12 + f22), half);
                FilterRow(at + 12 * taps, taps, f20, f21, f22, half);
            }
        }
        if (flipped is not null) ArrayPool<float>.Shared.Return(flipped);
    }

    /// <summary>One row of t Gᵀ: (t0, (t0 + t1 + t2)/2, (t0 − t1 + t2)/2, t2), positions <paramref name="step"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FilterRow(float* u, int step, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2,
                                  Vector256<float> half)
    {
        t0.Store(u);
        (half * (t0 + t1 + t2)).Store(u + step);
        (half * (t0 - t1 + t2)).Store(u + 2 * step);
        t2.Store(u + 3 * step);
    }

    /// <summary>
    /// dst [B, oh, ow, cout] (=, or += with <paramref name="accumulate"/>) the VALID 3×3 conv of src [B, h, wd, cin]
    /// placed at (<paramref name="top"/>, <paramref name="left"/>) in a zero border, with transformed filter u.
    /// </summary>
    private static void Run(Span<float> dst, ReadOnlySpan<float> src, int h, int wd, int cin, int cout,
                            ReadOnlySpan<float> u, ReadOnlySpan<float> bias, int top, int left, int oh, int ow,
                            in Conv2dGeometry g, bool relu, bool accumulate)
    {
        int ty = (oh + 1) / 2, tx = (ow + 1) / 2, hb = 2 * ty + 2, wb = 2 * tx + 2;
        var shape = new ImageShape(h, wd, cin, cout, top, left, oh, ow, hb, wb);
        int imgIn = h * wd * cin, imgOut = oh * ow * cout, groups = (ty * tx + Group - 1) / Group;
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? CpuThreads.Max : 1;
        // Fewer images than threads (batch-1 acting): each image's groups are split, every part bordering it itself.
        int parts = Math.Clamp(threads / Math.Max(1, g.Batch), 1, groups), units = g.Batch * parts;
        int scratch = hb * wb * cin + Positions * Group * (cin + cout);
        fixed (float* pd = dst, ps = src, pu = u, pb = bias)
        {
            nint nd = (nint)pd, ns = (nint)ps, nu = (nint)pu, nb = bias.IsEmpty ? 0 : (nint)pb;
            CpuThreads.ForRanges(units, Math.Min(threads, units), (lo, hi) =>
            {
                float[] buf = ArrayPool<float>.Shared.Rent(scratch);
                fixed (float* pbuf = buf)
                {
                    float* bordered = pbuf, v = pbuf + (long)hb * wb * cin, m = v + Positions * Group * cin;
                    new Span<float>(v, Positions * Group * cin).Clear(); // rows of a short last group stay finite
                    for (int unit = lo; unit < hi; unit++)
                    {
                        int b = unit / parts, part = unit - b * parts;
                        if (part == 0 || unit == lo)
                            Conv2dPadded.PadImage(bordered, (float*)ns + (long)b * imgIn, h, wd, cin, top, left, hb, wb);
                        Image((float*)nd + (long)b * imgOut, bordered, v, m, (float*)nu, (float*)nb, shape, relu,
                              accumulate, groups * part / parts, groups * (part + 1) / parts);
                    }
                }
                ArrayPool<float>.Shared.Return(buf);
            });
        }
    }

    /// <summary>The sizes of one image's conv: input h×wd×cin, output oh×ow×cout, bordered hb×wb.</summary>
    private readonly record struct ImageShape(int H, int W, int Cin, int Cout, int Top, int Left, int OH, int OW, int HB,
                                          int WB);

    /// <summary>
    /// Groups [g0, g1) of six tiles of one bordered image → their output pixels: input transform, 16 products, output
    /// transform.
    /// </summary>
    private static void Image(float* y, float* x, float* v, float* m, float* u, float* bias, in ImageShape s, bool relu,
                              bool accumulate, int g0, int g1)
    {
        int tx = (s.OW + 1) / 2, tiles = (s.OH + 1) / 2 * tx;
        for (int t0 = g0 * Group; t0 < Math.Min(tiles, g1 * Group); t0 += Group)
        {
            int n = Math.Min(Group, tiles - t0);
            for (int r = 0; r < n; r++)
            {
                int t = t0 + r, i = t / tx, j = t - i * tx;
                InputTile(v + r * s.Cin, Group * s.Cin, x + ((long)2 * i * s.WB + 2 * j) * s.Cin, s.WB * s.Cin, s.Cin);
            }
            for (int p = 0; p < Positions; p++)
            {
                float* vp = v + p * Group * s.Cin, up = u + (long)p * s.Cin * s.Cout, mp = m + p * Group * s.Cout;
                for (int jr = 0; jr < s.Cout; jr += Panel) Product6x16(vp, s.Cin, up + jr, s.Cout, mp + jr);
            }
            for (int r = 0; r < n; r++)
            {
                int t = t0 + r, i = t / tx, j = t - i * tx;
                OutputTile(y, m + r * s.Cout, bias, s, 2 * i, 2 * j, relu, accumulate);
            }
        }
    }

    /// <summary>
    /// V[ξ, r, :] ← (Bᵀ d B)_ξ for the 4×4 tile d at <paramref name="d"/> (pixel stride <paramref name="c"/>, row stride
    /// <paramref name="row"/>); v points at row r of position 0, positions are <paramref name="ps"/> floats apart.
    /// </summary>
    internal static void InputTile(float* v, long ps, float* d, int row, int c)
    {
        for (int q = 0; q < c; q += 8)
        {
            float* a = d + q;
            // t = Bᵀ d, one column j at a time: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
            var t00 = Col(a, row, 0, c, out var t10, out var t20, out var t30);
            var t01 = Col(a, row, 1, c, out var t11, out var t21, out var t31);
            var t02 = Col(a, row, 2, c, out var t12, out var t22, out var t32);
            var t03 = Col(a, row, 3, c, out var t13, out var t23, out var t33);
            float* o = v + q;
            Row(o, ps, t00, t01, t02, t03);
            Row(o + 4 * ps, ps, t10, t11, t12, t13);
            Row(o + 8 * ps, ps, t20, t21, t22, t23);
            Row(o + 12 * ps, ps, t30, t31, t32, t33);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Col(float* a, int row, int j, int c, out Vector256<float> t1,
                                        out Vector256<float> t2, out Vector256<float> t3)
    {
        float* p = a + j * c;
        var d0 = Vector256.Load(p);
        var d1 = Vector256.Load(p + row);
        var d2 = Vector256.Load(p + 2 * row);
        var d3 = Vector256.Load(p + 3 * row);
        t1 = d1 + d2;
        t2 = d2 - d1;
        t3 = d1 - d3;
        return d0 - d2;
    }

    /// <summary>One row of t B: v0 = t0 − t2, v1 = t1 + t2, v2 = t2 − t1, v3 = t1 − t3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float* o, long ps, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2,
                            Vector256<float> t3)
    {
        (t0 - t2).Store(o);
        (t1 + t2).Store(o + ps);
        (t2 - t1).Store(o + 2 * ps);
        (t1 - t3).Store(o + 3 * ps);
    }

    /// <summary>
    /// m [6, 16] (row stride <paramref name="k"/>) ← v [6, c] · u [c, 16] (row stride k): one position's product for a
    /// group of six tiles and one 16-channel output panel, in twelve accumulators.
    /// </summary>
    internal static void Product6x16(float* v, int c, float* u, int k, float* m)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int i = 0; i < c; i++)
        {
            float* ui = u + (long)i * k;
            var b0 = Vector256.Load(ui);
            var b1 = Vector256.Load(ui + 8);
            var a = Vector256.Create(v[i]);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Vector256.Create(v[c + i]);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Vector256.Create(v[2 * c + i]);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Vector256.Create(v[3 * c + i]);
            c30 = Fma.MultiplyAdd(a, b0, c30); c31 = Fma.MultiplyAdd(a, b1, c31);
            a = Vector256.Create(v[4 * c + i]);
            c40 = Fma.MultiplyAdd(a, b0, c40); c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Vector256.Create(v[5 * c + i]);
            c50 = Fma.MultiplyAdd(a, b0, c50); c51 = Fma.MultiplyAdd(a, b1, c51);
        }
        c00.Store(m); c01.Store(m + 8);
        c10.Store(m + k); c11.Store(m + k + 8);
        c20.Store(m + 2 * k); c21.Store(m + 2 * k + 8);
        c30.Store(m + 3 * k); c31.Store(m + 3 * k + 8);
        c40.Store(m + 4 * k); c41.Store(m + 4 * k + 8);
        c50.Store(m + 5 * k); c51.Store(m + 5 * k + 8);
    }

    /// <summary>
    /// The 2×2 output pixels at (<paramref name="oy"/>, <paramref name="ox"/>) ← Aᵀ M A (+ bias, ReLU) from one tile's
    /// 16 rows of m (positions Group·K apart); pixels beyond OH/OW (odd sizes) are not written.
    /// </summary>
    private static void OutputTile(float* y, float* m, float* bias, in ImageShape s, int oy, int ox, bool relu,
                                   bool accumulate)
    {
        int k = s.Cout;
        long ps = Group * k;
        bool down = oy + 1 < s.OH, right = ox + 1 < s.OW;
        float* y00 = y + ((long)oy * s.OW + ox) * k, y10 = y00 + (long)s.OW * k;
        for (int q = 0; q < k; q += 8)
        {
            float* a = m + q;
            // s = Aᵀ M per column j: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (rows i of M are 4·ps apart).
            var s00 = OutCol(a, ps, 0, out var s10);
            var s01 = OutCol(a, ps, 1, out var s11);
            var s02 = OutCol(a, ps, 2, out var s12);
            var s03 = OutCol(a, ps, 3, out var s13);
            var b = bias is null ? Vector256<float>.Zero : Vector256.Load(bias + q);
            var o00 = s00 + s01 + s02 + b;
            var o01 = s01 - s02 - s03 + b;
            var o10 = s10 + s11 + s12 + b;
            var o11 = s11 - s12 - s13 + b;
            Put(y00 + q, o00, relu, accumulate);
            if (right) Put(y00 + k + q, o01, relu, accumulate);
            if (down)
            {
                Put(y10 + q, o10, relu, accumulate);
                if (right) Put(y10 + k + q, o11, relu, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> OutCol(float* a, long ps, int j, out Vector256<float> s1)
    {
        var m0 = Vector256.Load(a + j * ps);
        var m1 = Vector256.Load(a + (4 + j) * ps);
        var m2 = Vector256.Load(a + (8 + j) * ps);
        var m3 = Vector256.Load(a + (12 + j) * ps);
        s1 = m1 - m2 - m3;
        return m0 + m1 + m2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* y, Vector256<float> o, bool relu, bool accumulate)
    {
        if (accumulate) o += Vector256.Load(y);
        if (relu) o = Vector256.Max(o, Vector256<float>.Zero);
        o.Store(y);
    }
}
