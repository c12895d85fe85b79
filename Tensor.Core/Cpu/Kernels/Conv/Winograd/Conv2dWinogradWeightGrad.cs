using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Weight gradient of 3×3 stride-1 convolutions by Winograd F(3×3, 2×2) (Lavin &amp; Gray 2016, §4): the 3×3 filter
/// gradient is the correlation of x with dY, so each 2×2 block of dY and the 4×4 block of x under it contribute
/// Aᵀ[(G dY Gᵀ) ⊙ (Bᵀ x B)]A, 16 multiply-adds per channel pair instead of 36.
/// </summary>
/// <remarks>
/// <para>Maths, 1-D: w_k = Σ_{i=0,1} x_{i+k} dy_i for k = 0..2 is F(3, 2) with Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],
/// [0,−1,0,1]], G = [[1,0],[½,½],[½,−½],[0,1]], Aᵀ = [[1,1,1,0],[0,1,−1,0],[0,1,1,1]]. This Bᵀ is the forward
/// F(2×2, 3×3) one with its last row negated, so the forward's input transform (<see cref="Conv2dWinograd.InputTile"/>)
/// is reused and the sign moves into G (last row [0, −1]). Because the sum over tiles commutes with Aᵀ·A, the 16
/// positions are summed first: M_ξ [C, K] = Σ_tiles V_ξ[t, :]ᵀ · Y_ξ[t, :], a product whose depth is every tile of the
/// batch, and Aᵀ M A is applied once at the end.</para>
/// <para>Why: after the forward and the input gradient went Winograd, the direct weight gradient
/// (<see cref="Conv2dDirectWeightGrad"/>) was the largest conv cost of the IMPALA step (about 16 of 48 ms).</para>
/// <para>Threads: images are split across workers, each summing into private M and dBias; those are reduced in
/// worker order, so results do not depend on timing.</para>
/// </remarks>
internal static unsafe class Conv2dWinogradWeightGrad
{
    private const int Positions = 16;

    /// <summary>Tiles transformed per block: 48 tiles of V and Y at 32 channels are 96 KiB each, in L2.</summary>
    internal const int Block = 48;

    /// <summary>Output channels per register tile (two vectors).</summary>
    private const int Panel = 16;

