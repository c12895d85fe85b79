using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// The tile transforms of one Winograd variant F(m×m, 3×3) (<see cref="Conv2dWinograd"/> for m = 2,
/// <see cref="Conv2dWinograd4"/> for m = 4), which <see cref="WinogradDriver"/> runs over bordered images.
/// </summary>
internal unsafe interface IWinogradTransform
{
    /// <summary>Output pixels per tile side (m); input tiles are m + 2 wide and overlap by 2.</summary>
    static abstract int Out { get; }

    /// <summary>
    /// o [m + 2] (stride <paramref name="os"/>) ← G · (f0, f1, f2)ᵀ, eight channel pairs at a time: one side of the
    /// filter transform G g Gᵀ.
    /// </summary>
    static abstract void FilterG(Vector256<float> f0, Vector256<float> f1, Vector256<float> f2, float* o, long os);

    /// <summary>
    /// V[ξ, ·] ← (Bᵀ d B)_ξ for the (m + 2)² tile d at <paramref name="d"/> (pixel stride <paramref name="c"/>, row
    /// stride <paramref name="row"/>); v points at this tile's row of position 0, positions are
    /// <paramref name="ps"/> floats apart.
    /// </summary>
    static abstract void InputTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV>;

    /// <summary>
    /// The m×m output pixels at (<paramref name="oy"/>, <paramref name="ox"/>) ← Aᵀ M A (+ bias, ReLU) from one tile's
    /// rows of m (positions <paramref name="ps"/> floats apart); pixels beyond OH/OW are not written.
    /// </summary>
    static abstract void OutputTile<TV>(float* y, float* m, float* bias, in WinogradImage s, long ps, int oy, int ox,
                                        bool relu, bool accumulate) where TV : struct, IFloatVector<TV>;
}

/// <summary>
/// The transforms of the adjoint input gradient (<see cref="WinogradDriver.AccumulateInputGradAdjoint{T}"/>): the
/// forward's Aᵀ and Bᵀ steps transposed.
/// </summary>
internal unsafe interface IWinogradAdjoint : IWinogradTransform
{
    /// <summary>
    /// V[ξ, ·] ← (A dY Aᵀ)_ξ for the m×m dY tile at <paramref name="d"/> (pixel stride <paramref name="c"/>, row
    /// stride <paramref name="row"/>); positions <paramref name="ps"/> floats apart.
    /// </summary>
    static abstract void GradTile<TV>(float* v, float* d, int row, int c, long ps) where TV : struct, IFloatVector<TV>;

    /// <summary>
    /// The (m + 2)² pixels at <paramref name="a"/> (pixel stride <paramref name="c"/>, row stride
    /// <paramref name="row"/>) += B M Bᵀ from one tile's rows of m (positions <paramref name="ps"/> floats apart).
    /// </summary>
    static abstract void ScatterTile<TV>(float* a, float* m, int row, int c, long ps) where TV : struct, IFloatVector<TV>;
}

/// <summary>The sizes of one image's conv: input h×wd×cin, output oh×ow×cout, bordered hb×wb.</summary>
internal readonly record struct WinogradImage(int H, int W, int Cin, int Cout, int Top, int Left, int OH, int OW,
                                              int HB, int WB);

/// <summary>
/// What every Winograd variant shares: threading over images, the zero-bordered copy, groups of six tiles, the
/// per-position products [tiles, Cin] · [Cin, Cout] on a 6×16 FMA register tile (Lavin &amp; Gray 2016, §4: summed over
/// input channels, the element-wise product at each position is a matrix product), and the fused epilogue.
/// </summary>
[SkipLocalsInit] // scratch tiles on the stack are written before they are read
internal static unsafe class WinogradDriver
{
    /// <summary>Tiles per group: the rows of the 6×16 register tile.</summary>
    public const int Group = 6;

    /// <summary>Output channels per register tile (two vectors).</summary>
    public const int Panel = 16;

    /// <summary>Positions per tile, (m + 2)².</summary>
    public static int Positions<T>() where T : IWinogradTransform => (T.Out + 2) * (T.Out + 2);

