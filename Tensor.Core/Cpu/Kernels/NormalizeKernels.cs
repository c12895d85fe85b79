using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// The clamped L2 normalization y = x / (√max(Σₙ x², c) + eps) over the middle axis of [outer, n, inner], forward
/// and backward in one pass each: the composite (square, sum, clamp, sqrt, add, divide) made six kernel calls and
/// four temporaries per direction, ~0.4 ms of the Soft MoE DQN's backward at batch 32.
/// </summary>
internal static class NormalizeKernels
{
    /// <summary>y = x / (√max(Σₙ x², minSumSq) + eps); y may not alias x.</summary>
    public static void L2ClampedForward(Span<float> y, ReadOnlySpan<float> x, int outer, int n, int inner,
                                        float minSumSq, float eps)
    {
        if (inner == 1)
        {
            // Rows are contiguous (the token axis of [B, m, d]): one dot and one scaled copy per row.
            for (int o = 0; o < outer; o++)
            {
                var xr = x.Slice(o * n, n);
                float d = MathF.Sqrt(MathF.Max(SumOfSquares(xr), minSumSq)) + eps;
                DivideRow(y.Slice(o * n, n), xr, d);
            }
            return;
        }
        // Strided axis (Φ [d, slots] over d): accumulate inner-wide rows of sums, then divide row by row.
        var den = inner <= 1024 ? stackalloc float[inner] : new float[inner];
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * n * inner, n * inner);
            var yo = y.Slice(o * n * inner, n * inner);
            den.Clear();
            for (int j = 0; j < n; j++)
            {
                var xr = xo.Slice(j * inner, inner);
                TP.FusedMultiplyAdd(xr, xr, den, den);
            }
            for (int k = 0; k < inner; k++) den[k] = MathF.Sqrt(MathF.Max(den[k], minSumSq)) + eps;
            for (int j = 0; j < n; j++) TP.Divide(xo.Slice(j * inner, inner), den, yo.Slice(j * inner, inner));
        }
    }

    /// <summary>
    /// dx = dy / d − x · (Σₙ dy ⊙ x) · [s ≥ minSumSq] / (d² r), with s = Σₙ x², r = √max(s, minSumSq), d = r + eps.
    /// Overwrites dx (no zero-filled buffer needed); dx may not alias dy or x.
    /// </summary>
    public static void L2ClampedBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, int outer,
                                         int n, int inner, float minSumSq, float eps)
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var xr = x.Slice(o * n, n);
                var gr = dy.Slice(o * n, n);
                var dr = dx.Slice(o * n, n);
                var (s, gx) = SumOfSquaresAndDot(xr, gr);
                float r = MathF.Sqrt(MathF.Max(s, minSumSq)), d = r + eps;
                float coef = s >= minSumSq ? gx / (d * d * r) : 0f;
                BackwardRow(dr, gr, xr, d, coef);
            }
            return;
        }
        var scratch = 2 * inner <= 1024 ? stackalloc float[2 * inner] : new float[2 * inner];
        Span<float> ss = scratch[..inner], dot = scratch[inner..];
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * n * inner, n * inner);
            var go = dy.Slice(o * n * inner, n * inner);
            var dxo = dx.Slice(o * n * inner, n * inner);
            ss.Clear();
            dot.Clear();
            for (int j = 0; j < n; j++)
            {
                var xr = xo.Slice(j * inner, inner);
                TP.FusedMultiplyAdd(xr, xr, ss, ss);
                TP.FusedMultiplyAdd(go.Slice(j * inner, inner), xr, dot, dot);
            }
            // ss becomes d and dot the coefficient of x.
            for (int k = 0; k < inner; k++)
            {
                float s = ss[k], r = MathF.Sqrt(MathF.Max(s, minSumSq)), d = r + eps;
                dot[k] = s >= minSumSq ? dot[k] / (d * d * r) : 0f;
                ss[k] = d;
            }
            for (int j = 0; j < n; j++)
            {
                var dr = dxo.Slice(j * inner, inner);
                TP.Divide(go.Slice(j * inner, inner), ss, dr);
                for (int k = 0; k < inner; k++) dr[k] -= xo[j * inner + k] * dot[k];
            }
        }
    }

    // Short rows (Soft MoE's 64-channel tokens): inlined loops, since a TensorPrimitives call per row and per pass
    // cost as much as the arithmetic. The JIT vectorizes neither reduction, hence the explicit Vector256 loops.
    private static float SumOfSquares(ReadOnlySpan<float> x)
    {
        int i = 0;
        float s = 0f;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            ref float x0 = ref MemoryMarshal.GetReference(x);
            var acc = Vector256<float>.Zero;
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref x0, (nuint)i);
                acc += v * v;
            }
            s = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++) s += x[i] * x[i];
        return s;
    }

    /// <summary>y = x / d, eight lanes at a time (a scalar divide per element cost 0.07 ms over Soft MoE's 1,568 tokens).</summary>
    private static void DivideRow(Span<float> y, ReadOnlySpan<float> x, float d)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            var dv = Vector256.Create(d);
            for (; i <= x.Length - 8; i += 8) (Vector256.LoadUnsafe(ref x0, (nuint)i) / dv).StoreUnsafe(ref y0, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] = x[i] / d;
    }

    /// <summary>dx = g / d − x · coef, eight lanes at a time.</summary>
    private static void BackwardRow(Span<float> dx, ReadOnlySpan<float> g, ReadOnlySpan<float> x, float d, float coef)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float g0 = ref MemoryMarshal.GetReference(g);
            ref float r0 = ref MemoryMarshal.GetReference(dx);
            Vector256<float> dv = Vector256.Create(d), cv = Vector256.Create(coef);
            for (; i <= x.Length - 8; i += 8)
            {
                var gi = Vector256.LoadUnsafe(ref g0, (nuint)i);
                var xi = Vector256.LoadUnsafe(ref x0, (nuint)i);
                (gi / dv - xi * cv).StoreUnsafe(ref r0, (nuint)i);
            }
        }
        for (; i < x.Length; i++) dx[i] = g[i] / d - x[i] * coef;
    }

    /// <summary>(Σ x², Σ x·g) in one pass.</summary>
    private static (float SumSq, float Dot) SumOfSquaresAndDot(ReadOnlySpan<float> x, ReadOnlySpan<float> g)
    {
        int i = 0;
        float s = 0f, dot = 0f;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            ref float x0 = ref MemoryMarshal.GetReference(x);
            ref float g0 = ref MemoryMarshal.GetReference(g);
            Vector256<float> accS = Vector256<float>.Zero, accD = Vector256<float>.Zero;
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref x0, (nuint)i);
                accS += v * v;
                accD += v * Vector256.LoadUnsafe(ref g0, (nuint)i);
            }
            s = Vector256.Sum(accS);
            dot = Vector256.Sum(accD);
        }
        for (; i < x.Length; i++)
        {
            s += x[i] * x[i];
            dot += x[i] * g[i];
        }
        return (s, dot);
    }
}