    /// <summary>
    /// 3×3, stride 1, pads at most 2, C a multiple of 8 and Cout of 16 (whole vectors and panels), and at least
    /// <see cref="MinOutPixels"/> output pixels per image.
    /// </summary>
    public static bool CanRun(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop <= 2 && g.PadBottom <= 2 && g.PadLeft <= 2 && g.PadRight <= 2 && g.OutPixels >= MinOutPixels &&
        g.C % 8 == 0 && g.Cout % Panel == 0;

    /// <summary>
    /// Below this many output pixels an image's dY and x sit in L1 and the direct kernel ran at about 245 GFLOP/s,
    /// faster than this one even with blocks spanning images (batch 32: IMPALA's 11×11 32-channel conv 0.29 ms direct
    /// against 0.32; Nature conv 3, 7×7, 0.49–0.53 against 0.60–0.74). From 21×21 up this one won (1.01–1.05 against
    /// 1.08 ms; 42×42: 0.85 against 1.19).
    /// </summary>
    public const int MinOutPixels = 256;

    /// <summary>
    /// dw [3, 3, C, K] += the weight gradient and, unless <paramref name="dBias"/> is empty, dBias [K] += Σ dY.
    /// Requires <see cref="CanRun"/>.
    /// </summary>
    public static void Accumulate(Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy, ReadOnlySpan<float> x,
                                  in Conv2dGeometry g)
    {
        int c = g.C, k = g.Cout, mSize = Positions * c * k;
        bool withBias = !dBias.IsEmpty;
        int size = mSize + (withBias ? k : 0);
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        float[] total;
        fixed (float* pdy = dy, px = x)
        {
            nint ndy = (nint)pdy, nx = (nint)px;
            var geo = g;
            bool wide = WinogradDriver.WideTransform(c, k);
            total = ImagePartials.Sum(g.Batch, threads, size, (sum, lo, hi) =>
            {
                if (wide) Images<Float16>(sum, withBias ? sum + mSize : null, (float*)ndy, (float*)nx, geo, lo, hi);
                else Images<Float8>(sum, withBias ? sum + mSize : null, (float*)ndy, (float*)nx, geo, lo, hi);
            });
        }
        OutputTransform(dw, total.AsSpan(0, mSize), c, k);
        if (withBias) TP.Add(dBias, total.AsSpan(mSize, k), dBias);
        ArrayPool<float>.Shared.Return(total);
    }

    /// <summary>Images [b0, b1) summed into m [16, C, K] and dBias [K] (null: none); transforms TV wide.</summary>
    private static void Images<TV>(float* m, float* dBias, float* dy, float* x, in Conv2dGeometry g, int b0, int b1)
        where TV : struct, IFloatVector<TV>
    {
        int c = g.C, k = g.Cout, ty = (g.OH + 1) / 2, tx = (g.OW + 1) / 2, tiles = ty * tx;
        int hb = 2 * ty + 2, wb = 2 * tx + 2;
        bool odd = g.OH % 2 != 0 || g.OW % 2 != 0;
        int scratch = hb * wb * c + (odd ? 4 * tiles * k : 0) + Positions * Block * (c + k);
        float[] buf = ArrayPool<float>.Shared.Rent(scratch);
        fixed (float* pb = buf)
        {
            float* xb = pb, dyb = xb + (long)hb * wb * c, v = dyb + (odd ? 4L * tiles * k : 0), yt = v + Positions * Block * c;
            // Blocks fill with tiles of consecutive images (Nature conv 3 has 16 per image): every product then sums
            // a whole block between loads and stores of its accumulators.
            int fill = 0;
            for (int b = b0; b < b1; b++)
            {
                Conv2dPadded.PadImage(xb, x + (long)b * g.H * g.W * c, g.H, g.W, c, g.PadTop, g.PadLeft, hb, wb);
                float* dyImg = TileDy(dy + (long)b * g.OutPixels * k, dyb, g.OH, g.OW, k, dBias, out int dyRow);
                for (int t = 0; t < tiles; t++)
                {
                    int i = t / tx, j = t - i * tx;
                    Conv2dWinograd.InputTile<TV>(v + fill * c, xb + ((long)2 * i * wb + 2 * j) * c, wb * c, c, Block * c);
                    GradTile<TV>(yt + fill * k, Block * k, dyImg + (long)2 * i * dyRow + 2 * j * k, dyRow, k);
                    if (++fill == Block)
                    {
                        SumBlock(m, v, yt, c, k, fill);
                        fill = 0;
                    }
                }
            }
            if (fill > 0) SumBlock(m, v, yt, c, k, fill);
        }
        ArrayPool<float>.Shared.Return(buf);
    }

    /// <summary>
    /// m [positions, c, k] += the block's n tiles: Σ_t V_ξ[t]ᵀ · Y_ξ[t] at every position ξ (V and Y hold
    /// <see cref="Block"/> tiles per position). Also the space-to-depth weight gradient's (9 positions).
    /// </summary>
    internal static void SumBlock(float* m, float* v, float* yt, int c, int k, int n, int positions = Positions)
    {
        for (int p = 0; p < positions; p++)
        {
            AccumulateProducts(v + p * Block * c, c, yt + p * Block * k, k, n, m + (long)p * c * k);
        }
    }

    /// <summary>
    /// One image's dY [oh, ow, k] as 2×2 tiles read it: itself (row stride ow·k) for even sizes; for odd ones a copy in
    /// <paramref name="dyb"/> [2⌈oh/2⌉, 2⌈ow/2⌉, k] whose extra row/column is zero, so the last tiles' missing pixels add
    /// nothing. Also dBias += Σ dY (unless null) while the image is in cache.
    /// </summary>
    internal static float* TileDy(float* dyImg, float* dyb, int oh, int ow, int k, float* dBias, out int dyRow)
    {
        if (dBias is not null)
        {
            Conv2dKernels.SumRowsInto(new Span<float>(dBias, k), new ReadOnlySpan<float>(dyImg, oh * ow * k), oh * ow, k);
        }
        if (oh % 2 == 0 && ow % 2 == 0)
        {
            dyRow = ow * k;
            return dyImg;
        }
        int th = (oh + 1) / 2 * 2, tw = (ow + 1) / 2 * 2;
        Conv2dPadded.PadImage(dyb, dyImg, oh, ow, k, 0, 0, th, tw);
        dyRow = tw * k;
        return dyb;
    }

    /// <summary>
    /// m [c, k] += v [n, c]ᵀ · y [n, k] (row strides c and k): input channels in blocks of six (twelve accumulators
    /// hide the FMA latency), then fours for the rest (C = 16 is 6 + 6 + 4, C = 32 is 4 × 6 + 4 + 4). c % 4 == 0,
    /// k % 16 == 0.
    /// </summary>
    internal static void AccumulateProducts(float* v, int c, float* y, int k, int n, float* m)
    {
        int six = c / 12 * 12;
        // With the 512-bit tile, two output panels at once where K allows (see WideTile.Product2).
        bool pair = GemmMicroKernel.Wide && k % (2 * Panel) == 0;
        for (int jr = 0; jr < k; jr += pair ? 2 * Panel : Panel)
        {
            for (int i0 = 0; i0 < six; i0 += 6) Product<SixTileRows>(v + i0, c, y + jr, k, n, m + (long)i0 * k + jr, pair);
            for (int i0 = six; i0 < c; i0 += 4) Product<FourTileRows>(v + i0, c, y + jr, k, n, m + (long)i0 * k + jr, pair);
        }
    }

    /// <summary>
    /// Y[ξ, r, :] ← (G' dy G'ᵀ)_ξ for the 2×2 dY block at <paramref name="d"/> (pixel stride k, row stride
    /// <paramref name="row"/>), G' = [[1,0],[½,½],[½,−½],[0,−1]] (see the remarks); positions <paramref name="ps"/> apart.
    /// </summary>
    private static void GradTile<TV>(float* y, long ps, float* d, int row, int k) where TV : struct, IFloatVector<TV>
    {
        var half = TV.Create(0.5f);
        for (int q = 0; q < k; q += TV.Count)
        {
            float* a = d + q;
            var d00 = TV.Load(a);
            var d01 = TV.Load(a + k);
            var d10 = TV.Load(a + row);
            var d11 = TV.Load(a + row + k);
            // Rows: r0 = dy0, r1 = (dy0 + dy1)/2, r2 = (dy0 − dy1)/2, r3 = −dy1, for both columns.
            var s0 = d00 + d10;
            var s1 = d01 + d11;
            var f0 = d00 - d10;
            var f1 = d01 - d11;
            float* o = y + q;
            GradRow(o, ps, d00, d01, half);
            GradRow(o + 4 * ps, ps, half * s0, half * s1, half);
            GradRow(o + 8 * ps, ps, half * f0, half * f1, half);
            GradRow(o + 12 * ps, ps, -d10, -d11, half);
        }
    }

    /// <summary>One row of r G'ᵀ: (p, (p + q)/2, (p − q)/2, −q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradRow<TV>(float* o, long ps, TV p, TV q, TV half) where TV : struct, IFloatVector<TV>
    {
        p.Store(o);
        (half * (p + q)).Store(o + ps);
        (half * (p - q)).Store(o + 2 * ps);
        (-q).Store(o + 3 * ps);
    }

    /// <summary>
    /// m [rows, 16] (row stride k) += Σ_{t &lt; n} v[t, 0..rows]ᵀ · y[t, 0..16]: six (or four) input channels by one
    /// 16-channel panel (two with <paramref name="pair"/>, 512-bit only) over n tiles (row strides c and k); the JIT
    /// compiles each row count without the test.
    /// </summary>
    private static void Product<TRows>(float* v, int c, float* y, int k, int n, float* m, bool pair)
        where TRows : ITileRows
    {
        if (pair)
        {
            WideTile.Product2<TRows>(v, 1, c, y, Panel, k, n, m, k, addC: true);
            return;
        }
        if (GemmMicroKernel.Wide)
        {
            WideTile.Product<TRows>(v, 1, c, y, k, n, m, k, addC: true);
            return;
        }
        var c00 = Vector256.Load(m); var c01 = Vector256.Load(m + 8);
        var c10 = Vector256.Load(m + k); var c11 = Vector256.Load(m + k + 8);
        var c20 = Vector256.Load(m + 2 * k); var c21 = Vector256.Load(m + 2 * k + 8);
        var c30 = Vector256.Load(m + 3 * k); var c31 = Vector256.Load(m + 3 * k + 8);
        Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default;
        if (TRows.Count == 6)
        {
            c40 = Vector256.Load(m + 4 * k); c41 = Vector256.Load(m + 4 * k + 8);
            c50 = Vector256.Load(m + 5 * k); c51 = Vector256.Load(m + 5 * k + 8);
        }
        for (int t = 0; t < n; t++)
        {
            float* vt = v + (long)t * c, yt = y + (long)t * k;
            var b0 = Vector256.Load(yt);
            var b1 = Vector256.Load(yt + 8);
            var a = Vector256.Create(vt[0]);
            c00 = Fma.MultiplyAdd(a, b0, c00); c01 = Fma.MultiplyAdd(a, b1, c01);
            a = Vector256.Create(vt[1]);
            c10 = Fma.MultiplyAdd(a, b0, c10); c11 = Fma.MultiplyAdd(a, b1, c11);
            a = Vector256.Create(vt[2]);
            c20 = Fma.MultiplyAdd(a, b0, c20); c21 = Fma.MultiplyAdd(a, b1, c21);
            a = Vector256.Create(vt[3]);
            c30 = Fma.MultiplyAdd(a, b0, c30); c31 = Fma.MultiplyAdd(a, b1, c31);
            if (TRows.Count == 4) continue;
            a = Vector256.Create(vt[4]);
            c40 = Fma.MultiplyAdd(a, b0, c40); c41 = Fma.MultiplyAdd(a, b1, c41);
            a = Vector256.Create(vt[5]);
            c50 = Fma.MultiplyAdd(a, b0, c50); c51 = Fma.MultiplyAdd(a, b1, c51);
        }
        c00.Store(m); c01.Store(m + 8);
        c10.Store(m + k); c11.Store(m + k + 8);
        c20.Store(m + 2 * k); c21.Store(m + 2 * k + 8);
        c30.Store(m + 3 * k); c31.Store(m + 3 * k + 8);
        if (TRows.Count == 4) return;
        c40.Store(m + 4 * k); c41.Store(m + 4 * k + 8);
        c50.Store(m + 5 * k); c51.Store(m + 5 * k + 8);
    }

    /// <summary>dw [3, 3, C, K] += Aᵀ M_· A for every channel pair of m [16, C, K].</summary>
    private static void OutputTransform(Span<float> dw, ReadOnlySpan<float> m, int c, int k)
    {
        int ps = c * k;
        Span<float> s = stackalloc float[12];
        for (int e = 0; e < ps; e++)
        {
            for (int j = 0; j < 4; j++) // s = Aᵀ M (3×4)
            {
                float m0 = m[j * ps + e], m1 = m[(4 + j) * ps + e], m2 = m[(8 + j) * ps + e], m3 = m[(12 + j) * ps + e];
                s[j] = m0 + m1 + m2;
                s[4 + j] = m1 - m2;
                s[8 + j] = m1 + m2 + m3;
            }
            for (int a = 0; a < 3; a++) // w = s A (3×3); tap (a, b) of channel pair e = ci·K + co
            {
                float s0 = s[a * 4], s1 = s[a * 4 + 1], s2 = s[a * 4 + 2], s3 = s[a * 4 + 3];
                dw[(a * 3) * ps + e] += s0 + s1 + s2;
                dw[(a * 3 + 1) * ps + e] += s1 - s2;
                dw[(a * 3 + 2) * ps + e] += s1 + s2 + s3;
            }
        }
    }
}
