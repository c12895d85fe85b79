using System.Buffers;
using System.Runtime.Intrinsics;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// The input gradient of a kernel = 2×stride conv by F(2×2, 2×2) in space-to-depth form (Nature conv 2; conv 1 reads
/// the observation and needs none).
/// </summary>
/// <remarks>
/// <para>Maths: with x' the space-to-depth view of x (see the class remarks), y[i, j] = Σ_{p,q} x'[i + p, j + q] ·
/// w'[p, q], so dx'[i, j] = Σ_{p,q} dy[i − p, j − q] · w'[p, q]ᵀ: the VALID 2×2 conv of dY bordered by one zero row and
/// column above and left, with the filter w''[p, q] = w'[1 − p, 1 − q]ᵀ (K in, s²·C out). When s divides H and W, x'
/// is exactly (OH + 1) × (OW + 1) pixels, so every tile of dx' is real (Nature conv 2: 10×10 = 25 whole tiles) and
/// each dx' pixel's s·C-float runs are added straight into dx's rows (no col2im).</para>
/// <para>Why: the GEMM + col2im path wrote and re-read a 5.3 MB column matrix; this one does 9/16 of the
/// multiply-adds (profile conv, batch 32: 0.70–0.72 ms against 0.82).</para>
/// </remarks>
internal static unsafe partial class Conv2dStridedWinograd
{
    /// <summary>
    /// <see cref="CanRun"/>, the stride dividing H and W (x' covers x exactly), Cout a multiple of 8 (dY's channels in
    /// whole vectors) and s²·C of 16 (whole output panels).
    /// </summary>
    public static bool CanBackwardInput(in Conv2dGeometry g) =>
        CanRun(g) && g.H % g.StrideH == 0 && g.W % g.StrideW == 0 && g.Cout % 8 == 0 &&
        g.StrideH * g.StrideW * g.C % Panel == 0;

