using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// 3×3 stride-1 convolutions by Winograd's minimal filtering F(4×4, 3×3) (Lavin &amp; Gray 2016, "Fast Algorithms
/// for Convolutional Neural Networks", §4–5): each 4×4 block of output pixels costs 36 multiply-adds per (in, out)
/// channel pair instead of 144, 4× fewer than the direct conv (F(2×2, 3×3), <see cref="Conv2dWinograd"/>: 2.25×).
/// </summary>
/// <remarks>
/// <para>Maths: for a 6×6 input tile d and a 3×3 filter g, the 4×4 output tile is Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A with
/// the matrices of Lavin &amp; Gray's F(4×4, 3×3) (interpolation points 0, ±1, ±2, ∞):
/// Bᵀ = [[4,0,−5,0,1,0],[0,−4,−4,1,1,0],[0,4,−4,−1,1,0],[0,−2,−1,2,1,0],[0,2,−1,−2,1,0],[0,4,0,−5,0,1]],
/// G = [[¼,0,0],[−⅙,−⅙,−⅙],[−⅙,⅙,−⅙],[1/24,1/12,⅙],[1/24,−1/12,⅙],[0,0,1]],
/// Aᵀ = [[1,1,1,1,1,0],[0,1,−1,2,−2,0],[0,1,1,4,4,0],[0,1,−1,8,−8,1]].
/// The larger constants (up to 8 in Aᵀ, 5 in Bᵀ) cost accuracy: the error grows with the tile (Lavin &amp; Gray §5);
/// on the tests' cases the worst error is 4–8× F(2×2, 3×3)'s (up to 1.1e-4 against 1.5e-5, outputs of size ~10).</para>
/// <para>Layout and products as in <see cref="WinogradDriver"/>: transforms are vector code across channels, each
/// of the 36 positions is a [tiles, Cin] · [Cin, Cout] product on the 6×16 register tile. The transformed filter
/// (144 KiB at 32×32 channels) streams from L2 for every group of six tiles; processing 2 or 4 groups per position so
/// that each U_ξ panel is reused from L1 measured no faster (21×21, 32→32, batch 32: forward 0.634, 0.637, 0.668 ms
/// for 1, 2, 4 groups), as the 6×16 tile does 12 FMAs per 64 bytes of U, within L2's bandwidth.</para>
/// </remarks>
[SkipLocalsInit] // scratch tiles on the stack are written before they are read
internal static unsafe class Conv2dWinograd4
{
    private const int Panel = WinogradDriver.Panel, Positions = 36;

    /// <summary>Same channel rules as <see cref="Conv2dWinograd.CanForward"/>, and the filter within
    /// <see cref="MaxFilterFloats"/>, or within <see cref="MaxWideFilterFloats"/> for batches of at least two.</summary>
    public static bool CanForward(in Conv2dGeometry g) =>
        WinogradDriver.Supported(g) && g.C % 8 == 0 && g.Cout % Panel == 0 &&
        (FilterFloats(g) <= MaxFilterFloats || FilterFloats(g) <= MaxWideFilterFloats && g.Batch >= 2);

    /// <summary>The input gradient's conv: C outputs (multiple of 16) from Cout inputs (of 8).</summary>
    public static bool CanBackwardInput(in Conv2dGeometry g) =>
        WinogradDriver.Supported(g) && g.Cout % 8 == 0 && g.C % Panel == 0 && FilterFloats(g) <= MaxFilterFloats;

    /// <summary>
    /// The adjoint input gradient (<see cref="AccumulateInputGradAdjoint"/>): the forward's channel rules with the
    /// roles swapped (dY's K channels in whole vectors, dx's C in whole panels), filters within
    /// <see cref="MaxWideFilterFloats"/>, at least two images (overlapping tiles of one image cannot be split
    /// across threads).
    /// </summary>
    public static bool CanBackwardInputAdjoint(in Conv2dGeometry g) =>
        WinogradDriver.Supported(g) && g.Cout % 8 == 0 && g.C % Panel == 0 && FilterFloats(g) <= MaxWideFilterFloats &&
        g.Batch >= 2;

