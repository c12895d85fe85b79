using System.Buffers;
using System.Runtime.CompilerServices;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Both softmaxes of [B, M, N] blocks at once, over the rows' axis M (each column normalized) and over N (each row),
/// with one exp per element where the block allows it.
/// </summary>
/// <remarks>
/// <para>
/// Why: Soft MoE's dispatch and combine weights are the two softmaxes of the same logits [B, m, n·p] (softmoe.py):
/// MinAtar Soft MoE-4's [32, 100, 100] took two kernels of 0.15–0.2 ms each per forward, twice per training step
/// (online and target networks), nearly all of it in exp (~20 vector operations per 16 floats).
/// </para>
/// <para>
/// Maths: with c the block's maximum and E = exp(x − c), the column softmax is E / (column sums of E) and the row
/// softmax E / (row sums of E): the max subtracted cancels in each ratio, so any c gives the same values as the
/// per-row and per-column maxima up to rounding, as long as no entry that matters underflows. Entries more than
/// 87 below c flush to 0. The shared exp is therefore taken only when every row's and every column's maximum lies
/// within <see cref="SharedExpRange"/> of c: an entry then flushes only if it is more than 87 − 20 = 67 below its
/// own row's (column's) maximum, where its weight e⁻⁶⁷ ≈ 8e-30 is far below float resolution beside the maximum's.
/// Otherwise (a wide range, a NaN, +∞, or a row or column entirely −∞) the block runs the two single-axis kernels,
/// with their exact semantics; a single −∞ logit is a weight of 0 either way.
/// </para>
/// </remarks>
internal static unsafe partial class SoftmaxKernels
{
    /// <summary>How far below the block's maximum a row's or column's maximum may lie for the shared exp.</summary>
    public const float SharedExpRange = 20f;

    /// <summary>
    /// yCols = softmax over M and yRows = softmax over N of each [M, N] block of x [B, M, N]; the three buffers do not
    /// overlap.
    /// </summary>
    public static void ForwardPair(Span<float> yCols, Span<float> yRows, ReadOnlySpan<float> x, int batch, int m, int n)
    {
        if (batch == 0 || m == 0 || n == 0) return;
        if (!Vectorizes(n))
        {
            Forward(yCols, x, batch, m, n, log: false);
            Forward(yRows, x, batch * m, n, 1, log: false);
            return;
        }
        float[] scratch = ArrayPool<float>.Shared.Rent(3 * n + m);
        try
        {
            fixed (float* pc = yCols, pr = yRows, px = x, ps = scratch)
            {
                if (Wide(n)) PairBlocks<Float16>(pc, pr, px, ps, batch, m, n);
                else PairBlocks<Float8>(pc, pr, px, ps, batch, m, n);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Block by block: the row and column maxima; then, where <see cref="SharedExpRange"/> allows, E = exp(x − max)
    /// into yCols with its row and column sums, and both outputs scaled from E; else the single-axis kernels.
    /// Scratch holds column maxima, sums and reciprocals (n each) and row sums (m).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PairBlocks<TV>(float* yc, float* yr, float* x, float* scratch, int batch, int m, int n)
        where TV : struct, IFloatVector<TV>
    {
        // The tail vector [last, n) overlaps the full ones; its new lanes start at 'fresh'.
        int w = TV.Count, full = n / w * w, last = n - w, fresh = w - (n - full);
        float* colMax = scratch, colSum = scratch + n, colInv = scratch + 2 * n, rowSum = scratch + 3 * n;
        long block = (long)m * n;
        for (int b = 0; b < batch; b++)
        {
            float* xb = x + b * block, cb = yc + b * block, rb = yr + b * block;
            if (!SharedExpFits<TV>(xb, colMax, m, n, out float max))
            {
                ForwardColumns<TV>(cb, xb, 1, m, n, log: false);
                ForwardRows<TV>(rb, xb, m, n, log: false);
                continue;
            }
            var c = TV.Create(max);
            var zero = TV.Create(0f);
            for (int j = 0; j < full; j += w) zero.Store(colSum + j);
            if (full < n) zero.Store(colSum + last);
            for (int r = 0; r < m; r++)
            {
                float* xr = xb + (long)r * n, er = cb + (long)r * n;
                var s = zero;
                for (int j = 0; j < full; j += w)
                {
                    var e = TV.Exp(TV.Load(xr + j) - c);
                    e.Store(er + j);
                    s += e;
                    (TV.Load(colSum + j) + e).Store(colSum + j);
                }
                if (full < n)
                {
                    var e = TV.KeepFrom(TV.Exp(TV.Load(xr + last) - c), fresh);
                    s += e;
                    (TV.Load(colSum + last) + e).Store(colSum + last);
                    // Stored whole: the overlapped lanes get the values the full vector stored (same x, same c).
                    TV.Exp(TV.Load(xr + last) - c).Store(er + last);
                }
                rowSum[r] = TV.Sum(s);
            }
            var one = TV.Create(1f);
            for (int j = 0; j < full; j += w) (one / TV.Load(colSum + j)).Store(colInv + j);
            if (full < n) (one / TV.Load(colSum + last)).Store(colInv + last);
            for (int r = 0; r < m; r++)
            {
                float* er = cb + (long)r * n, outRow = rb + (long)r * n;
                var inv = TV.Create(1f / rowSum[r]);
                // E's tail is read before the full vectors overwrite its overlapped lanes with the column softmax.
                var tail = full < n ? TV.Load(er + last) : zero;
                for (int j = 0; j < full; j += w)
                {
                    var e = TV.Load(er + j);
                    (e * inv).Store(outRow + j);
                    (e * TV.Load(colInv + j)).Store(er + j);
                }
                if (full < n)
                {
                    (tail * inv).Store(outRow + last);
                    (tail * TV.Load(colInv + last)).Store(er + last);
                }
            }
        }
    }

    /// <summary>
    /// Whether one exp serves both softmaxes of the [m, n] block at <paramref name="x"/>: every row's and column's
    /// maximum within <see cref="SharedExpRange"/> of the block's (false with NaN or ±∞, as the comparisons fail);
    /// <paramref name="max"/> is the block's maximum. <paramref name="colMax"/> (n floats) is scratch.
    /// </summary>
    private static bool SharedExpFits<TV>(float* x, float* colMax, int m, int n, out float max)
        where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count, full = n / w * w, last = n - w;
        var lowest = TV.Create(float.NegativeInfinity);
        for (int j = 0; j < full; j += w) lowest.Store(colMax + j);
        if (full < n) lowest.Store(colMax + last);
        float hi = float.NegativeInfinity, lowRow = float.PositiveInfinity;
        for (int r = 0; r < m; r++)
        {
            float* xr = x + (long)r * n;
            var rm = lowest;
            for (int j = 0; j < full; j += w)
            {
                var v = TV.Load(xr + j);
                rm = TV.Max(rm, v);
                TV.Max(TV.Load(colMax + j), v).Store(colMax + j);
            }
            if (full < n)
            {
                var v = TV.Load(xr + last); // overlapping lanes: max is idempotent
                rm = TV.Max(rm, v);
                TV.Max(TV.Load(colMax + last), v).Store(colMax + last);
            }
            float rowMax = TV.MaxAcross(rm);
            hi = MathF.Max(hi, rowMax);
            lowRow = MathF.Min(lowRow, rowMax);
        }
        float lowCol = float.PositiveInfinity;
        for (int j = 0; j < n; j++) lowCol = MathF.Min(lowCol, colMax[j]);
        max = hi;
        return float.IsFinite(hi) && hi - lowRow <= SharedExpRange && hi - lowCol <= SharedExpRange;
    }
}
