using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
/// transforms add a few ulps (F(2×2, 3×3) has the smallest error of the Winograd family; <see cref="Conv2dWinograd4"/>
/// trades some of it for 4× fewer multiplies).</para>
/// <para>Layout: NHWC keeps a pixel's channels together, so both transforms are vector code across channels (8 per
/// Vector256) with no shuffles. Tiles are processed in groups of six, the rows of one 6×16 register tile: the six
/// tiles' V (16 × 6 × C floats) and M (16 × 6 × K) stay in L1, and one image's zero-bordered copy in L2.</para>
/// <para>Why: IMPALA's 3×3 SAME convs are 93% of its FLOPs and already ran at 75–95% of the FMA peak directly; only
/// fewer FLOPs could make them faster. The input gradient of a stride-1 3×3 conv is again a 3×3 conv (of dY bordered
/// by 2 − pad, with the flipped, transposed filter; see <see cref="Conv2dPadded"/>), so it runs through the same code.
/// The weight gradient is F(3×3, 2×2) (<see cref="Conv2dWinogradWeightGrad"/>).</para>
/// <para>Threads: images are split across workers; each borders one image at a time into its own buffer.</para>
/// </remarks>
internal static unsafe class Conv2dWinograd
{
    private const int Panel = WinogradDriver.Panel, Positions = 16;

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
        WinogradDriver.Supported(g) && Positions * g.C * g.Cout <= MaxFilterFloats;

    /// <summary>y = conv(x, w) + bias, then max(0, ·) when <paramref name="relu"/>. Requires <see cref="CanForward"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, bool relu)
    {
        WinogradDriver.Forward<Tiles>(y, x, w, bias, g, relu);
    }

    /// <summary>
    /// dx += the input gradient: the 3×3 conv of dY placed at (2 − PadTop, 2 − PadLeft) in a zero border with the
    /// filter w'[a, b, o, c] = w[2 − a, 2 − b, c, o]. Requires <see cref="CanBackwardInput"/>.
    /// </summary>
    public static void AccumulateInputGrad(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                           in Conv2dGeometry g)
    {
        WinogradDriver.AccumulateInputGrad<Tiles>(dx, dy, w, g);
    }

    /// <summary>
    /// u [16, cin, cout] ← G g Gᵀ: <see cref="WinogradDriver.TransformFilter{T}"/>.
    /// </summary>
    internal static void TransformFilter(Span<float> u, ReadOnlySpan<float> w, int c, int k, bool flip) =>
        WinogradDriver.TransformFilter<Tiles>(u, w, c, k, flip);

    /// <summary>F(2×2, 3×3)'s transforms for <see cref="WinogradDriver"/>.</summary>
    private readonly struct Tiles : IWinogradTransform
    {
        public static int Out => 2;

        /// <summary>G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].</summary>
        public static void FilterG(Vector256<float> f0, Vector256<float> f1, Vector256<float> f2, float* o, long os)
        {
            var half = Vector256.Create(0.5f);
            var even = f0 + f2;
            f0.Store(o);
            ((even + f1) * half).Store(o + os);
            ((even - f1) * half).Store(o + 2 * os);
            f2.Store(o + 3 * os);
        }

        public static void InputTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV> =>
            Conv2dWinograd.InputTile<TV>(v, d, row, c, ps);

        public static void OutputTile<TV>(float* y, float* m, float* bias, in WinogradImage s, long ps, int oy, int ox,
                                          bool relu, bool accumulate) where TV : struct, IFloatVector<TV> =>
            Conv2dWinograd.OutputTile<TV>(y, m, bias, s, ps, oy, ox, relu, accumulate);
    }