    /// <summary>
    /// Whether F(4×4, 3×3) beats F(2×2, 3×3) for an oh×ow output (of the conv it runs: the input gradient's is H×W),
    /// which the dispatcher asks. Measured with <c>profile conv</c> at batch 32, SAME, forward (ms, F(2×2) / F(4×4);
    /// the input gradient alike or better for F(4×4)): IMPALA's 42×42 16→16 0.78 / 0.60 and 16→32 1.40 / 1.28,
    /// 21×21 32→32 0.65 / 0.48, 11×11 32→32 0.177 / 0.131; at 32→32 also 13×13 0.257 / 0.232, 9×9 0.141 / 0.130,
    /// 8×8 and 7×7 0.087 / 0.074; but 6×6 0.054 / 0.072, 4×4 and 3×3 0.029 / 0.048, and 16→16 at 9×9 a tie
    /// (0.041 / 0.042). Small images lose to F(4×4)'s larger tiles (more wasted edge outputs, and one short group
    /// per image when these were measured, before groups spanned images) and its 36 positions' fixed costs.
    /// </summary>
    public static bool Pays(int oh, int ow) => oh >= 8 && ow >= 8;

    /// <summary>
    /// Whether the dispatcher's forward takes F(4×4, 3×3): where it <see cref="Pays"/> against F(2×2, 3×3), and for
    /// filters wider than F(2×2)'s cap (<see cref="Conv2dWinograd.MaxFilterFloats"/>), where the alternative is the
    /// direct conv: Nature conv 3 (9×9 → 7×7, 64→64, batch 32) 0.22–0.26 ms against direct 0.46–0.47 (F(2×2)
    /// 0.32–0.55). The F(4×4) time is bimodal across processes, 0.25 or 0.36 ms (the adjoint 0.35 or 0.44) with
    /// direct at 0.46 in both, and twice in ~40 processes 1.4 ms; not explained: aligning U and the scratch to 64
    /// bytes, and blocks of 2–4 groups per position, left it as it was.
    /// </summary>
    public static bool PaysForward(in Conv2dGeometry g) => Pays(g.OH, g.OW) || Wide(g);

    /// <summary>
    /// Whether the dispatcher's input gradient takes the adjoint (<see cref="AccumulateInputGradAdjoint"/>): for the
    /// filters wider than both flipped variants take. Nature conv 3 (batch 32): 0.312 ms against the direct GEMM +
    /// col2im's 0.561 (0.606 / 1.087 in a run at half speed). At IMPALA's SAME convs the adjoint has the flipped
    /// conv's tile count and measured alike (21×21 32→32: 1.13–1.16 / 1.16–1.18 at half speed), so they keep it.
    /// </summary>
    public static bool PaysAdjoint(in Conv2dGeometry g) => Wide(g);

    /// <summary>A filter beyond 32×32 channels, F(2×2, 3×3)'s cap (<see cref="Conv2dWinograd.MaxFilterFloats"/>) and
    /// the flipped F(4×4)'s: the alternative is the direct conv.</summary>
    private static bool Wide(in Conv2dGeometry g) => g.C * g.Cout > 32 * 32;

    /// <summary>
    /// Largest filter taken by every conv: 32×32 channels (36·C·Cout floats, 144 KiB), IMPALA's largest.
    /// </summary>
    public const int MaxFilterFloats = Positions * 32 * 32;

    /// <summary>
    /// Largest filter taken by the forward and the adjoint input gradient: 64×64 channels (576 KiB, streamed from L2
    /// by every group of six tiles), Nature conv 3's, for batches of at least two. A batch-1 image (acting) has one
    /// group at 7×7 output, which cannot be split across threads, and stays direct. The flipped input gradient
    /// (<see cref="AccumulateInputGrad"/>) keeps <see cref="MaxFilterFloats"/>: at Nature conv 3 its 9×9 output is
    /// 9 tiles per image, and it measured no faster than the direct GEMM + col2im (0.45–0.57 against 0.52–0.58 ms).
    /// </summary>
    public const int MaxWideFilterFloats = Positions * 64 * 64;