    /// <summary>
    /// 3×3, stride 1, every pad at most 2 (the zero border of the input gradient's conv is 2 − pad), non-empty output,
    /// and an FMA machine for the register tile.
    /// </summary>
    public static bool Supported(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop <= 2 && g.PadBottom <= 2 && g.PadLeft <= 2 && g.PadRight <= 2 && g.OH > 0 && g.OW > 0;

    /// <summary>
    /// Floats between positions of the transformed filter: cin·cout plus one cache line, so that the (m + 2)² slices
    /// written together by <see cref="TransformFilter{T}"/> do not all fall in one L1 set (at 32×32 channels they
    /// would be exactly 4 KiB apart; F(4×4)'s transform measured 0.038 ms against 0.006 for F(2×2) before).
    /// </summary>
    public static int FilterStride(int cin, int cout) => cin * cout + 16;

    /// <summary>Floats of the transformed filter u.</summary>
    public static int FilterFloats<T>(int cin, int cout) where T : IWinogradTransform =>
        Positions<T>() * FilterStride(cin, cout);

    /// <summary>y = conv(x, w) + bias, then max(0, ·) when <paramref name="relu"/>.</summary>
    public static void Forward<T>(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
                                  ReadOnlySpan<float> bias, in Conv2dGeometry g, bool relu) where T : IWinogradTransform
    {
        float[] u = ArrayPool<float>.Shared.Rent(FilterFloats<T>(g.C, g.Cout));
        try
        {
            TransformFilter<T>(u, w, g.C, g.Cout, flip: false);
            Run<T>(y, x, g.H, g.W, g.C, g.Cout, u, bias, g.PadTop, g.PadLeft, g.OH, g.OW, g, relu, accumulate: false);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(u);
        }
    }

    /// <summary>
    /// dx += the input gradient: the 3×3 conv of dY placed at (2 − PadTop, 2 − PadLeft) in a zero border with the
    /// filter w'[a, b, o, c] = w[2 − a, 2 − b, c, o].
    /// </summary>
    public static void AccumulateInputGrad<T>(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                              in Conv2dGeometry g) where T : IWinogradTransform
    {
        float[] u = ArrayPool<float>.Shared.Rent(FilterFloats<T>(g.Cout, g.C));
        try
        {
            TransformFilter<T>(u, w, g.C, g.Cout, flip: true);
            Run<T>(dx, dy, g.OH, g.OW, g.Cout, g.C, u, ReadOnlySpan<float>.Empty, 2 - g.PadTop, 2 - g.PadLeft, g.H,
                   g.W, g, relu: false, accumulate: true);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(u);
        }
    }

    /// <summary>
    /// dx += the input gradient by the adjoint of the forward's tiling (Lavin &amp; Gray's Y = Aᵀ[U ⊙ (Bᵀ d B)]A read
    /// backwards): for every output tile of the forward, dd = B[Σ_k U_ξᵀ ⊙ (A dY Aᵀ)]Bᵀ is added into its (m + 2)²
    /// input tile, neighbours overlapping by 2. It has the forward's tile count (Nature conv 3: 4 F(4×4) tiles per
    /// image) where the flipped conv of <see cref="AccumulateInputGrad{T}"/> tiles the whole H×W (9 per image, most
    /// of each multiplying dY's zero border). Overlapping tiles of one image must run on one thread, so workers take
    /// whole images: a batch-1 image would run on one thread.
    /// </summary>
    public static void AccumulateInputGradAdjoint<T>(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                                     in Conv2dGeometry g) where T : IWinogradAdjoint
    {
        float[] u = ArrayPool<float>.Shared.Rent(FilterFloats<T>(g.Cout, g.C));
        try
        {
            TransformFilter<T>(u, w, g.C, g.Cout, flip: true, reverse: false);
            RunAdjoint<T>(dx, dy, u, g);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(u);
        }
    }

    /// <summary>
    /// u [(m + 2)², cin, cout] (positions <see cref="FilterStride"/> apart) ← G g Gᵀ for every channel pair of
    /// w [3, 3, C, K] (HWIO). With <paramref name="flip"/>
    /// the filter is the input gradient's: cin = K, cout = C and g'[a, b] = w[2 − a, 2 − b, c, o] for (in o, out c),
    /// first copied into that order so both cases run as vector code over contiguous output channels; without
    /// <paramref name="reverse"/> g'[a, b] = w[a, b, c, o], whose transform is each position's Uᵀ (the adjoint's).
    /// </summary>
    public static void TransformFilter<T>(Span<float> u, ReadOnlySpan<float> w, int c, int k, bool flip,
                                          bool reverse = true) where T : IWinogradTransform
    {
        int cin = flip ? k : c, cout = flip ? c : k, n = T.Out + 2, step = cin * cout, us = FilterStride(cin, cout);
        if (cout % 8 != 0)
            throw new ArgumentException($"Winograd filter transform needs output channels in whole vectors; got " +
                                        $"{cout} (C = {c}, K = {k}, flip = {flip})");
        if (w.Length < 9 * step || u.Length < n * n * us)
            throw new ArgumentException($"Winograd filter transform: w has {w.Length} floats, u {u.Length}; need " +
                                        $"{9 * step} and {n * n * us} for C = {c}, K = {k}");
        float[]? flipped = null;
        if (flip)
        {
            flipped = ArrayPool<float>.Shared.Rent(9 * step);
            for (int tap = 0; tap < 9; tap++) // each tap's [C, K] transposed, in reversed tap order
                MovementKernels.Transpose2D(flipped.AsSpan(tap * step, step),
                                            w.Slice((reverse ? 8 - tap : tap) * step, step), c, k);
            w = flipped;
        }
        fixed (float* pw = w, pu = u)
        {
            nint nw = (nint)pw, nu = (nint)pu;
            // Serial, the 64×64 transform (36 × 4096 floats written) took 0.03–0.065 ms, 15–30% of F(4×4)'s whole
            // forward at Nature conv 3; split over input channels it runs on every core.
            int threads = cin * cout >= 64 * 64 ? Math.Min(CpuThreads.Max, cin) : 1;
            CpuThreads.ForRanges(cin, threads, (i0, i1) =>
                TransformRows<T>((float*)nu, (float*)nw, i0, i1, cout, step, us));
        }
        if (flipped is not null) ArrayPool<float>.Shared.Return(flipped);
    }

    /// <summary>u's rows for input channels [i0, i1): G g Gᵀ for each (i, eight outputs).</summary>
    private static void TransformRows<T>(float* pu, float* pw, int i0, int i1, int cout, int step, int us)
        where T : IWinogradTransform
    {
        int n = T.Out + 2;
        float* t = stackalloc float[6 * 3 * 8]; // t = G g for eight pairs, [r, b, 8]
        for (int i = i0; i < i1; i++)
        for (int o = 0; o < cout; o += 8)
        {
            float* f = pw + i * cout + o;
            for (int b = 0; b < 3; b++)
                T.FilterG(Vector256.Load(f + b * step), Vector256.Load(f + (3 + b) * step),
                          Vector256.Load(f + (6 + b) * step), t + b * 8, 3 * 8);
            for (int r = 0; r < n; r++)
                T.FilterG(Vector256.Load(t + r * 24), Vector256.Load(t + r * 24 + 8),
                          Vector256.Load(t + r * 24 + 16), pu + (long)r * n * us + i * cout + o, us);
        }
    }

    /// <summary>
    /// dst [B, oh, ow, cout] (=, or += with <paramref name="accumulate"/>) the VALID 3×3 conv of src [B, h, wd, cin]
    /// placed at (<paramref name="top"/>, <paramref name="left"/>) in a zero border, with transformed filter u.
    /// The batch's tiles form one list (image-major, then row-major within an image), so a group of six may hold
    /// tiles of consecutive images: small images (Nature conv 3's 7×7 output is 4 F(4×4) tiles) fill whole groups
    /// instead of wasting rows of the register tile in every image's last group.
    /// </summary>
    private static void Run<T>(Span<float> dst, ReadOnlySpan<float> src, int h, int wd, int cin, int cout,
                              ReadOnlySpan<float> u, ReadOnlySpan<float> bias, int top, int left, int oh, int ow,
                              in Conv2dGeometry g, bool relu, bool accumulate) where T : IWinogradTransform
    {
        int mt = T.Out, ty = (oh + mt - 1) / mt, tx = (ow + mt - 1) / mt, hb = mt * ty + 2, wb = mt * tx + 2;
        var shape = new WinogradImage(h, wd, cin, cout, top, left, oh, ow, hb, wb);
        bool wide = WideTransform(cin, cout);
        int positions = Positions<T>(), perImage = ty * tx, groups = (perImage + Group - 1) / Group;
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? CpuThreads.Max : 1;
        // Fewer images than threads (batch-1 acting): each image's groups are split, every part bordering it itself.
        int parts = Math.Clamp(threads / Math.Max(1, g.Batch), 1, groups), units = g.Batch * parts;
        // Bordered images a group can touch: the one it starts in and ⌈(Group − 1) / perImage⌉ more.
        int slots = Math.Min(g.Batch, 1 + (Group - 2 + perImage) / perImage);
        long slotFloats = (long)hb * wb * cin, vFloats = (long)positions * Group * cin;
        long scratch = slots * slotFloats + vFloats + (long)positions * Group * cout;
        if (scratch > Array.MaxLength)
            throw new ArgumentException($"Winograd scratch of {scratch} floats for {slots} bordered {hb}×{wb}×{cin} " +
                                        $"images and {cout} outputs");
        // Unit → its first tile in the batch's list: parts of one image start at group boundaries.
        int First(int unit)
        {
            int b = unit / parts, part = unit - b * parts;
            return b * perImage + Math.Min(perImage, Group * (groups * part / parts));
        }
        var ctx = new GroupContext(shape, perImage, slots, slotFloats, (long)h * wd * cin, (long)oh * ow * cout, relu,
                                   accumulate);
        fixed (float* pd = dst, ps = src, pu = u, pb = bias)
        {
            nint nd = (nint)pd, ns = (nint)ps, nu = (nint)pu, nb = bias.IsEmpty ? 0 : (nint)pb;
            CpuThreads.ForRanges(units, Math.Min(threads, units), (lo, hi) =>
            {
                float[] buf = ArrayPool<float>.Shared.Rent((int)scratch);
                int[] held = ArrayPool<int>.Shared.Rent(slots);
                held.AsSpan(0, slots).Fill(-1);
                fixed (float* pbuf = buf)
                fixed (int* ph = held)
                {
                    float* v = pbuf + slots * slotFloats, m = v + vFloats;
                    new Span<float>(v, (int)vFloats).Clear(); // rows of a short last group stay finite
                    for (int t0 = First(lo), t1 = First(hi); t0 < t1; t0 += Group)
                    {
                        int n = Math.Min(Group, t1 - t0);
                        if (wide) Tiles<T, Float16>(ctx, (float*)nd, (float*)ns, pbuf, ph, v, m, (float*)nu, (float*)nb, t0, n);
                        else Tiles<T, Float8>(ctx, (float*)nd, (float*)ns, pbuf, ph, v, m, (float*)nu, (float*)nb, t0, n);
                    }
                }
                ArrayPool<int>.Shared.Return(held);
                ArrayPool<float>.Shared.Return(buf);
            });
        }
    }

    /// <summary>
    /// dx [B, H, W, C] += the adjoint of the forward conv applied to dy [B, OH, OW, K], with u [positions, K, C]:
    /// each worker takes whole images, zero-extends each dY image to whole tiles, accumulates its tiles' dd into a
    /// bordered hb×wb×C image and adds that image's interior to dx once its last tile is done.
    /// </summary>
    private static void RunAdjoint<T>(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> u,
                                      in Conv2dGeometry g) where T : IWinogradAdjoint
    {
        int mt = T.Out, ty = (g.OH + mt - 1) / mt, tx = (g.OW + mt - 1) / mt, hb = mt * ty + 2, wb = mt * tx + 2;
        int k = g.Cout, c = g.C, positions = Positions<T>(), perImage = ty * tx;
        bool wide = WideTransform(k, c);
        // The forward's sizes: tiles cover OH×OW; the "input" of each tile is the dY tile (K channels), its output
        // the bordered dx tile (C channels).
        var shape = new WinogradImage(g.OH, g.OW, k, c, g.PadTop, g.PadLeft, g.OH, g.OW, hb, wb);
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        int slots = Math.Min(g.Batch, 1 + (Group - 2 + perImage) / perImage);
        long dyFloats = (long)mt * ty * mt * tx * k, accFloats = (long)hb * wb * c;
        long vFloats = (long)positions * Group * k, scratch = slots * (dyFloats + accFloats) + vFloats +
                                                               (long)positions * Group * c;
        if (scratch > Array.MaxLength)
            throw new ArgumentException($"Winograd adjoint scratch of {scratch} floats for {slots} images of " +
                                        $"{hb}×{wb}×{c} and dY tiles of {k} channels");
        long imageDy = (long)g.OH * g.OW * k, imageDx = (long)g.H * g.W * c;
        int h = g.H, wd = g.W, top = g.PadTop, left = g.PadLeft, oh = g.OH, ow = g.OW;
        fixed (float* pdx = dx, pdy = dy, pu = u)
        {
            nint ndx = (nint)pdx, ndy = (nint)pdy, nu = (nint)pu;
            CpuThreads.ForRanges(g.Batch, threads, (lo, hi) =>
            {
                float[] buf = ArrayPool<float>.Shared.Rent((int)scratch);
                fixed (float* pbuf = buf)
                {
                    float* dyb = pbuf, acc = dyb + slots * dyFloats, v = acc + slots * accFloats, m = v + vFloats;
                    new Span<float>(v, (int)vFloats).Clear(); // rows of a short last group stay finite
                    new Span<float>(acc, (int)(slots * accFloats)).Clear();
                    int next = lo; // first image not yet bordered
                    for (int t0 = lo * perImage, t1 = hi * perImage; t0 < t1; t0 += Group)
                    {
                        int n = Math.Min(Group, t1 - t0), last = (t0 + n - 1) / perImage;
                        for (; next <= last; next++)
                            Conv2dPadded.PadImage(dyb + next % slots * dyFloats, (float*)ndy + next * imageDy,
                                                  oh, ow, k, 0, 0, mt * ty, mt * tx);
                        if (wide)
                            AdjointTiles<T, Float16>(shape, perImage, slots, dyFloats, accFloats, dyb, acc, v, m, (float*)nu,
                                                     t0, n);
                        else
                            AdjointTiles<T, Float8>(shape, perImage, slots, dyFloats, accFloats, dyb, acc, v, m, (float*)nu,
                                                    t0, n);
                        // Images whose last tile is done: their interior into dx, the slot cleared for image + slots.
                        for (int b = t0 / perImage; b < hi && (b + 1) * perImage <= t0 + n; b++)
                        {
                            float* a = acc + b % slots * accFloats, d = (float*)ndx + b * imageDx;
                            for (int r = 0; r < h; r++)
                            {
                                var row = new Span<float>(d + (long)r * wd * c, wd * c);
                                TP.Add(row, new ReadOnlySpan<float>(a + ((long)(top + r) * wb + left) * c, wd * c),
                                       row);
                            }
                            new Span<float>(a, (int)accFloats).Clear();
                        }
                    }
                }
                ArrayPool<float>.Shared.Return(buf);
            });
        }
    }

    /// <summary>
    /// Tiles [t0, t0 + n), n ≤ 6, of a worker's images: V ← A dY Aᵀ per tile, M ← V · Uᵀ per position and panel,
    /// then dd = B M Bᵀ added into each tile's image accumulator.
    /// </summary>
    private static void AdjointTiles<T, TV>(in WinogradImage s, int perImage, int slots, long dyFloats, long accFloats,
                                            float* dyb, float* acc, float* v, float* m, float* u, int t0, int n)
        where T : IWinogradAdjoint where TV : struct, IFloatVector<TV>
    {
        int mt = T.Out, tx = (s.OW + mt - 1) / mt, rowDy = mt * tx * s.Cin;
        long vs = (long)Group * s.Cin, ms = (long)Group * s.Cout;
        int* at = stackalloc int[4 * Group];
        Locate(at, t0, n, perImage, tx, slots);
        for (int r = 0; r < n; r++)
        {
            float* d = dyb + at[4 * r + 1] * dyFloats + (long)mt * at[4 * r + 2] * rowDy +
                       (long)mt * at[4 * r + 3] * s.Cin;
            T.GradTile<TV>(v + r * s.Cin, d, rowDy, s.Cin, vs);
        }
        Products<T>(v, m, u, s.Cin, s.Cout, n);
        for (int r = 0; r < n; r++)
        {
            float* a = acc + at[4 * r + 1] * accFloats +
                       ((long)mt * at[4 * r + 2] * s.WB + mt * at[4 * r + 3]) * s.Cout;
            T.ScatterTile<TV>(a, m + r * s.Cout, s.WB * s.Cout, s.Cout, ms);
        }
    }

    /// <summary>What every group of one <see cref="Run{T}"/> shares.</summary>
    private readonly record struct GroupContext(WinogradImage S, int PerImage, int Slots, long SlotFloats,
                                                long ImageIn, long ImageOut, bool Relu, bool Accumulate);

    /// <summary>
    /// Tiles [t0, t0 + n), n ≤ 6, of the batch's list → their output pixels: border the images they touch (image b
    /// in slot b mod Slots, kept while later groups still read it), input transform, one product per position and
    /// panel, output transform. The group's V and M ((m + 2)² × 6 × (Cin + Cout) floats) stay in L1 or near it;
    /// every group streams the whole transformed filter. Running the products position-outer over blocks of 2, 4
    /// or 8 groups, so that each position's U slice is read from L1 by the whole block, measured no faster even at
    /// 64×64 channels, where U is 576 KiB (Nature conv 3, F(4×4), batch 32, ms for 1/2/4/8 groups: forward
    /// 0.219/0.219/0.286/0.408, flipped input gradient 0.448/0.461/0.601/0.814): the block's V and M leave L1.
    /// </summary>
    private static void Tiles<T, TV>(in GroupContext c, float* y, float* x, float* bordered, int* held, float* v,
                                     float* m, float* u, float* bias, int t0, int n)
        where T : IWinogradTransform where TV : struct, IFloatVector<TV>
    {
        WinogradImage s = c.S;
        int mt = T.Out, tx = (s.OW + mt - 1) / mt;
        long vs = (long)Group * s.Cin, ms = (long)Group * s.Cout;
        for (int b = t0 / c.PerImage; b <= (t0 + n - 1) / c.PerImage; b++)
        {
            int slot = b % c.Slots;
            if (held[slot] == b) continue;
            Conv2dPadded.PadImage(bordered + slot * c.SlotFloats, x + b * c.ImageIn, s.H, s.W, s.Cin, s.Top, s.Left,
                                  s.HB, s.WB);
            held[slot] = b;
        }
        int* at = stackalloc int[4 * Group];
        Locate(at, t0, n, c.PerImage, tx, c.Slots);
        for (int r = 0; r < n; r++)
        {
            float* xb = bordered + at[4 * r + 1] * c.SlotFloats;
            T.InputTile<TV>(v + r * s.Cin, xb + ((long)mt * at[4 * r + 2] * s.WB + mt * at[4 * r + 3]) * s.Cin,
                        s.WB * s.Cin, s.Cin, vs);
        }
        Products<T>(v, m, u, s.Cin, s.Cout, n);
        for (int r = 0; r < n; r++)
        {
            T.OutputTile<TV>(y + at[4 * r] * c.ImageOut, m + r * s.Cout, bias, s, ms, mt * at[4 * r + 2],
                         mt * at[4 * r + 3], c.Relu, c.Accumulate);
        }
    }

    /// <summary>
    /// at [r] = (image, its slot, tile row, tile column) of tiles t0 … t0 + n − 1 of the batch's list, stepped from
    /// one set of divisions per group rather than four per tile (tried against F(2×2)'s 2–5% loss at IMPALA's 42×42
    /// since groups span images; it did not recover it, nor did keeping 441-tile images' groups within an image).
    /// </summary>
    private static void Locate(int* at, int t0, int n, int perImage, int tx, int slots)
    {
        int b = t0 / perImage, i = (t0 - b * perImage) / tx, j = t0 - b * perImage - i * tx, slot = b % slots;
        int ty = perImage / tx;
        for (int r = 0; r < n; r++)
        {
            at[4 * r] = b;
            at[4 * r + 1] = slot;
            at[4 * r + 2] = i;
            at[4 * r + 3] = j;
            if (++j < tx) continue;
            j = 0;
            if (++i < ty) continue;
            i = 0;
            b++;
            slot = slot + 1 == slots ? 0 : slot + 1;
        }
    }

    /// <summary>
    /// M_ξ [n, cout] ← V_ξ [n, cin] · U_ξ [cin, cout] for every position ξ of one group of n ≤ 6 tiles (V and M
    /// positions 6 rows apart, U's <see cref="FilterStride"/> apart).
    /// </summary>
    private static void Products<T>(float* v, float* m, float* u, int cin, int cout, int n)
        where T : IWinogradTransform
    {
        int positions = Positions<T>();
        long vs = (long)Group * cin, ms = (long)Group * cout;
        for (int p = 0; p < positions; p++)
        {
            GroupProduct(v + p * vs, cin, u + (long)p * FilterStride(cin, cout), cout, m + p * ms, n);
        }
    }

    /// <summary>
    /// m [n, cout] ← v [n, cin] · u [cin, cout] (row strides cin, cout, cout) for one position and one group of
    /// n ≤ 6 tiles, panel by panel; a short last group (n ≤ 3) pays for its rows only. Also
    /// <see cref="Conv2dStridedWinograd"/>'s products.
    /// </summary>
    internal static void GroupProduct(float* v, int cin, float* u, int cout, float* m, int n)
    {
        if (n <= 3) GroupProduct<ThreeTileRows>(v, cin, u, cout, m);
        else GroupProduct<SixTileRows>(v, cin, u, cout, m);
    }

    private static void GroupProduct<TRows>(float* v, int cin, float* u, int cout, float* m) where TRows : ITileRows
    {
        if (GemmMicroKernel.Wide)
        {
            int jr = 0;
            for (; jr + 2 * Panel <= cout; jr += 2 * Panel)
                WideTile.Product2<TRows>(v, cin, 1, u + jr, Panel, cout, cin, m + jr, cout, false);
            if (jr < cout) WideTile.Product<TRows>(v, cin, 1, u + jr, cout, cin, m + jr, cout, false);
        }
        else
            for (int jr = 0; jr < cout; jr += Panel) Product<TRows>(v, cin, u + jr, cout, m + jr);
    }

    /// <summary>
    /// m [6, 16] (row stride <paramref name="k"/>) ← v [6, c] · u [c, 16] (row stride k): one position's product for a
    /// group of six tiles and one 16-channel output panel, in twelve accumulators; only the first three rows for
    /// <see cref="ThreeTileRows"/> (the JIT compiles each row count separately, without the test).
    /// </summary>
    private static void Product<TRows>(float* v, int c, float* u, int k, float* m) where TRows : ITileRows
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
            if (TRows.Count == 3) continue;
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
        if (TRows.Count == 3) return;
        c30.Store(m + 3 * k); c31.Store(m + 3 * k + 8);
        c40.Store(m + 4 * k); c41.Store(m + 4 * k + 8);
        c50.Store(m + 5 * k); c51.Store(m + 5 * k + 8);
    }

    /// <summary>One output pixel's channels (one vector): += the old value (input gradient), then the fused ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put<TV>(float* y, TV o, bool relu, bool accumulate) where TV : struct, IFloatVector<TV>
    {
        if (accumulate) o += TV.Load(y);
        if (relu) o = TV.Max(o, TV.Create(0f));
        o.Store(y);
    }

    /// <summary>
    /// Whether a conv's transforms run 16 lanes wide (<see cref="Float16"/>, else <see cref="Float8"/>): with the 512-bit
    /// kernels and both channel runs the transforms step over (input and output) whole 512-bit vectors. Picked once per
    /// conv call.
    /// </summary>
    public static bool WideTransform(int channelsIn, int channelsOut) =>
        GemmMicroKernel.Wide && channelsIn % 16 == 0 && channelsOut % 16 == 0;
}
