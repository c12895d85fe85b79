using System.Buffers;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// A two-layer MLP's forward, y = relu(x·W1 + b1)·W2 + b2, in blocks of rows (see <c>IBackend.Mlp</c> for the batch
/// rules): each block's hidden rows are made and consumed while they are still in cache, so the hidden layer never
/// goes to memory as a whole.
/// </summary>
/// <remarks>
/// Why: a Soft MoE's experts at MinAtar's shape (4 experts × 800 slot rows, d = 16, h = 512) have a hidden layer of
/// 6.5 MB, past the L2 cache, for products of depth 16 on each side. Written by the first GEMM and read back by the
/// second, it costs two trips through L3/DRAM per forward; forwards that keep no graph (the target network's, acting)
/// need the hidden only for the next product, so here it lives in a per-thread block of
/// <see cref="BlockFloats"/> floats.
/// </remarks>
internal static class MlpKernels
{
    /// <summary>Floats of one hidden block (128 KB: a few blocks fit the L2 cache beside the packed weights).</summary>
    public const int BlockFloats = 32 * 1024;

    /// <summary>Fewest rows of a hidden block, however wide the hidden layer.</summary>
    public const int MinBlockRows = 48;

    /// <summary>
    /// Rows per hidden block for hidden width <paramref name="h"/>: a multiple of the GEMM tile's 6 rows, at least
    /// <see cref="MinBlockRows"/>. profile gemm, Soft MoE-1's hidden of 2048: 12-row blocks (what 128 KB holds) ran the
    /// first layer at 109 GFLOP/s, 48-row blocks at 173 (the second at 160 and 158).
    /// </summary>
    public static int BlockRows(int h) => Math.Max(MinBlockRows, BlockFloats / Math.Max(1, h) / GemmRows * GemmRows);

    private const int GemmRows = Gemm.GemmMicroKernel.MR;