    /// <summary>dx += the input gradient (see the remarks). Requires <see cref="CanBackwardInput"/>.</summary>
    public static void AccumulateInputGrad(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                           in Conv2dGeometry g)
    {
        var vw = View.Of(g);
        int k = vw.K, cs = vw.Cs, hs = g.OH + 1, ws = g.OW + 1, ty = (hs + 1) / 2, tx = (ws + 1) / 2;
        // dY as a stride-1 image of K channels, bordered: its tiles are what InputTile reads.
        var dv = new View(1, k, k, cs, ty, tx, 2 * ty + 1, 2 * tx + 1, InPlace: false);
        int ustride = WinogradDriver.FilterStride(k, cs);
        float[] u = ArrayPool<float>.Shared.Rent(Positions * ustride);
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        int scratch = dv.HB * dv.WB * k + Positions * Group * (k + cs);
        bool wide = WinogradDriver.WideTransform(vw.S * vw.C, k);
        try
        {
            TransformFlippedFilter(u, w, vw, ustride);
            fixed (float* pdx = dx, pdy = dy, pu = u)
            {
                nint ndx = (nint)pdx, ndy = (nint)pdy, nu = (nint)pu;
                var geo = g;
                CpuThreads.ForRanges(g.Batch, threads, (lo, hi) =>
                {
                    float[] buf = ArrayPool<float>.Shared.Rent(scratch);
                    fixed (float* pb = buf)
                    {
                        int vFloats = Positions * Group * k;
                        float* bordered = pb, v = pb + (long)dv.HB * dv.WB * k, m = v + vFloats;
                        new Span<float>(v, vFloats).Clear(); // a short last group reads finite rows
                        for (int b = lo; b < hi; b++)
                        {
                            Conv2dPadded.PadImage(bordered, (float*)ndy + (long)b * geo.OutPixels * k, geo.OH, geo.OW, k,
                                                  1, 1, dv.HB, dv.WB);
                            float* dxb = (float*)ndx + (long)b * geo.H * geo.W * geo.C;
                            if (wide) InputGradTiles<Float16>(dxb, bordered, v, m, (float*)nu, ustride, geo, vw, dv);
                            else InputGradTiles<Float8>(dxb, bordered, v, m, (float*)nu, ustride, geo, vw, dv);
                        }
                    }
                    ArrayPool<float>.Shared.Return(buf);
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(u);
        }
    }

    /// <summary>u [9, K, s²C] (positions <paramref name="ustride"/> apart) ← the transformed w'' of the remarks.</summary>
    private static void TransformFlippedFilter(Span<float> u, ReadOnlySpan<float> w, in View vw, int ustride)
    {
        int plain = vw.Cs * vw.K;
        float[] t = ArrayPool<float>.Shared.Rent(Positions * plain);
        TransformFilter(t, w, vw, plain, flip: true); // [9, s²C, K]
        for (int p = 0; p < Positions; p++)
        {
            MovementKernels.Transpose2D(u.Slice(p * ustride, plain), t.AsSpan(p * plain, plain), vw.Cs, vw.K);
        }
        ArrayPool<float>.Shared.Return(t);
    }

    /// <summary>
    /// One image, six dx' tiles at a time: input transforms of bordered dY, 9 products, output transforms into dx. (The
    /// 288 KiB filter streams from L2 once per group; running the products position-outer over five groups, so each
    /// position's slice stayed in L1, measured the same: 0.72–0.75 ms.)
    /// </summary>
    private static void InputGradTiles<TV>(float* dx, float* dyb, float* v, float* m, float* u, int ustride,
                                       in Conv2dGeometry g, in View vw, in View dv)
        where TV : struct, IFloatVector<TV>
    {
        int k = vw.K, cs = vw.Cs, tiles = dv.TY * dv.TX;
        for (int t0 = 0; t0 < tiles; t0 += Group)
        {
            int n = Math.Min(Group, tiles - t0);
            for (int r = 0; r < n; r++)
            {
                int t = t0 + r, i = t / dv.TX, j = t - i * dv.TX;
                InputTile<TV>(v + r * k, Group * k, dyb, dv.WB * k, dv, 2 * i, 2 * j);
            }
            for (int p = 0; p < Positions; p++)
            {
                float* vp = v + p * Group * k, up = u + (long)p * ustride, mp = m + p * Group * cs;
                WinogradDriver.GroupProduct(vp, k, up, cs, mp, n); // conv 2: 25 tiles = 4 × 6 + 1
            }
            for (int r = 0; r < n; r++)
            {
                int t = t0 + r, i = t / dv.TX, j = t - i * dv.TX;
                DepthToSpaceTile<TV>(dx, m + r * cs, Group * cs, g, vw, 2 * i, 2 * j);
            }
        }
    }

    /// <summary>
    /// dx += the 2×2 dx' pixels at (<paramref name="oi"/>, <paramref name="oj"/>) ← Aᵀ M A, each pixel's s²·C channels
    /// added back as s runs of s·C floats on image rows s·i + a (pixels beyond x' are not written).
    /// </summary>
    private static void DepthToSpaceTile<TV>(float* dx, float* m, long ps, in Conv2dGeometry g, in View vw, int oi, int oj)
        where TV : struct, IFloatVector<TV>
    {
        int s = vw.S, run = s * vw.C, hs = g.OH + 1, ws = g.OW + 1;
        bool down = oi + 1 < hs, right = oj + 1 < ws;
        long row = (long)g.W * vw.C;
        for (int q = 0; q < vw.Cs; q += TV.Count)
        {
            var (o00, o01, o10, o11) = OutputQuad<TV>(m + q, ps);
            int chunk = q / run, within = q - chunk * run;
            // dx' pixel (i, j), channel q → dx row s·i + chunk, column s·j, float `within` of the run.
            float* p00 = dx + ((long)s * oi + chunk) * row + (long)s * oj * vw.C + within;
            Add(p00, o00);
            if (right) Add(p00 + run, o01);
            if (down)
            {
                float* p10 = p00 + s * row;
                Add(p10, o10);
                if (right) Add(p10 + run, o11);
            }
        }
    }

    private static void Add<TV>(float* p, TV v) where TV : struct, IFloatVector<TV> => (TV.Load(p) + v).Store(p);
}
