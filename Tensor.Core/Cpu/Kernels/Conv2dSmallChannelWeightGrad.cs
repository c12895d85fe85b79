using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Direct convolution weight gradient for few input channels (any padding and stride): dw [KK, K] += Σ over output
/// pixels of x(tap pixel) ⊗ dY(pixel), one output row at a time, with no im2col matrix.
/// </summary>
/// <remarks>
/// <para>Glossary as in <see cref="Conv2dKernels"/>. Buffers: x [B, H, W, C], dy [B, OH, OW, K], dw [KH, KW, C, K]
/// (accumulated).</para>
/// <para>Why: IMPALA's first conv (C = 4 stacked frames, K = 16, 3×3 SAME, 84×84) has a 36-float patch, so its im2col
/// matrix (225,792 × 36 floats, 32 MB at batch 32) cost more to write and read back than the whole 0.6 GFLOP of the
/// weight gradient (11.2 ms for im2col + the swapped GEMM). Here each output row of dY (OW·K floats, 5 KiB) stays
/// in L1 while every (kh, kw) tap sweeps it, four channels at a time: the 16-wide dw rows of those taps are eight
/// vector accumulators, each pixel adds x[tap pixel, c..c+4] ⊗ dY[pixel, 0..16]. Padding only narrows each tap's
/// range of output columns.</para>
/// <para>Threads split the B·OH output rows; each sums into its own dw copy, added to dw at the end in thread order
/// (results do not depend on timing, but differ from the GEMM path by rounding).</para>
/// </remarks>
internal static unsafe class Conv2dSmallChannelWeightGrad
{
    private const int Panel = 16;

    /// <summary>Most input channels this path takes (its advantage is the im2col it skips for short patches).</summary>
    public const int MaxChannels = 8;

