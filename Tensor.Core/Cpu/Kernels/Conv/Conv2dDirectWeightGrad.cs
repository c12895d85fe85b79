using System.Buffers;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Convolution weight gradient without im2col or packing: dw[tap, o] += Σ_pixels x[origin + offset(tap)] · dy[pixel, o],
/// six taps × 16 output channels per register tile (× 32 under AVX-512), one image at a time (zero-bordered into a
/// per-thread buffer when the conv is padded). The tile is the implicit GEMM's (<see cref="GemmMicroKernel.RunsRows"/>).
/// </summary>
/// <remarks>
/// <para>Glossary as in <see cref="Conv2dKernels"/>. Buffers: dy [B, OH, OW, K], x [B, H, W, C], dw [KK, K]
/// (accumulated). A tap is one (kh, kw, c) of the patch; its offset from a pixel's patch origin in the (bordered)
/// image is kh·Wₚ·C + kw·C + c.</para>
/// <para>Why: dW is a product whose depth is every output pixel of the batch (56,448 at IMPALA's first stack) and whose
/// outputs are tiny (144 taps × 16 channels). As a GEMM it packs the whole im2col matrix (or dYᵀ and an im2col panel
/// per depth block) to feed 16 output channels, and ran at 45–95 GFLOP/s. Here each pixel costs two vector loads of
/// dY, six broadcasts straight out of the image and twelve FMAs (256-bit; with AVX-512 the same loads feed 32
/// channels); an image's x (≤ 124 KiB bordered) and dY (≤ 113 KiB)
/// stay in L2 while all tap tiles sweep them.</para>
/// <para>Threads: images are split across workers, each summing into a private dW (<see cref="ImagePartials"/>), so
/// results do not depend on timing (they differ from the GEMM path by rounding).</para>
/// </remarks>
internal static unsafe class Conv2dDirectWeightGrad
{
    private const int TR = 6;   // taps per register tile
    private const int NR = 16;  // output channels per register tile (two vectors)

    /// <summary>AVX2+FMA and whole 16-channel output panels; any stride, padding and kernel size.</summary>
    public static bool CanRun(in Conv2dGeometry g) => GemmMicroKernel.IsSupported && g.Cout % NR == 0;

    /// <summary>
    /// dw [KK, K] += im2col(x)ᵀ · dy [B·P, K] and, unless <paramref name="dBias"/> is empty, dBias [K] += Σ_pixels dy
    /// (summed per image while its dY is in cache, instead of a separate serial pass over all of dY). Requires
    /// <see cref="CanRun"/>.
    /// </summary>
    public static void Accumulate(Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy, ReadOnlySpan<float> x,
                                  in Conv2dGeometry g)
    {
        int kk = g.PatchSize, k = g.Cout;
        int hp = g.H + g.PadTop + g.PadBottom, wp = g.W + g.PadLeft + g.PadRight;
        bool padded = hp != g.H || wp != g.W;
        int tiles = (kk + TR - 1) / TR;
        // Offsets of every tap within the bordered image; the last tile repeats its last tap (results discarded).
        int[] offs = ArrayPool<int>.Shared.Rent(tiles * TR);
        int run = g.KW * g.C;
        for (int q = 0; q < tiles * TR; q++)
        {
            int tap = Math.Min(q, kk - 1), kh = tap / run;
            offs[q] = kh * wp * g.C + (tap - kh * run);
        }
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, g.Batch) : 1;
        bool withBias = !dBias.IsEmpty;
        int size = kk * k + (withBias ? k : 0);
        float[] total;
        fixed (float* pdy = dy, px = x)
        fixed (int* po = offs)
        {
            nint ndy = (nint)pdy, nx = (nint)px, no = (nint)po;
            var geo = g;
            total = ImagePartials.Sum(g.Batch, threads, size, (sum, lo, hi) =>
            {
                float[]? img = padded ? ArrayPool<float>.Shared.Rent(hp * wp * geo.C) : null;
                fixed (float* pi = img)
                {
                    Images(sum, withBias ? sum + kk * k : null, (float*)ndy, (float*)nx, pi, (int*)no, geo, hp, wp,
                           lo, hi);
                }
                if (img is not null) ArrayPool<float>.Shared.Return(img);
            });
        }
        TP.Add(dw, total.AsSpan(0, kk * k), dw);
        if (withBias) TP.Add(dBias, total.AsSpan(kk * k, k), dBias);
        ArrayPool<float>.Shared.Return(total);
        ArrayPool<int>.Shared.Return(offs);
    }

    /// <summary>
    /// Images [b0, b1) summed into <paramref name="dw"/> [KK, K] and <paramref name="dBias"/> [K] (null: none);
    /// <paramref name="img"/>: border buffer or null.
    /// </summary>
    private static void Images(float* dw, float* dBias, float* dy, float* x, float* img, int* offs, in Conv2dGeometry g, int hp,
                               int wp, int b0, int b1)
    {
        int kk = g.PatchSize, k = g.Cout, c = g.C;
        long colStep = (long)g.StrideW * c, rowStep = (long)g.StrideH * wp * c;
        for (int b = b0; b < b1; b++)
        {
            float* src = x + (long)b * g.H * g.W * c;
            if (img is not null)
            {
                Conv2dPadded.PadImage(img, src, g.H, g.W, c, g.PadTop, g.PadLeft, hp, wp);
                src = img;
            }
            float* dyImg = dy + (long)b * g.OutPixels * k;
            if (dBias is not null)
            {
                Conv2dKernels.SumRowsInto(new Span<float>(dBias, k), new ReadOnlySpan<float>(dyImg, g.OutPixels * k),
                                          g.OutPixels, k);
            }
            for (int t0 = 0; t0 < kk; t0 += TR)
            {
                TapTile(src, offs + t0, dyImg, g, colStep, rowStep, dw + (long)t0 * k, Math.Min(TR, kk - t0));
            }
        }
    }

    /// <summary>
    /// dst[i, :] += Σ over the image's OH×OW pixels of img[origin + off[i]] · dy[pixel, :] for the six taps i &lt; taps
    /// (the rest repeat the last tap and are dropped) and every output channel: the implicit GEMM's runs tile
    /// (<see cref="GemmMicroKernel.RunsRows"/>) with the taps as its rows, the image's output rows as its runs and A
    /// stepping from pixel to pixel.
    /// </summary>
    private static void TapTile(float* img, int* off, float* dy, in Conv2dGeometry g, long colStep, long rowStep,
                                float* dst, int taps) =>
        GemmMicroKernel.RunsRows(img + off[0], img + off[1], img + off[2], img + off[3], img + off[4], img + off[5], g.OH,
                                 g.OW, rowStep, (nint)colStep, dy, g.Cout, g.Cout, dst, g.Cout, taps, addC: true);
}