    private static long FilterFloats(in Conv2dGeometry g) => (long)Positions * g.C * g.Cout;

    /// <summary>
    /// y = conv(x, w) + bias, then max(0, ·) when <paramref name="relu"/>. Requires <see cref="CanForward"/>.
    /// </summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, bool relu)
    {
        if (!CanForward(g))
            throw new ArgumentException($"F(4×4, 3×3) forward cannot run {g.KH}×{g.KW} stride " +
                                        $"{g.StrideH}×{g.StrideW}, C = {g.C}, Cout = {g.Cout}");
        WinogradDriver.Forward<Tiles>(y, x, w, bias, g, relu);
    }

    /// <summary>
    /// dx += the input gradient: the 3×3 conv of dY placed at (2 − PadTop, 2 − PadLeft) in a zero border with the
    /// filter w'[a, b, o, c] = w[2 − a, 2 − b, c, o]. Requires <see cref="CanBackwardInput"/>.
    /// </summary>
    public static void AccumulateInputGrad(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                           in Conv2dGeometry g)
    {
        if (!CanBackwardInput(g))
            throw new ArgumentException($"F(4×4, 3×3) input gradient cannot run {g.KH}×{g.KW} stride " +
                                        $"{g.StrideH}×{g.StrideW}, C = {g.C}, Cout = {g.Cout}");
        WinogradDriver.AccumulateInputGrad<Tiles>(dx, dy, w, g);
    }

    /// <summary>
    /// u [36, cin, cout] ← G g Gᵀ: <see cref="WinogradDriver.TransformFilter{T}"/>.
    /// </summary>
    internal static void TransformFilter(Span<float> u, ReadOnlySpan<float> w, int c, int k, bool flip) =>
        WinogradDriver.TransformFilter<Tiles>(u, w, c, k, flip);

    /// <summary>
    /// dx += the input gradient by the adjoint of the forward's tiles (<see
    /// cref="WinogradDriver.AccumulateInputGradAdjoint{T}"/>). Requires <see cref="CanBackwardInputAdjoint"/>.
    /// </summary>
    public static void AccumulateInputGradAdjoint(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                                  in Conv2dGeometry g)
    {
        if (!CanBackwardInputAdjoint(g))
            throw new ArgumentException($"F(4×4, 3×3) adjoint input gradient cannot run {g.KH}×{g.KW} stride " +
                                        $"{g.StrideH}×{g.StrideW}, C = {g.C}, Cout = {g.Cout}, batch {g.Batch}");
        WinogradDriver.AccumulateInputGradAdjoint<Tiles>(dx, dy, w, g);
    }

    /// <summary>F(4×4, 3×3)'s transforms for <see cref="WinogradDriver"/>.</summary>
    private readonly struct Tiles : IWinogradAdjoint
    {
        public static void GradTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV> =>
            Conv2dWinograd4.GradTile<TV>(v, d, row, c, ps);

        public static void ScatterTile<TV>(float* a, float* m, int row, int c, long ps)
            where TV : struct, IFloatVector<TV> =>
            Conv2dWinograd4.ScatterTile<TV>(a, m, row, c, ps);

        public static int Out => 4;

        /// <summary>G = [[¼, 0, 0], [−⅙, −⅙, −⅙], [−⅙, ⅙, −⅙], [1/24, 1/12, ⅙], [1/24, −1/12, ⅙], [0, 0, 1]], rows 1–2
        /// and 3–4 sharing f0 + f2 and f0/24 + f2/6.</summary>
        public static void FilterG(Vector256<float> f0, Vector256<float> f1, Vector256<float> f2, float* o, long os)
        {
            var minusSixth = Vector256.Create(-1f / 6);
            var twelfth = Vector256.Create(1f / 12);
            var even = f0 + f2;
            var pair = Fma.MultiplyAdd(f0, Vector256.Create(1f / 24), f2 * Vector256.Create(1f / 6));
            (f0 * Vector256.Create(0.25f)).Store(o);
            ((even + f1) * minusSixth).Store(o + os);
            ((even - f1) * minusSixth).Store(o + 2 * os);
            Fma.MultiplyAdd(f1, twelfth, pair).Store(o + 3 * os);
            Fma.MultiplyAddNegated(f1, twelfth, pair).Store(o + 4 * os);
            f2.Store(o + 5 * os);
        }

        public static void InputTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV> =>
            Conv2dWinograd4.InputTile<TV>(v, d, row, c, ps);

        public static void OutputTile<TV>(float* y, float* m, float* bias, in WinogradImage s, long ps, int oy, int ox,
                                          bool relu, bool accumulate) where TV : struct, IFloatVector<TV> =>
            Conv2dWinograd4.OutputTile<TV>(y, m, bias, s, ps, oy, ox, relu, accumulate);
    }