    /// <summary>AVX2/FMA, K a multiple of 16 up to 32, C ≤ <see cref="MaxChannels"/>, a kernel over 1×1.</summary>
    public static bool CanRun(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.Cout % Panel == 0 && g.Cout <= 2 * Panel && g.C <= MaxChannels &&
        g.KH * g.KW > 1;

    /// <summary>dw [KK, K] += im2col(x)ᵀ · dy [B·OH·OW, K]. Requires <see cref="CanRun"/>.</summary>
    public static void Accumulate(Span<float> dw, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, in Conv2dGeometry g)
    {
        int rows = g.Batch * g.OH, size = g.PatchSize * g.Cout;
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, rows) : 1;
        int per = (rows + threads - 1) / threads;
        float[] partial = ArrayPool<float>.Shared.Rent(threads * size);
        Array.Clear(partial, 0, threads * size);
        fixed (float* pp = partial, pdy = dy, px = x)
        {
            nint np = (nint)pp, ndy = (nint)pdy, nx = (nint)px;
            var geo = g;
            if (threads <= 1) Rows((float*)np, (float*)ndy, (float*)nx, geo, 0, rows);
            else
            {
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int lo = t * per, hi = Math.Min(rows, lo + per);
                    if (lo < hi) Rows((float*)np + (long)t * size, (float*)ndy, (float*)nx, geo, lo, hi);
                });
            }
        }
        for (int t = 0; t < threads; t++)
        {
            var part = partial.AsSpan(t * size, size);
            System.Numerics.Tensors.TensorPrimitives.Add(dw, part, dw);
        }
        ArrayPool<float>.Shared.Return(partial);
    }

    /// <summary>part [KK, K] += the contributions of output rows [r0, r1) (r = b·OH + oh).</summary>
    private static void Rows(float* part, float* dy, float* x, in Conv2dGeometry g, int r0, int r1)
    {
        int c = g.C, k = g.Cout, sw = g.StrideW;
        for (int r = r0; r < r1; r++)
        {
            int b = r / g.OH, oh = r - b * g.OH;
            float* dyRow = dy + (long)r * g.OW * k;
            for (int kh = 0; kh < g.KH; kh++)
            {
                int ih = oh * g.StrideH - g.PadTop + kh;
                if ((uint)ih >= (uint)g.H) continue;
                float* xRow = x + ((long)b * g.H + ih) * g.W * c;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    // Output columns whose tap (kh, kw) lands inside the image: 0 ≤ ow·sw − left + kw < W.
                    int lead = g.PadLeft - kw, last = g.W - 1 + g.PadLeft - kw;
                    if (last < 0) continue;
                    int owLo = lead <= 0 ? 0 : (lead + sw - 1) / sw, owHi = Math.Min(g.OW, last / sw + 1);
                    if (owLo >= owHi) continue;
                    float* xTap = xRow + (long)(owLo * sw - g.PadLeft + kw) * c;
                    for (int j = 0; j < k; j += Panel)
                    {
                        float* acc = part + (kh * g.KW + kw) * c * k + j, dyTap = dyRow + (long)owLo * k + j;
                        int ci = 0;
                        for (; ci + 4 <= c; ci += 4)
                        {
                            Sweep4(acc + ci * k, k, xTap + ci, (long)sw * c, dyTap, k, owHi - owLo);
                        }
                        for (; ci < c; ci++) Sweep(acc + ci * k, xTap + ci, (long)sw * c, dyTap, k, owHi - owLo);
                    }
                }
            }
        }
    }

    /// <summary>
    /// acc[q·ldAcc + 0..16) += Σ_{i &lt; n} xs[i·xStride + q] · dy[i·ldy + 0..16) for four channels q: eight
    /// independent FMA chains (two chains alone wait on the FMA latency every pixel), two dY loads and four broadcasts per pixel.
    /// </summary>
    private static void Sweep4(float* acc, int ldAcc, float* xs, long xStride, float* dy, int ldy, int n)
    {
        float* r0 = acc, r1 = acc + ldAcc, r2 = acc + 2 * ldAcc, r3 = acc + 3 * ldAcc;
        Vector256<float> a00 = Avx.LoadVector256(r0), a01 = Avx.LoadVector256(r0 + 8);
        Vector256<float> a10 = Avx.LoadVector256(r1), a11 = Avx.LoadVector256(r1 + 8);
        Vector256<float> a20 = Avx.LoadVector256(r2), a21 = Avx.LoadVector256(r2 + 8);
        Vector256<float> a30 = Avx.LoadVector256(r3), a31 = Avx.LoadVector256(r3 + 8);
        for (int i = 0; i < n; i++, xs += xStride, dy += ldy)
        {
            var d0 = Avx.LoadVector256(dy);
            var d1 = Avx.LoadVector256(dy + 8);
            var v = Vector256.Create(xs[0]);
            a00 = Fma.MultiplyAdd(v, d0, a00); a01 = Fma.MultiplyAdd(v, d1, a01);
            v = Vector256.Create(xs[1]);
            a10 = Fma.MultiplyAdd(v, d0, a10); a11 = Fma.MultiplyAdd(v, d1, a11);
            v = Vector256.Create(xs[2]);
            a20 = Fma.MultiplyAdd(v, d0, a20); a21 = Fma.MultiplyAdd(v, d1, a21);
            v = Vector256.Create(xs[3]);
            a30 = Fma.MultiplyAdd(v, d0, a30); a31 = Fma.MultiplyAdd(v, d1, a31);
        }
        Avx.Store(r0, a00); Avx.Store(r0 + 8, a01);
        Avx.Store(r1, a10); Avx.Store(r1 + 8, a11);
        Avx.Store(r2, a20); Avx.Store(r2 + 8, a21);
        Avx.Store(r3, a30); Avx.Store(r3 + 8, a31);
    }

    /// <summary>acc[0..16) += Σ_{i &lt; n} xs[i·xStride] · dy[i·ldy + 0..16), one channel (those after Sweep4).</summary>
    private static void Sweep(float* acc, float* xs, long xStride, float* dy, int ldy, int n)
    {
        Vector256<float> a0 = Avx.LoadVector256(acc), a1 = Avx.LoadVector256(acc + 8);
        for (int i = 0; i < n; i++, xs += xStride, dy += ldy)
        {
            var v = Vector256.Create(*xs);
            a0 = Fma.MultiplyAdd(v, Avx.LoadVector256(dy), a0);
            a1 = Fma.MultiplyAdd(v, Avx.LoadVector256(dy + 8), a1);
        }
        Avx.Store(acc, a0);
        Avx.Store(acc + 8, a1);
    }
}
