using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Buffers;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Softmax and log-softmax along one axis, forward and backward.
/// </summary>
/// <remarks>
/// Dimension glossary: O outer (product of the dimensions before the axis), N the softmax axis, I inner (product
/// of the dimensions after it). Element (o, j, i) sits at (o·N + j)·I + i. I = 1 is the common case (rows:
/// router logits [B·m, n] in Top-k MoE, C51 atoms); I &gt; 1 is e.g. Soft MoE's dispatch softmax over tokens
/// (axis 1 of [B, m, slots]): small I transposes each [N, I] block into rows, large I runs I-wide vector rows.
/// Every forward subtracts the maximum first, so exp never overflows (inputs of ~1e4 are fine).
/// </remarks>
internal static class SoftmaxKernels
{
    /// <summary>y = softmax(x) or log_softmax(x) along N. y, x: [O, N, I].</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, int outer, int n, int inner, bool log)
    {
        if (n == 0 || outer == 0 || inner == 0) return;
        if (inner == 1)
        {
            if (n == Vector256<float>.Count && Avx.IsSupported)
            {
                ForwardRows8(y, x, outer, log);
                return;
            }
            for (int o = 0; o < outer; o++) ForwardRow(y.Slice(o * n, n), x.Slice(o * n, n), log);
            return;
        }
        if (inner % Vector256<float>.Count == 0 && inner <= MaxVectorInner && Vector256.IsHardwareAccelerated)
            ForwardVectorColumns(y, x, outer, n, inner, log);
        else if (inner < SmallInner) ForwardTransposed(y, x, outer, n, inner, log);
        else ForwardStrided(y, x, outer, n, inner, log);
    }

    /// <summary>
    /// Rows of exactly 8 (Soft MoE's combine softmax over 8 slots, [32·49, 8]): one vector per row, maximum and sum
    /// reduced across lanes in registers. Through <see cref="ForwardRow"/> each row paid several TensorPrimitives
    /// calls for 8 floats: 0.025–0.17 ms for the 1,568 rows depending on the process (profile moe), now 0.024 in each.
    /// </summary>
    private static void ForwardRows8(Span<float> y, ReadOnlySpan<float> x, int rows, bool log)
    {
        for (int r = 0; r < rows; r++)
        {
            var v = Vector256.Create(x.Slice(r * 8, 8));
            var m = AllLanes(v, max: true);
            var e = Vector256.Exp(v - m);
            var sum = AllLanes(e, max: false);
            var o = log ? v - m - Vector256.Log(sum) : e / sum;
            o.CopyTo(y.Slice(r * 8, 8));
        }
    }

    /// <summary>The maximum (or sum) of v's 8 lanes, in every lane.</summary>
    private static Vector256<float> AllLanes(Vector256<float> v, bool max)
    {
        var t = Avx.Permute2x128(v, v, 1); // halves swapped
        v = max ? Vector256.Max(v, t) : v + t;
        t = Avx.Permute(v, 0b01_00_11_10);  // pairs swapped within each half
        v = max ? Vector256.Max(v, t) : v + t;
        t = Avx.Permute(v, 0b10_11_00_01);  // neighbours swapped
        return max ? Vector256.Max(v, t) : v + t;
    }

    /// <summary>Widest inner size whose column maxima and sums <see cref="ForwardVectorColumns"/> keeps on the stack.</summary>
    private const int MaxVectorInner = 256;

    /// <summary>
    /// I a multiple of 8: each [N, I] block in four passes of whole vectors (column max, shift, one exp over the block,
    /// column sum and scale). Soft MoE's dispatch softmax [32, 49, 8] took 0.19 ms through the transposes (per-row
    /// TensorPrimitives calls of 49 floats), a quarter of the whole Soft MoE layer.
    /// </summary>
    private static void ForwardVectorColumns(Span<float> y, ReadOnlySpan<float> x, int outer, int n, int inner, bool log)
    {
        int block = n * inner, w = Vector256<float>.Count;
        Span<float> max = stackalloc float[inner];
        float[]? tmp = log ? ArrayPool<float>.Shared.Rent(block) : null;
        for (int o = 0; o < outer; o++)
        {
            var xb = x.Slice(o * block, block);
            var yb = y.Slice(o * block, block);
            var e = log ? tmp.AsSpan(0, block) : yb;
            for (int i = 0; i < inner; i += w)
            {
                var m = Vector256.Create(xb.Slice(i, w));
                for (int j = 1; j < n; j++) m = Vector256.Max(m, Vector256.Create(xb.Slice(j * inner + i, w)));
                m.CopyTo(max.Slice(i, w));
                for (int j = 0; j < n; j++) (Vector256.Create(xb.Slice(j * inner + i, w)) - m).CopyTo(e.Slice(j * inner + i, w));
            }
            TP.Exp(e, e);
            for (int i = 0; i < inner; i += w)
            {
                var acc = Vector256<float>.Zero;
                for (int j = 0; j < n; j++) acc += Vector256.Create(e.Slice(j * inner + i, w));
                if (log)
                {
                    // log_softmax = (x − max) − ln Σ exp(x − max), as in ForwardRow.
                    var shift = Vector256.Create(max.Slice(i, w)) + Vector256.Log(acc);
                    for (int j = 0; j < n; j++) (Vector256.Create(xb.Slice(j * inner + i, w)) - shift).CopyTo(yb.Slice(j * inner + i, w));
                }
                else
                {
                    for (int j = 0; j < n; j++) (Vector256.Create(yb.Slice(j * inner + i, w)) / acc).CopyTo(yb.Slice(j * inner + i, w));
                }
            }
        }
        if (tmp is not null) ArrayPool<float>.Shared.Return(tmp);
    }