    /// <summary>
    /// y[i] = relu(x[i]·w1[i] + b1[i])·w2[i] + b2[i] for i &lt; max(batchX, batchW), each operand shared when its batch
    /// is 1. Row blocks of all products are spread over up to <see cref="CpuThreads.Max"/> threads when the work is
    /// large enough to pay for them (as a GEMM of the same FLOPs would be).
    /// </summary>
    public static void Batched(float[] y, float[] x, float[] w1, float[] b1, float[] w2, float[] b2, int batchX, int batchW,
                               int batchB1, int batchB2, int m, int k, int h, int n)
    {
        int batch = Math.Max(batchX, batchW);
        if (batch == 0 || m == 0 || n == 0) return;
        int hc = Math.Min(h, HiddenChunk), rows = BlockRows(hc);
        int blocks = (m + rows - 1) / rows;
        int units = batch * blocks;
        double flops = 2.0 * batch * m * ((double)k * h + (double)h * n);
        int threads = flops >= Gemm.GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, units) : 1;
        CpuThreads.ForRanges(units, threads, (u0, u1) =>
        {
            float[] hidden = ArrayPool<float>.Shared.Rent(rows * Math.Max(1, hc));
            try
            {
                for (int u = u0; u < u1; u++)
                {
                    int i = u / blocks, r0 = u % blocks * rows, r = Math.Min(rows, m - r0);
                    int wi = batchW == 1 ? 0 : i;
                    var xi = x.AsSpan((batchX == 1 ? 0 : i * m * k) + r0 * k, r * k);
                    int b1i = batchB1 == 1 ? 0 : i * h;
                    var b2i = b2.AsSpan(batchB2 == 1 ? 0 : i * n, n);
                    var yi = y.AsSpan(i * m * n + r0 * n, r * n);
                    // Hidden units in chunks: y = Σ_c relu(x·w1[:, c] + b1[c])·w2[c, :] + b2, the bias with the first.
                    for (int c0 = 0; c0 < h; c0 += hc)
                    {
                        int cw = Math.Min(hc, h - c0);
                        var hid = hidden.AsSpan(0, r * cw);
                        MatMulKernels.Gemm(false, false, r, cw, k, xi, k, Sub(w1, wi * k * h + c0, k, cw, h), h, hid, cw, false,
                                           b1.AsSpan(b1i + c0, cw), relu: true);
                        MatMulKernels.Gemm(false, false, r, n, cw, hid, cw, w2.AsSpan(wi * h * n + c0 * n, cw * n), n, yi, n,
                                           c0 > 0, c0 == 0 ? b2i : default);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(hidden);
            }
        });
    }

    /// <summary>
    /// Hidden units per chunk: a wider hidden layer is made and consumed in column chunks of this width (the products
    /// sum over them), so a block's hidden rows, their gradient and the weights' slices stay in L2. Soft MoE-1 with
    /// hidden 2048 in whole 48-row blocks: profile minatar-softmoe1h2048-train-b32, the expert backward at 97 GFLOP/s.
    /// </summary>
    public const int HiddenChunk = 512;

    /// <summary>Rows × cols of a row-major matrix with row stride <paramref name="ld"/> starting at offset.</summary>
    private static Span<float> Sub(float[] a, int offset, int rows, int cols, int ld) =>
        a.AsSpan(offset, (rows - 1) * ld + cols);

    /// <summary>
    /// Floats of one of the backward's two per-block buffers (the hidden and its gradient; 192 KB each): deeper blocks
    /// than the forward's, since the block's rows are the depth of its weight-gradient products.
    /// </summary>
    public const int BackwardBlockFloats = 48 * 1024;

    /// <summary>
    /// Rows per block of <see cref="Backward"/> for hidden width <paramref name="h"/>: a multiple of the GEMM tile's
    /// rows, at least <see cref="MinBlockRows"/>.
    /// </summary>
    public static int BackwardBlockRows(int h) =>
        Math.Max(MinBlockRows, BackwardBlockFloats / Math.Max(1, h) / GemmRows * GemmRows);

    /// <summary>
    /// The gradients of y = relu(x·w1 + b1)·w2 + b2 from dy [B, m, n], in blocks of rows that stay in cache (the batch
    /// rules of <see cref="Batched"/>): per block, the hidden a = relu(x·w1 + b1) is recomputed; db2 += Σ dY;
    /// dW2ᵀ += dYᵀ·a; dz = [a &gt; 0]·(dY·w2ᵀ) with db1 += Σ dz in the same pass; dW1 += xᵀ·dz; dX = dz·(w1ᵀ). Each
    /// gradient is written (a shared operand gets the sum over the products); an empty one is not computed, and dz is
    /// skipped when dx, dw1 and db1 all are.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Why: at MinAtar Soft MoE-4's experts ([4, 800, 16] → 512 → 16) the unfused backward writes and reads the
    /// [4, 800, 512] hidden and its gradient (6.5 MB each, past L2) in several passes: the second layer's dW2 and dA,
    /// the ReLU mask with the bias sums, dW1 and dX.
    /// </para>
    /// <para>
    /// Shapes that keep the block's products fast (profile gemm, 60-row blocks): dW2 is summed transposed, as
    /// dYᵀ·a [16 × 512] at ~190 GFLOP/s rather than aᵀ·dY [512 × 16] at ~115, and dX reads a transposed copy of w1 made
    /// once per call, 150 GFLOP/s against 85 with w1ᵀ packed in every block. Threads take contiguous ranges of
    /// (product, block) units, each adding into its own sums, which are added up in thread order afterwards, so
    /// results do not depend on timing.
    /// </para>
    /// </remarks>
    public static unsafe void Backward(float[] dy, float[] x, float[] w1, float[] b1, float[] w2, Span<float> dx,
                                       Span<float> dw1, Span<float> db1, Span<float> dw2, Span<float> db2, int batchX,
                                       int batchW, int batchB1, int batchB2, int m, int k, int h, int n)
    {
        int batch = Math.Max(batchX, batchW);
        var g = new Grads(dx.IsEmpty ? 0 : batchX * m * k, dw1.IsEmpty ? 0 : batchW * k * h, db1.IsEmpty ? 0 : batchB1 * h,
                          dw2.IsEmpty ? 0 : batchW * h * n, db2.IsEmpty ? 0 : batchB2 * n, batchX == 1 && batch > 1);
        dx[..g.Dx].Clear();
        dw1[..g.Dw1].Clear();
        db1[..g.Db1].Clear();
        dw2[..g.Dw2].Clear();
        db2[..g.Db2].Clear();
        if (batch == 0 || m == 0 || n == 0) return;
        int hc = Math.Min(h, HiddenChunk), rows = BackwardBlockRows(hc), blocks = (m + rows - 1) / rows, units = batch * blocks;
        double flops = 2.0 * batch * m * (k * h + 2.0 * h * n + (g.NeedDz ? 2.0 * k * h : 0));
        int threads = flops >= Gemm.GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, units) : 1;
        int per = (units + threads - 1) / threads;
        var sums = new float[threads][];
        for (int t = 0; t < threads; t++)
        {
            sums[t] = ArrayPool<float>.Shared.Rent(Math.Max(1, g.Total));
            Array.Clear(sums[t], 0, g.Total);
        }
        float[] w1T = ArrayPool<float>.Shared.Rent(g.Dx > 0 ? batchW * h * k : 1);
        try
        {
            if (g.Dx > 0)
            {
                for (int i = 0; i < batchW; i++)
                {
                    MovementKernels.Transpose2D(w1T.AsSpan(i * h * k, h * k), w1.AsSpan(i * k * h, k * h), k, h);
                }
            }
            var z = new Sizes(batchX, batchW, batchB1, batchB2, m, k, h, n, rows, blocks, hc);
            fixed (float* pdx = dx)
            {
                nint dxRows = (nint)pdx;
                CpuThreads.ForRanges(units, threads, (u0, u1) =>
                    BackwardUnits(dy, x, w1, w1T, b1, w2, sums[u0 / per], dxRows, g, z, u0, u1));
            }
            foreach (var own in sums)
            {
                var s = own.AsSpan();
                if (g.SharedX) TP.Add(dx[..g.Dx], s[..g.Dx], dx[..g.Dx]);
                TP.Add(dw1[..g.Dw1], s.Slice(g.OffDw1, g.Dw1), dw1[..g.Dw1]);
                TP.Add(db1[..g.Db1], s.Slice(g.OffDb1, g.Db1), db1[..g.Db1]);
                TP.Add(db2[..g.Db2], s.Slice(g.OffDb2, g.Db2), db2[..g.Db2]);
                if (g.Dw2 == 0) continue;
                for (int i = 0; i < batchW; i++) // dW2ᵀ [n, h] → dW2 [h, n]
                {
                    var t = s.Slice(g.OffDw2 + i * n * h, n * h);
                    var d = dw2.Slice(i * h * n, h * n);
                    for (int r = 0; r < h; r++)
                    {
                        for (int c = 0; c < n; c++) d[r * n + c] += t[c * h + r];
                    }
                }
            }
        }
        finally
        {
            foreach (var own in sums) ArrayPool<float>.Shared.Return(own);
            ArrayPool<float>.Shared.Return(w1T);
        }
    }