    /// <summary>
    /// V[ξ, ·] ← (Bᵀ d B)_ξ for the 6×6 tile d at <paramref name="d"/> (pixel stride <paramref name="c"/>, row stride
    /// <paramref name="row"/>), ξ = 6·i + j; positions are <paramref name="ps"/> floats apart. TV: 8 or 16 lanes, as the
    /// driver picked for the whole conv (<see cref="WinogradDriver.WideTransform"/>); the same for the other transforms.
    /// </summary>
    private static void InputTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count;
        float* t = stackalloc float[Positions * 16]; // t = Bᵀ d for one vector of channels, [i, j, w]
        for (int q = 0; q < c; q += w)
        {
            for (int j = 0; j < 6; j++) Bt<TV>(d + j * c + q, row, t + j * w, 6 * w);
            for (int i = 0; i < 6; i++) Bt<TV>(t + i * 6 * w, w, v + i * 6 * ps + q, ps);
        }
    }

    /// <summary>
    /// o [6] (stride <paramref name="os"/>) ← Bᵀ s for six vectors s (stride <paramref name="ss"/>): Bᵀ's rows
    /// factored so that rows 1–2 and 3–4 share their sums (4 FMAs and 8 adds instead of 20 multiply-adds).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bt<TV>(float* s, long ss, float* o, long os) where TV : struct, IFloatVector<TV>
    {
        Load6(s, ss, out TV d0, out TV d1, out TV d2, out TV d3, out TV d4, out TV d5);
        var four = TV.Create(4f);
        var minusFive = TV.Create(-5f);
        var two = TV.Create(2f);
        TV.MultiplyAdd(four, d0, TV.MultiplyAdd(minusFive, d2, d4)).Store(o);          // 4d0 − 5d2 + d4
        TV.MultiplyAddNegated(four, d1 + d2, d3 + d4).Store(o + os);                   // −4(d1 + d2) + d3 + d4
        TV.MultiplyAdd(four, d1 - d2, d4 - d3).Store(o + 2 * os);                      // 4(d1 − d2) − d3 + d4
        var odd = d3 - d1;
        var even = d4 - d2;
        TV.MultiplyAdd(two, odd, even).Store(o + 3 * os);                              // 2(d3 − d1) − d2 + d4
        TV.MultiplyAddNegated(two, odd, even).Store(o + 4 * os);                       // −2(d3 − d1) − d2 + d4
        TV.MultiplyAdd(four, d1, TV.MultiplyAdd(minusFive, d3, d5)).Store(o + 5 * os); // 4d1 − 5d3 + d5
    }

    /// <summary>
    /// The 4×4 output pixels at (<paramref name="oy"/>, <paramref name="ox"/>) ← Aᵀ M A (+ bias, ReLU) from one tile's
    /// 36 rows of m (positions <paramref name="ps"/> apart); pixels beyond OH/OW (sizes not a multiple of 4) are not
    /// written.
    /// </summary>
    private static void OutputTile<TV>(float* y, float* m, float* bias, in WinogradImage s, long ps, int oy, int ox,
                                       bool relu, bool accumulate) where TV : struct, IFloatVector<TV>
    {
        int k = s.Cout, rows = Math.Min(4, s.OH - oy), cols = Math.Min(4, s.OW - ox), w = TV.Count;
        float* t = stackalloc float[4 * 6 * 16]; // t = Aᵀ M for one vector of channels, [r, j, w]
        for (int q = 0; q < k; q += w)
        {
            for (int j = 0; j < 6; j++)
            {
                At(m + j * ps + q, 6 * ps, out TV s0, out TV s1, out TV s2, out TV s3);
                s0.Store(t + j * w);
                s1.Store(t + (6 + j) * w);
                s2.Store(t + (12 + j) * w);
                s3.Store(t + (18 + j) * w);
            }
            var b = bias is null ? TV.Create(0f) : TV.Load(bias + q);
            for (int r = 0; r < rows; r++)
            {
                At(t + r * 6 * w, w, out TV o0, out TV o1, out TV o2, out TV o3);
                float* yr = y + ((long)(oy + r) * s.OW + ox) * k + q;
                WinogradDriver.Put(yr, o0 + b, relu, accumulate);
                if (cols > 1) WinogradDriver.Put(yr + k, o1 + b, relu, accumulate);
                if (cols > 2) WinogradDriver.Put(yr + 2 * k, o2 + b, relu, accumulate);
                if (cols > 3) WinogradDriver.Put(yr + 3 * k, o3 + b, relu, accumulate);
            }
        }
    }

    /// <summary>(o0..o3) ← Aᵀ s for six vectors s (stride <paramref name="ss"/>), sharing m1 ± m2, m3 ± m4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At<TV>(float* s, long ss, out TV o0, out TV o1, out TV o2, out TV o3)
        where TV : struct, IFloatVector<TV>
    {
        Load6(s, ss, out TV m0, out TV m1, out TV m2, out TV m3, out TV m4, out TV m5);
        var sum12 = m1 + m2;
        var dif12 = m1 - m2;
        var sum34 = m3 + m4;
        var dif34 = m3 - m4;
        o0 = m0 + sum12 + sum34;
        o1 = TV.MultiplyAdd(TV.Create(2f), dif34, dif12);
        o2 = TV.MultiplyAdd(TV.Create(4f), sum34, sum12);
        o3 = TV.MultiplyAdd(TV.Create(8f), dif34, dif12 + m5);
    }

    /// <summary>
    /// V[ξ, ·] ← (A dY Aᵀ)_ξ for the 4×4 dY tile at <paramref name="d"/> (pixel stride <paramref name="c"/>, row
    /// stride <paramref name="row"/>): the transpose of the output transform Aᵀ M A.
    /// </summary>
    private static void GradTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count;
        float* t = stackalloc float[6 * 4 * 16]; // t = A dY for one vector of channels, [i, b, w]
        for (int q = 0; q < c; q += w)
        {
            for (int b = 0; b < 4; b++) Aw<TV>(d + b * c + q, row, t + b * w, 4 * w);
            for (int i = 0; i < 6; i++) Aw<TV>(t + i * 4 * w, w, v + i * 6 * ps + q, ps);
        }
    }

    /// <summary>
    /// o [6] (stride <paramref name="os"/>) ← A s for four vectors s (stride <paramref name="ss"/>), A = (Aᵀ)ᵀ with
    /// rows (1,0,0,0), (1,1,1,1), (1,−1,1,−1), (1,2,4,8), (1,−2,4,−8), (0,0,0,1): rows 1–2 and 3–4 share their sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Aw<TV>(float* s, long ss, float* o, long os) where TV : struct, IFloatVector<TV>
    {
        var s0 = TV.Load(s);
        var s1 = TV.Load(s + ss);
        var s2 = TV.Load(s + 2 * ss);
        var s3 = TV.Load(s + 3 * ss);
        var even = s0 + s2;
        var odd = s1 + s3;
        var even4 = TV.MultiplyAdd(TV.Create(4f), s2, s0);                            // s0 + 4s2
        var odd2 = TV.MultiplyAdd(TV.Create(8f), s3, s1 + s1);                        // 2s1 + 8s3
        s0.Store(o);
        (even + odd).Store(o + os);
        (even - odd).Store(o + 2 * os);
        (even4 + odd2).Store(o + 3 * os);
        (even4 - odd2).Store(o + 4 * os);
        s3.Store(o + 5 * os);
    }

    /// <summary>
    /// The 6×6 pixels at <paramref name="a"/> (pixel stride <paramref name="c"/>, row stride <paramref name="row"/>)
    /// += B M Bᵀ from one tile's 36 rows of m (positions <paramref name="ps"/> apart): the transpose of the input
    /// transform Bᵀ d B.
    /// </summary>
    private static void ScatterTile<TV>(float* a, float* m, int row, int c, long ps) where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count;
        float* t = stackalloc float[Positions * 16]; // t = B M for one vector of channels, [r, j, w]
        for (int q = 0; q < c; q += w)
        {
            for (int j = 0; j < 6; j++)
            {
                Bw(m + j * ps + q, 6 * ps, out TV o0, out TV o1, out TV o2, out TV o3, out TV o4, out TV o5);
                o0.Store(t + j * w);
                o1.Store(t + (6 + j) * w);
                o2.Store(t + (12 + j) * w);
                o3.Store(t + (18 + j) * w);
                o4.Store(t + (24 + j) * w);
                o5.Store(t + (30 + j) * w);
            }
            for (int r = 0; r < 6; r++)
            {
                Bw(t + r * 6 * w, w, out TV o0, out TV o1, out TV o2, out TV o3, out TV o4, out TV o5);
                float* ar = a + (long)r * row + q;
                (TV.Load(ar) + o0).Store(ar);
                (TV.Load(ar + c) + o1).Store(ar + c);
                (TV.Load(ar + 2 * c) + o2).Store(ar + 2 * c);
                (TV.Load(ar + 3 * c) + o3).Store(ar + 3 * c);
                (TV.Load(ar + 4 * c) + o4).Store(ar + 4 * c);
                (TV.Load(ar + 5 * c) + o5).Store(ar + 5 * c);
            }
        }
    }

    /// <summary>
    /// (o0..o5) ← B s for six vectors s (stride <paramref name="ss"/>), B = (Bᵀ)ᵀ: rows (4,0,0,0,0,0),
    /// (0,−4,4,−2,2,4), (−5,−4,−4,−1,−1,0), (0,1,−1,2,−2,−5), (1,1,1,1,1,0), (0,0,0,0,0,1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bw<TV>(float* s, long ss, out TV o0, out TV o1, out TV o2, out TV o3, out TV o4, out TV o5)
        where TV : struct, IFloatVector<TV>
    {
        Load6(s, ss, out TV d0, out TV d1, out TV d2, out TV d3, out TV d4, out TV d5);
        var four = TV.Create(4f);
        var sum12 = d1 + d2;
        var sum34 = d3 + d4;
        o0 = d0 * four;
        o1 = TV.MultiplyAdd(four, d2 - d1 + d5, (d4 - d3) * TV.Create(2f));         // 4(d2 − d1 + d5) + 2(d4 − d3)
        o2 = TV.MultiplyAddNegated(four, sum12, TV.MultiplyAdd(TV.Create(-5f), d0, -sum34));
        o3 = TV.MultiplyAdd(TV.Create(2f), d3 - d4, TV.MultiplyAdd(TV.Create(-5f), d5, d1 - d2));
        o4 = d0 + sum12 + sum34;
        o5 = d5;
    }

    /// <summary>Six vectors <paramref name="ss"/> floats apart: one column or row of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load6<TV>(float* s, long ss, out TV d0, out TV d1, out TV d2, out TV d3, out TV d4, out TV d5)
        where TV : struct, IFloatVector<TV>
    {
        d0 = TV.Load(s);
        d1 = TV.Load(s + ss);
        d2 = TV.Load(s + 2 * ss);
        d3 = TV.Load(s + 3 * ss);
        d4 = TV.Load(s + 4 * ss);
        d5 = TV.Load(s + 5 * ss);
    }
}