    /// <summary>
    /// Below this inner size, vector ops over I-wide rows are mostly call overhead; transposing each [N, I] block
    /// to I contiguous rows was ~2.5× faster at Soft MoE's [32, 49, 8] (SoftmaxBenchmarks, loaded 2-core host).
    /// </summary>
    private const int SmallInner = 32;

    /// <summary>Large I: vector ops across I-wide rows, a running max and sum per inner position.</summary>
    private static void ForwardStrided(Span<float> y, ReadOnlySpan<float> x, int outer, int n, int inner, bool log)
    {
        var max = new float[inner];
        var sum = new float[inner];
        var tmp = log ? new float[inner] : [];
        int block = n * inner;
        for (int o = 0; o < outer; o++)
        {
            var xb = x.Slice(o * block, block);
            var yb = y.Slice(o * block, block);
            max.AsSpan().Fill(float.NegativeInfinity);
            for (int j = 0; j < n; j++) TP.Max(max, xb.Slice(j * inner, inner), max);
            Array.Clear(sum);
            for (int j = 0; j < n; j++)
            {
                var yr = yb.Slice(j * inner, inner);
                TP.Subtract(xb.Slice(j * inner, inner), max, yr);
                if (log)
                {
                    TP.Exp(yr, tmp);
                    TP.Add(sum, tmp, sum);
                }
                else
                {
                    TP.Exp(yr, yr);
                    TP.Add(sum, yr, sum);
                }
            }
            if (log)
            {
                TP.Log(sum, sum);
                for (int j = 0; j < n; j++) TP.Subtract(yb.Slice(j * inner, inner), sum, yb.Slice(j * inner, inner));
            }
            else
            {
                for (int j = 0; j < n; j++) TP.Divide(yb.Slice(j * inner, inner), sum, yb.Slice(j * inner, inner));
            }
        }
    }

    /// <summary>Small I: transpose each [N, I] block to I rows of N, run the row kernel, transpose back.</summary>
    private static void ForwardTransposed(Span<float> y, ReadOnlySpan<float> x, int outer, int n, int inner, bool log)
    {
        int block = n * inner;
        var t = ArrayPool<float>.Shared.Rent(block);
        var u = ArrayPool<float>.Shared.Rent(block);
        for (int o = 0; o < outer; o++)
        {
            MovementKernels.Transpose2D(t, x.Slice(o * block, block), n, inner);
            for (int i = 0; i < inner; i++) ForwardRow(u.AsSpan(i * n, n), t.AsSpan(i * n, n), log);
            MovementKernels.Transpose2D(y.Slice(o * block, block), u, inner, n);
        }
        ArrayPool<float>.Shared.Return(t);
        ArrayPool<float>.Shared.Return(u);
    }

    /// <summary>One contiguous row of length N.</summary>
    private static void ForwardRow(Span<float> y, ReadOnlySpan<float> x, bool log)
    {
        float m = TP.Max(x);
        // y = x − max ≤ 0; TensorPrimitives.SoftMax itself does not subtract the maximum, so shift first.
        TP.Subtract(x, m, y);
        if (!log)
        {
            TP.SoftMax(y, y);
            return;
        }
        // log_softmax = (x − max) − ln Σ exp(x − max); exp goes through y as scratch, then y is rewritten.
        // Subtracting max and the log-sum separately keeps precision when |max| ≫ ln Σ (logits ~1e4).
        TP.Exp(y, y);
        float lse = MathF.Log(TP.Sum(y));
        TP.Subtract(x, m, y);
        TP.Subtract(y, lse, y);
    }

    /// <summary>
    /// dx += softmax backward (y ⊙ (dy − Σ dy⊙y)) or log-softmax backward (dy − exp(y)·Σ dy). dx, dy, y: [O, N, I].
    /// </summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, int outer, int n,
                                int inner, bool log)
    {
        if (n == 0 || outer == 0 || inner == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var dxr = dx.Slice(o * n, n);
                var dyr = dy.Slice(o * n, n);
                var yr = y.Slice(o * n, n);
                if (log)
                {
                    float s = TP.Sum(dyr);
                    for (int j = 0; j < n; j++) dxr[j] += dyr[j] - MathF.Exp(yr[j]) * s;
                }
                else
                {
                    float s = TP.Dot(dyr, yr);
                    for (int j = 0; j < n; j++) dxr[j] += yr[j] * (dyr[j] - s);
                }
            }
            return;
        }
        var acc = new float[inner];
        int block = n * inner;
        for (int o = 0; o < outer; o++)
        {
            int b = o * block;
            Array.Clear(acc);
            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int p = b + j * inner + i;
                    acc[i] += log ? dy[p] : dy[p] * y[p];
                }
            }
            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < inner; i++)
                {
                    int p = b + j * inner + i;
                    dx[p] += log ? dy[p] - MathF.Exp(y[p]) * acc[i] : y[p] * (dy[p] - acc[i]);
                }
            }
        }
    }

    /// <summary>
    /// Naive reference (double precision, scalar, any I): the test oracle and documentation of the maths.
    /// </summary>
    public static void ForwardNaive(Span<float> y, ReadOnlySpan<float> x, int outer, int n, int inner, bool log)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                double m = double.NegativeInfinity;
                for (int j = 0; j < n; j++) m = Math.Max(m, x[(o * n + j) * inner + i]);
                double s = 0;
                for (int j = 0; j < n; j++) s += Math.Exp(x[(o * n + j) * inner + i] - m);
                for (int j = 0; j < n; j++)
                {
                    int p = (o * n + j) * inner + i;
                    y[p] = (float)(log ? x[p] - m - Math.Log(s) : Math.Exp(x[p] - m) / s);
                }
            }
        }
    }
}