    /// <summary>
    /// V[ξ, r, :] ← (Bᵀ d B)_ξ for the 4×4 tile d at <paramref name="d"/> (pixel stride <paramref name="c"/>, row stride
    /// <paramref name="row"/>); v points at the tile's row of position 0, positions are <paramref name="ps"/> apart.
    /// Also the weight gradient's input transform (<see cref="Conv2dWinogradWeightGrad"/>). TV: 8 or 16 lanes, as the
    /// caller picked for the whole conv (<see cref="WinogradDriver.WideTransform"/>); the same for the output transform.
    /// </summary>
    internal static void InputTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV>
    {
        for (int q = 0; q < c; q += TV.Count)
        {
            float* a = d + q;
            // t = Bᵀ d, one column j at a time: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
            var t00 = Col(a, row, 0, c, out TV t10, out TV t20, out TV t30);
            var t01 = Col(a, row, 1, c, out TV t11, out TV t21, out TV t31);
            var t02 = Col(a, row, 2, c, out TV t12, out TV t22, out TV t32);
            var t03 = Col(a, row, 3, c, out TV t13, out TV t23, out TV t33);
            float* o = v + q;
            Row(o, ps, t00, t01, t02, t03);
            Row(o + 4 * ps, ps, t10, t11, t12, t13);
            Row(o + 8 * ps, ps, t20, t21, t22, t23);
            Row(o + 12 * ps, ps, t30, t31, t32, t33);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Col<TV>(float* a, int row, int j, int c, out TV t1, out TV t2, out TV t3)
        where TV : struct, IFloatVector<TV>
    {
        float* p = a + j * c;
        var d0 = TV.Load(p);
        var d1 = TV.Load(p + row);
        var d2 = TV.Load(p + 2 * row);
        var d3 = TV.Load(p + 3 * row);
        t1 = d1 + d2;
        t2 = d2 - d1;
        t3 = d1 - d3;
        return d0 - d2;
    }

    /// <summary>One row of t B: v0 = t0 − t2, v1 = t1 + t2, v2 = t2 − t1, v3 = t1 − t3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TV>(float* o, long ps, TV t0, TV t1, TV t2, TV t3) where TV : struct, IFloatVector<TV>
    {
        (t0 - t2).Store(o);
        (t1 + t2).Store(o + ps);
        (t2 - t1).Store(o + 2 * ps);
        (t1 - t3).Store(o + 3 * ps);
    }

    /// <summary>
    /// The 2×2 output pixels at (<paramref name="oy"/>, <paramref name="ox"/>) ← Aᵀ M A (+ bias, ReLU) from one tile's
    /// 16 rows of m (positions <paramref name="ps"/> apart); pixels beyond OH/OW (odd sizes) are not written.
    /// </summary>
    private static void OutputTile<TV>(float* y, float* m, float* bias, in WinogradImage s, long ps, int oy, int ox,
                                       bool relu, bool accumulate) where TV : struct, IFloatVector<TV>
    {
        int k = s.Cout;
        bool down = oy + 1 < s.OH, right = ox + 1 < s.OW;
        float* y00 = y + ((long)oy * s.OW + ox) * k, y10 = y00 + (long)s.OW * k;
        for (int q = 0; q < k; q += TV.Count)
        {
            float* a = m + q;
            // s = Aᵀ M per column j: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (rows i of M are 4·ps apart).
            var s00 = OutCol(a, ps, 0, out TV s10);
            var s01 = OutCol(a, ps, 1, out TV s11);
            var s02 = OutCol(a, ps, 2, out TV s12);
            var s03 = OutCol(a, ps, 3, out TV s13);
            var b = bias is null ? TV.Create(0f) : TV.Load(bias + q);
            var o00 = s00 + s01 + s02 + b;
            var o01 = s01 - s02 - s03 + b;
            var o10 = s10 + s11 + s12 + b;
            var o11 = s11 - s12 - s13 + b;
            WinogradDriver.Put(y00 + q, o00, relu, accumulate);
            if (right) WinogradDriver.Put(y00 + k + q, o01, relu, accumulate);
            if (down)
            {
                WinogradDriver.Put(y10 + q, o10, relu, accumulate);
                if (right) WinogradDriver.Put(y10 + k + q, o11, relu, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV OutCol<TV>(float* a, long ps, int j, out TV s1) where TV : struct, IFloatVector<TV>
    {
        var m0 = TV.Load(a + j * ps);
        var m1 = TV.Load(a + (4 + j) * ps);
        var m2 = TV.Load(a + (8 + j) * ps);
        var m3 = TV.Load(a + (12 + j) * ps);
        s1 = m1 - m2 - m3;
        return m0 + m1 + m2;
    }
}
