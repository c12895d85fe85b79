namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Row-major SGEMM. Glossary: C[m×n] (+)= op(A)[m×k] · op(B)[k×n]; lda/ldb/ldc are row strides of the stored
/// matrices (A stored [m×k], or [k×m] when transA; B stored [k×n], or [n×k] when transB).
/// </summary>
internal static class MatMulKernels
{
    /// <summary>The entry point every op uses; dispatches to the fastest correct kernel.</summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k,
                            ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
                            Span<float> c, int ldc, bool accumulate)
    {
        GemmNaive(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
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
    public static void Batched(float[] c, float[] a, bool transA, float[] b, bool transB,
                               int batchA, int batchB, int batchC, int m, int n, int k, bool accumulate)
    {
        int batch = Math.Max(batchA, batchB);
        int sa = m * k, sb = k * n, sc = m * n;
        int lda = transA ? m : k, ldb = transB ? k : n;
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