    /// <summary>
    /// The backward's units [u0, u1): sums (of dx when shared, dW1, db1, dW2ᵀ and db2) go to <paramref name="own"/>,
    /// an unshared x's gradient rows straight to <paramref name="dxRows"/>.
    /// </summary>
    private static unsafe void BackwardUnits(float[] dy, float[] x, float[] w1, float[] w1T, float[] b1, float[] w2,
                                             float[] own, nint dxRows, Grads g, Sizes z, int u0, int u1)
    {
        int k = z.K, h = z.H, n = z.N, m = z.M, hc = z.Chunk;
        float[] a = ArrayPool<float>.Shared.Rent(z.Rows * hc);
        float[] dz = ArrayPool<float>.Shared.Rent(g.NeedDz ? z.Rows * hc : 1);
        try
        {
            for (int u = u0; u < u1; u++)
            {
                int i = u / z.Blocks, r0 = u % z.Blocks * z.Rows, r = Math.Min(z.Rows, m - r0);
                int wi = z.BatchW == 1 ? 0 : i, xi = z.BatchX == 1 ? 0 : i;
                int bi1 = z.BatchB1 == 1 ? 0 : i, bi2 = z.BatchB2 == 1 ? 0 : i;
                var xs = x.AsSpan(xi * m * k + r0 * k, r * k);
                var dys = dy.AsSpan(i * m * n + r0 * n, r * n);
                if (g.Db2 > 0)
                {
                    MatMulKernels.BiasReluBackward(default, own.AsSpan(g.OffDb2 + bi2 * n, n), dys, dys, 1, 1, r, n, false,
                                                   true);
                }
                // An unshared x owns its rows (written by the first chunk); a shared one sums over the products.
                var dxs = g.Dx == 0 ? default
                    : g.SharedX ? own.AsSpan(r0 * k, r * k) : new Span<float>((float*)dxRows + (xi * m + r0) * k, r * k);
                for (int c0 = 0; c0 < h; c0 += hc) // hidden units [c0, c0 + cw): every product splits along them
                {
                    int cw = Math.Min(hc, h - c0);
                    var hid = a.AsSpan(0, r * cw);
                    MatMulKernels.Gemm(false, false, r, cw, k, xs, k, Sub(w1, wi * k * h + c0, k, cw, h), h, hid, cw, false,
                                       b1.AsSpan(bi1 * h + c0, cw), relu: true);
                    if (g.Dw2 > 0)
                    {
                        MatMulKernels.Gemm(true, false, n, cw, r, dys, n, hid, cw, Sub(own, g.OffDw2 + wi * n * h + c0, n, cw, h),
                                           h, true);
                    }
                    if (!g.NeedDz) continue;
                    var dzs = dz.AsSpan(0, r * cw);
                    MatMulKernels.Gemm(false, true, r, cw, n, dys, n, w2.AsSpan(wi * h * n + c0 * n, cw * n), n, dzs, cw, false);
                    MatMulKernels.BiasReluBackward(dzs, g.Db1 > 0 ? own.AsSpan(g.OffDb1 + bi1 * h + c0, cw) : default, dzs, hid,
                                                   1, 1, r, cw, true, true);
                    if (g.Dw1 > 0)
                    {
                        MatMulKernels.Gemm(true, false, k, cw, r, xs, k, dzs, cw, Sub(own, g.OffDw1 + wi * k * h + c0, k, cw, h),
                                           h, true);
                    }
                    if (g.Dx > 0)
                    {
                        MatMulKernels.Gemm(false, false, r, k, cw, dzs, cw, w1T.AsSpan(wi * h * k + c0 * k, cw * k), k, dxs, k,
                                           g.SharedX || c0 > 0);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(a);
            ArrayPool<float>.Shared.Return(dz);
        }
    }

    /// <summary>The sizes of the block loop.</summary>
    private readonly record struct Sizes(int BatchX, int BatchW, int BatchB1, int BatchB2, int M, int K, int H, int N,
                                         int Rows, int Blocks, int Chunk);

    /// <summary>
    /// The floats of each wanted gradient (0: not wanted), whether x is shared by several products (its gradient then
    /// being a sum like a weight's), and the layout of a thread's flat sums buffer: [dx if shared, dW1, db1, dW2ᵀ, db2].
    /// </summary>
    private readonly record struct Grads(int Dx, int Dw1, int Db1, int Dw2, int Db2, bool SharedX)
    {
        public bool NeedDz => Dx > 0 || Dw1 > 0 || Db1 > 0;

        public int OffDw1 => SharedX ? Dx : 0;

        public int OffDb1 => OffDw1 + Dw1;

        public int OffDw2 => OffDb1 + Db1;

        public int OffDb2 => OffDw2 + Dw2;

        public int Total => OffDb2 + Db2;
    }
}
