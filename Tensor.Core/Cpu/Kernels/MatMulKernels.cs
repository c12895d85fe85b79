using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Row-major SGEMM. Glossary: C[m×n] (+)= op(A)[m×k] · op(B)[k×n]; lda/ldb/ldc are row strides of the stored
/// matrices (A stored [m×k], or [k×m] when transA; B stored [k×n], or [n×k] when transB).
/// </summary>
internal static class MatMulKernels
{
    /// <summary>
    /// The entry point every op uses; dispatches to the fastest correct kernel: the packed, cache-blocked AVX2/FMA
    /// SGEMM (<see cref="GemmDriver"/>, multi-threaded up to <see cref="CpuThreads.Max"/> for large problems) when the
    /// hardware has 256-bit FMA, otherwise <see cref="GemmNaive"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for its m, n, k and leading dimension.</exception>
    public static unsafe void Gemm(bool transA, bool transB, int m, int n, int k,
                                   ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
                                   Span<float> c, int ldc, bool accumulate)
    {
        if (m <= 0 || n <= 0) return;
        Check(c.Length, m, n, ldc, "c");
        if (k <= 0)
        {
            // Empty sum: C = 0, or C unchanged when accumulating.
            if (!accumulate)
            {
                for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            }

            return;
        }

        Check(a.Length, transA ? k : m, transA ? m : k, lda, "a");
        Check(b.Length, transB ? n : k, transB ? k : n, ldb, "b");
        if (!GemmMicroKernel.IsSupported)
        {
            GemmNaive(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            GemmDriver.Run(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate);
        }
    }

    // The fast kernel uses raw pointers, so an undersized span must fail loudly instead of touching foreign memory.
    private static void Check(int length, int rows, int cols, int ld, string name)
    {
        if (ld < cols || (long)(rows - 1) * ld + cols > length)
        {
            throw new ArgumentException(
                $"Gemm: '{name}' holds {length} floats with leading dimension {ld}, but a stored [{rows}x{cols}] " +
                $"matrix needs ld >= {cols} and (rows-1)*ld + cols = {(long)(rows - 1) * ld + cols} floats; " +
                "pass the matching m, n, k, transpose flags and strides.", name);
        }
    }

    /// <summary>Reference kernel (test oracle and fallback): a triple loop with a double-free float accumulator.</summary>
    public static void GemmNaive(bool transA, bool transB, int m, int n, int k,
                                 ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
                                 Span<float> c, int ldc, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    s += av * bv;
                }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
            }
        }
    }

    /// <summary>Batched driver over <see cref="Gemm"/> (see <c>IBackend.MatMul</c> for the batch rules).</summary>
    /// <remarks>
    /// A shared right operand with row-major A (the Soft MoE logits X·Φ, [B, m, d]·[d, s]) is one GEMM with B·m rows
    /// (0.050 → 0.040 ms at the anchor's [32, 49, 64]·[64, 8]). A sum over the batch of Aᵢᵀ·Bᵢ (the gradient of that
    /// shared Φ) is one GEMM of depth B·k: the stacked Aᵢ [k, m] and Bᵢ [k, n] are [B·k, m] and [B·k, n] as stored
    /// (MinAtar's dΦ, 32 products of 16 × 100 · 100 × 100). Otherwise each product is its own GEMM.
    /// </remarks>
    public static void Batched(float[] c, float[] a, bool transA, float[] b, bool transB,
                               int batchA, int batchB, int batchC, int m, int n, int k, bool accumulate)
    {
        int batch = Math.Max(batchA, batchB);
        int sa = m * k, sb = k * n, sc = m * n;
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (batch > 1 && batchB == 1 && batchA == batch && batchC == batch && !transA)
        {
            Gemm(false, transB, batch * m, n, k, a.AsSpan(0, batch * sa), lda, b.AsSpan(0, sb), ldb,
                 c.AsSpan(0, batch * sc), n, accumulate);
            return;
        }
        if (batch > 1 && batchC == 1 && batchA == batch && batchB == batch && transA && !transB)
        {
            Gemm(true, false, m, n, batch * k, a.AsSpan(0, batch * sa), lda, b.AsSpan(0, batch * sb), ldb,
                 c.AsSpan(0, sc), n, accumulate);
            return;
        }
        for (int i = 0; i < batch; i++)
        {
            var ai = a.AsSpan(batchA == 1 ? 0 : i * sa, sa);
            var bi = b.AsSpan(batchB == 1 ? 0 : i * sb, sb);
            var ci = c.AsSpan(batchC == 1 ? 0 : i * sc, sc);
            bool acc = accumulate || (batchC == 1 && i > 0);
            Gemm(transA, transB, m, n, k, ai, lda, bi, ldb, ci, n, acc);
        }
    }

}
