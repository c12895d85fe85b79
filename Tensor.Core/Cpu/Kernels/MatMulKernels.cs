using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
    /// <param name="transA">A is stored transposed, [k×m].</param>
    /// <param name="transB">B is stored transposed, [n×k].</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The contracted size.</param>
    /// <param name="a">A's storage.</param>
    /// <param name="lda">A's row stride.</param>
    /// <param name="b">B's storage.</param>
    /// <param name="ldb">B's row stride.</param>
    /// <param name="c">C's storage.</param>
    /// <param name="ldc">C's row stride.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="bias">Added to every row of the result after the product (n floats), or empty for none.</param>
    /// <param name="relu">max(·, 0) after the bias.</param>
    /// <exception cref="ArgumentException">A span is too short for its m, n, k and leading dimension.</exception>
    public static unsafe void Gemm(bool transA, bool transB, int m, int n, int k,
                                   ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
                                   Span<float> c, int ldc, bool accumulate, ReadOnlySpan<float> bias = default,
                                   bool relu = false)
    {
        if (m <= 0 || n <= 0) return;
        Check(c.Length, m, n, ldc, "c");
        if (!bias.IsEmpty && bias.Length < n)
        {
            throw new ArgumentException($"Gemm: the bias holds {bias.Length} floats for {n} columns.", nameof(bias));
        }
        if (k <= 0)
        {
            // Empty sum: C = 0, or C unchanged when accumulating; then the bias and ReLU.
            if (!accumulate)
            {
                for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            }
            BiasNaive(c, ldc, m, n, bias, relu);
            return;
        }

        Check(a.Length, transA ? k : m, transA ? m : k, lda, "a");
        Check(b.Length, transB ? n : k, transB ? k : n, ldb, "b");
        if (!GemmMicroKernel.IsSupported)
        {
            GemmNaive(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            BiasNaive(c, ldc, m, n, bias, relu);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
        {
            var epilogue = new GemmEpilogue(pbias, relu);
            GemmDriver.Run(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, accumulate, epilogue);
        }
    }

    /// <summary>c[i, j] = relu?(c[i, j] + bias[j]) (bias empty: none), the reference of the fused epilogue.</summary>
    public static void BiasNaive(Span<float> c, int ldc, int m, int n, ReadOnlySpan<float> bias, bool relu)
    {
        if (bias.IsEmpty && !relu) return;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float v = c[i * ldc + j] + (bias.IsEmpty ? 0f : bias[j]);
                c[i * ldc + j] = relu ? Math.Max(v, 0f) : v;
            }
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

    /// <summary>
    /// c[i] = a[i]·b[i] + bias row, then ReLU when <paramref name="relu"/> (see <c>IBackend.MatMulBias</c>): the
    /// bias and ReLU run on each tile of c as the GEMM finishes it (<see cref="GemmEpilogue"/>).
    /// </summary>
    public static void BatchedBias(float[] c, float[] a, float[] b, float[] bias, int batchA, int batchB, int batchBias,
                                   int m, int n, int k, bool relu)
    {
        int batch = Math.Max(batchA, batchB);
        int sa = m * k, sb = k * n, sc = m * n;
        if (batch > 1 && batchB == 1 && batchBias == 1)
        {
            Gemm(false, false, batch * m, n, k, a.AsSpan(0, batch * sa), k, b.AsSpan(0, sb), n,
                 c.AsSpan(0, batch * sc), n, false, bias.AsSpan(0, n), relu);
            return;
        }
        for (int i = 0; i < batch; i++)
        {
            var ai = a.AsSpan(batchA == 1 ? 0 : i * sa, sa);
            var bi = b.AsSpan(batchB == 1 ? 0 : i * sb, sb);
            Gemm(false, false, m, n, k, ai, k, bi, n, c.AsSpan(i * sc, sc), n, false,
                 bias.AsSpan(batchBias == 1 ? 0 : i * n, n), relu);
        }
    }

    /// <summary>Elements from which <see cref="BiasReluBackward"/> splits its columns across threads.</summary>
    public const int BiasBackwardParallelMin = 1 << 16;

    /// <summary>
    /// The backward of <see cref="BatchedBias"/> before its GEMMs, in one pass over [batch, m, n]: dz = dy where y &gt; 0,
    /// else 0 (written only with <paramref name="relu"/>; without it dz is dy), and dbias (+)= the column sums of dz over
    /// the rows, per product (<paramref name="batchBias"/> = batch) or over all of them (1). An empty dbias skips the sums.
    /// Threads take ranges of 16 columns, so each owns its bias sums.
    /// </summary>
    public static unsafe void BiasReluBackward(Span<float> dz, Span<float> dbias, ReadOnlySpan<float> dy,
                                               ReadOnlySpan<float> y, int batch, int batchBias, int m, int n, bool relu,
                                               bool accumulateBias)
    {
        if (!dbias.IsEmpty && !accumulateBias) dbias[..(batchBias * n)].Clear();
        int units = (n + 15) / 16;
        int threads = (long)batch * m * n >= BiasBackwardParallelMin ? Math.Min(CpuThreads.Max, units) : 1;
        fixed (float* pdz = dz, pdb = dbias, pdy = dy, py = y)
        {
            nint ndz = (nint)pdz, ndb = (nint)pdb, ndy = (nint)pdy, ny = (nint)py;
            CpuThreads.ForRanges(units, threads, (u0, u1) =>
            {
                int j0 = u0 * 16, j1 = Math.Min(n, u1 * 16);
                float* pz = (float*)ndz, pb = (float*)ndb, pg = (float*)ndy, pyy = (float*)ny;
                if (GemmMicroKernel.Wide && j1 - j0 >= 16)
                    BiasReluBackward<Float16>(pz, pb, pg, pyy, batch, batchBias, m, n, j0, j1, relu);
                else if (Vector256.IsHardwareAccelerated && j1 - j0 >= 8)
                    BiasReluBackward<Float8>(pz, pb, pg, pyy, batch, batchBias, m, n, j0, j1, relu);
                else
                    BiasReluBackwardScalar(pz, pb, pg, pyy, batch, batchBias, m, n, j0, j1, relu);
            });
        }
    }

    /// <summary>
    /// Columns [j0, j1) in strips of up to four vectors, each strip down all rows of a product with its bias sums in
    /// registers: adding every row into the bias row in memory made a store-to-load chain per vector (~8 cycles a row),
    /// 0.4 ms of MinAtar's [4, 800, 512] expert hidden.
    /// </summary>
    private static unsafe void BiasReluBackward<TV>(float* dz, float* dbias, float* dy, float* y, int batch,
                                                    int batchBias, int m, int n, int j0, int j1, bool relu)
        where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count, full = j0 + (j1 - j0) / w * w;
        for (int bi = 0; bi < batch; bi++)
        {
            float* db = dbias == null ? null : dbias + (batchBias == 1 ? 0 : (long)bi * n);
            long block = (long)bi * m * n;
            for (int j = j0; j < full; j += 4 * w)
            {
                float* z = dz + block + j, b = db == null ? null : db + j, g = dy + block + j, o = y + block + j;
                switch (Math.Min(4, (full - j) / w))
                {
                    case 4: Strip<TV, FourTileRows>(z, b, g, o, m, n, relu); break;
                    case 3: Strip<TV, ThreeTileRows>(z, b, g, o, m, n, relu); break;
                    case 2: Strip<TV, TwoTileRows>(z, b, g, o, m, n, relu); break;
                    default: Strip<TV, OneTileRow>(z, b, g, o, m, n, relu); break;
                }
            }
            if (full < j1) BiasReluBackwardScalar(dz + block, db, dy + block, y + block, 1, 1, m, n, full, j1, relu);
        }
    }

    /// <summary>TCount.Count vectors of columns down m rows (stride n): dz = [y &gt; 0]·dy, db += the column sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Strip<TV, TCount>(float* dz, float* db, float* dy, float* y, int m, int n, bool relu)
        where TV : struct, IFloatVector<TV> where TCount : ITileRows
    {
        int w = TV.Count;
        var zero = TV.Create(0f);
        TV a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (long o = 0; o < (long)m * n; o += n)
        {
            a0 += Masked<TV>(dz + o, dy + o, y + o, relu);
            if (TCount.Count > 1) a1 += Masked<TV>(dz + o + w, dy + o + w, y + o + w, relu);
            if (TCount.Count > 2) a2 += Masked<TV>(dz + o + 2 * w, dy + o + 2 * w, y + o + 2 * w, relu);
            if (TCount.Count > 3) a3 += Masked<TV>(dz + o + 3 * w, dy + o + 3 * w, y + o + 3 * w, relu);
        }
        if (db == null) return;
        (TV.Load(db) + a0).Store(db);
        if (TCount.Count > 1) (TV.Load(db + w) + a1).Store(db + w);
        if (TCount.Count > 2) (TV.Load(db + 2 * w) + a2).Store(db + 2 * w);
        if (TCount.Count > 3) (TV.Load(db + 3 * w) + a3).Store(db + 3 * w);
    }

    /// <summary>dy where y &gt; 0, else 0, stored to dz, with relu; dy itself without.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TV Masked<TV>(float* dz, float* dy, float* y, bool relu) where TV : struct, IFloatVector<TV>
    {
        var g = TV.Load(dy);
        if (!relu) return g;
        g = TV.Select(TV.LessThan(TV.Create(0f), TV.Load(y)), g, TV.Create(0f));
        g.Store(dz);
        return g;
    }

    private static unsafe void BiasReluBackwardScalar(float* dz, float* dbias, float* dy, float* y, int batch,
                                                      int batchBias, int m, int n, int j0, int j1, bool relu)
    {
        for (int bi = 0; bi < batch; bi++)
        {
            float* db = dbias == null ? null : dbias + (batchBias == 1 ? 0 : (long)bi * n);
            for (int r = 0; r < m; r++)
            {
                long row = ((long)bi * m + r) * n;
                for (int j = j0; j < j1; j++)
                {
                    float g = dy[row + j];
                    if (relu) dz[row + j] = g = y[row + j] > 0f ? g : 0f;
                    if (db != null) db[j] += g;
                }
            }
        }
    }
}
