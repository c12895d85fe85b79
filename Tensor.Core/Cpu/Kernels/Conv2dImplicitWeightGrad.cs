using System.Buffers;
using System.Runtime.Intrinsics;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Implicit-GEMM convolution weight gradient for unpadded convs: dWᵀ [K, KK] = dYᵀ · im2col(x), with each packed
/// B panel (16 taps × a block of output pixels) copied straight out of x instead of out of an im2col matrix.
/// </summary>
/// <remarks>
/// <para>Glossary as in <see cref="Conv2dKernels"/>. Buffers: dy [M, K], x [B, H, W, C], dw [KK, K] (accumulated).</para>
/// <para>Same loop nest as <see cref="GemmDriver"/>'s one-row-block path, which ran the swapped dWᵀ = dyᵀ·col
/// product (K ≤ 64 rows): depth blocks of pixels, dyᵀ packed once per block, then per 16-tap panel a packed B and
/// the K/6 row tiles. A 16-tap panel lies inside one run of KW·C contiguous floats when that run is a multiple of
/// 16, so a panel row is two vector copies from x; the 13 MB im2col matrix of Nature conv 1 is never built.</para>
/// <para>Threads split the panels (disjoint columns of dWᵀ), as the GEMM did.</para>
/// </remarks>
internal static unsafe class Conv2dImplicitWeightGrad
{
    private const int MR = GemmMicroKernel.MR;
    private const int NR = GemmMicroKernel.NR;

    /// <summary>Unpadded, K ≤ 64 (the swapped layout) and runs of KW·C floats made of whole 16-tap panels.</summary>
    public static bool CanRun(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.PadTop + g.PadBottom + g.PadLeft + g.PadRight == 0 &&
        g.Cout <= Conv2dKernels.SwappedWeightGradMaxCout && g.KW * g.C % NR == 0 && g.KH * g.KW > 1;

    /// <summary>dw [KK, K] += im2col(x)ᵀ · dy [M, K]. Requires <see cref="CanRun"/>.</summary>
    public static void Accumulate(Span<float> dw, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, in Conv2dGeometry g)
    {
        int kk = g.PatchSize, k = g.Cout, panels = kk / NR;
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, panels) : 1;
        float[] dwT = ArrayPool<float>.Shared.Rent(k * kk);
        fixed (float* pt = dwT, pdy = dy, px = x)
        {
            nint nt = (nint)pt, ndy = (nint)pdy, nx = (nint)px;
            var geo = g;
            CpuThreads.ForRanges(panels, threads,
                                     (lo, hi) => Panels((float*)nt, (float*)ndy, (float*)nx, geo, lo, hi));
        }
        for (int o = 0; o < k; o++)
        for (int q = 0; q < kk; q++) dw[q * k + o] += dwT[o * kk + q];
        ArrayPool<float>.Shared.Return(dwT);
    }

    /// <summary>Columns [j0·16, j1·16) of dWᵀ [K, KK] (written, not accumulated), over all M pixels.</summary>
    private static void Panels(float* dwT, float* dy, float* x, in Conv2dGeometry g, int j0, int j1)
    {
        int kk = g.PatchSize, k = g.Cout, m = g.Batch * g.OutPixels;
        int segLen = g.KW * g.C, rowLen = g.W * g.C, kc0 = Math.Min(GemmDriver.KC, m);
        int aPanels = (k + MR - 1) / MR;
        float[] buf = ArrayPool<float>.Shared.Rent(aPanels * MR * kc0 + kc0 * NR);
        float** origins = stackalloc float*[kc0];
        fixed (float* pb = buf)
        {
            float* packA = pb, packB = pb + aPanels * MR * kc0;
            for (int pc = 0; pc < m; pc += kc0)
            {
                int kc = Math.Min(kc0, m - pc);
                // dyᵀ rows are dy's columns: the transposed pack of the block's kc pixels.
                GemmPacking.PackA(true, dy, k, 0, pc, k, kc, packA);
                for (int p = 0; p < kc; p++) origins[p] = Conv2dImplicit.RowOrigin(x, g, pc + p);
                for (int j = j0; j < j1; j++)
                {
                    // Tap j·16 sits in kernel row kh at offset q of its run; the panel's 16 taps follow contiguously.
                    int tap = j * NR, kh = tap / segLen, q = tap - kh * segLen;
                    long off = (long)kh * rowLen + q;
                    for (int p = 0; p < kc; p++)
                    {
                        float* src = origins[p] + off;
                        Vector256.Store(Vector256.Load(src), packB + p * NR);
                        Vector256.Store(Vector256.Load(src + 8), packB + p * NR + 8);
                    }
                    for (int ir = 0; ir < k; ir += MR)
                    {
                        int mr = Math.Min(MR, k - ir);
                        float* c = dwT + (long)ir * kk + tap;
                        if (mr == MR) GemmMicroKernel.Kernel6x16(kc, packA + ir * kc, packB, c, kk, addC: pc > 0);
                        else GemmMicroKernel.KernelEdge(kc, packA + ir * kc, packB, c, kk, mr, NR, addC: pc > 0);
                    }
                }
            }
        }
        ArrayPool<float>.Shared.Return(buf);
    }
}
