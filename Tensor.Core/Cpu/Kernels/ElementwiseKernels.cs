using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Element-wise kernels over spans. Glossary: n element count; a, b inputs; y output; dx, dy gradients.
/// Contiguous same-shape work goes straight to <c>TensorPrimitives</c>; broadcasting goes through
/// <see cref="StridedLoop"/>, whose rows are again contiguous (stride 1) or constant (stride 0).
/// </summary>
internal static class ElementwiseKernels
{
    public static void BytesToFloat(Span<float> y, ReadOnlySpan<byte> x, float scale)
    {
        // Widen-then-scale keeps the exact k/255 values the reference pipelines produce (the same single rounding
        // in the vector and scalar paths). Vectorized: a 32-sample batch converts 900 K bytes twice per step.
        int i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 32)
        {
            ref byte x0 = ref MemoryMarshal.GetReference(x);
            ref float y0 = ref MemoryMarshal.GetReference(y);
            var vs = Vector256.Create(scale);
            for (; i <= x.Length - 32; i += 32)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref x0, (nuint)i));
                var (a, b) = Vector256.Widen(lo);
                var (c, d) = Vector256.Widen(hi);
                (Vector256.ConvertToSingle(a.AsInt32()) * vs).StoreUnsafe(ref y0, (nuint)i);
                (Vector256.ConvertToSingle(b.AsInt32()) * vs).StoreUnsafe(ref y0, (nuint)(i + 8));
                (Vector256.ConvertToSingle(c.AsInt32()) * vs).StoreUnsafe(ref y0, (nuint)(i + 16));
                (Vector256.ConvertToSingle(d.AsInt32()) * vs).StoreUnsafe(ref y0, (nuint)(i + 24));
            }
        }
        for (; i < x.Length; i++) y[i] = x[i] * scale;
    }

    /// <summary>y = f(x); y may alias x.</summary>
    public static void UnaryForward(UnaryOp op, float alpha, Span<float> y, ReadOnlySpan<float> x)
    {
        switch (op)
        {
            case UnaryOp.Neg: TP.Negate(x, y); break;
            case UnaryOp.Exp: TP.Exp(x, y); break;
            case UnaryOp.Log: TP.Log(x, y); break;
            case UnaryOp.Sqrt: TP.Sqrt(x, y); break;
            case UnaryOp.Abs: TP.Abs(x, y); break;
            case UnaryOp.Relu: TP.Max(x, 0f, y); break;
            case UnaryOp.Square: TP.Multiply(x, x, y); break;
            case UnaryOp.Scale: TP.Multiply(x, alpha, y); break;
            case UnaryOp.AddScalar: TP.Add(x, alpha, y); break;
            case UnaryOp.ClampMin: TP.Max(x, alpha, y); break;
            case UnaryOp.ClampMax: TP.Min(x, alpha, y); break;
            case UnaryOp.Tanh: TP.Tanh(x, y); break;
            case UnaryOp.Sigmoid: TP.Sigmoid(x, y); break;
            case UnaryOp.Reciprocal: TP.Reciprocal(x, y); break;
            case UnaryOp.Pow:
                for (int i = 0; i < x.Length; i++) y[i] = MathF.Pow(x[i], alpha);
                break;
            case UnaryOp.Sign:
                for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? 1f : x[i] < 0 ? -1f : x[i];
                break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    /// <summary>dx += f'(x)·dy, using the forward output y where that is cheaper.</summary>
    public static void UnaryBackward(UnaryOp op, float alpha, Span<float> dx, ReadOnlySpan<float> dy,
                                     ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int n = dx.Length;
        switch (op)
        {
            case UnaryOp.Neg: TP.Subtract(dx, dy, dx); break;
            case UnaryOp.Exp: TP.FusedMultiplyAdd(dy, y, dx, dx); break;
            case UnaryOp.Log: for (int i = 0; i < n; i++) dx[i] += dy[i] / x[i]; break;
            case UnaryOp.Sqrt: for (int i = 0; i < n; i++) dx[i] += dy[i] * 0.5f / y[i]; break;
            case UnaryOp.Abs: for (int i = 0; i < n; i++) dx[i] += x[i] > 0 ? dy[i] : x[i] < 0 ? -dy[i] : 0f; break;
            case UnaryOp.Sign: break;
            case UnaryOp.Relu: ReluBackward(dx, dy, x, accumulate: true); break;
            case UnaryOp.Square: SquareBackward(dx, dy, x); break;
            case UnaryOp.Pow: for (int i = 0; i < n; i++) dx[i] += dy[i] * alpha * MathF.Pow(x[i], alpha - 1f); break;
            case UnaryOp.Scale: TP.FusedMultiplyAdd(dy, alpha, dx, dx); break;
            case UnaryOp.AddScalar: TP.Add(dx, dy, dx); break;
            case UnaryOp.ClampMin: for (int i = 0; i < n; i++) dx[i] += x[i] >= alpha ? dy[i] : 0f; break;
            case UnaryOp.ClampMax: for (int i = 0; i < n; i++) dx[i] += x[i] <= alpha ? dy[i] : 0f; break;
            case UnaryOp.Tanh: for (int i = 0; i < n; i++) dx[i] += dy[i] * (1f - y[i] * y[i]); break;
            case UnaryOp.Sigmoid: for (int i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1f - y[i]); break;
            case UnaryOp.Reciprocal: for (int i = 0; i < n; i++) dx[i] -= dy[i] * y[i] * y[i]; break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    /// <summary>dx = f'(x)·dy (overwrites dx); ReLU and square directly, the rest by clearing and accumulating.</summary>
    public static void UnaryBackwardInto(UnaryOp op, float alpha, Span<float> dx, ReadOnlySpan<float> dy,
                                         ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        switch (op)
        {
            case UnaryOp.Relu: ReluBackward(dx, dy, x, accumulate: false); break;
            case UnaryOp.Square:
                for (int i = 0; i < dx.Length; i++) dx[i] = 2f * x[i] * dy[i]; // same rounding as 0 + 2·x·dy
                break;
            default:
                dx.Clear();
                UnaryBackward(op, alpha, dx, dy, x, y);
                break;
        }
    }

    /// <summary>
    /// dx (+)= x &gt; 0 ? dy : 0, branch-free (random signs made a scalar branch mispredict). Overwriting is one pass
    /// instead of zero-filling dx and adding the masked dy.
    /// </summary>
    private static void ReluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, bool accumulate)
    {
        int n = dx.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float dx0 = ref MemoryMarshal.GetReference(dx);
            ref float dy0 = ref MemoryMarshal.GetReference(dy);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            for (; i <= n - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref x0, (nuint)i), Vector256<float>.Zero);
                var d = Vector256.LoadUnsafe(ref dy0, (nuint)i) & mask;
                if (accumulate) d += Vector256.LoadUnsafe(ref dx0, (nuint)i);
                d.StoreUnsafe(ref dx0, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float d = x[i] > 0 ? dy[i] : 0f;
            dx[i] = accumulate ? dx[i] + d : d;
        }
    }

    /// <summary>dx += 2·x·dy, vectorized.</summary>
    private static void SquareBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        int n = dx.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float dx0 = ref MemoryMarshal.GetReference(dx);
            ref float dy0 = ref MemoryMarshal.GetReference(dy);
            ref float x0 = ref MemoryMarshal.GetReference(x);
            var two = Vector256.Create(2f);
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref dx0, (nuint)i)
                        + two * Vector256.LoadUnsafe(ref x0, (nuint)i) * Vector256.LoadUnsafe(ref dy0, (nuint)i);
                d.StoreUnsafe(ref dx0, (nuint)i);
            }
        }
        for (; i < n; i++) dx[i] += 2f * x[i] * dy[i];
    }

    /// <summary>One row of a broadcast binary op; sa and sb are 0 (constant) or 1 (contiguous).</summary>
    public static void BinaryRow(BinaryOp op, Span<float> y, ReadOnlySpan<float> a, int sa, ReadOnlySpan<float> b, int sb)
    {
        if (sa == 1 && sb == 1)
        {
            switch (op)
            {
                case BinaryOp.Add: TP.Add(a, b, y); return;
                case BinaryOp.Sub: TP.Subtract(a, b, y); return;
                case BinaryOp.Mul: TP.Multiply(a, b, y); return;
                case BinaryOp.Div: TP.Divide(a, b, y); return;
                case BinaryOp.Max: TP.Max(a, b, y); return;
                case BinaryOp.Min: TP.Min(a, b, y); return;
            }
        }
        else if (sa == 1 && sb == 0)
        {
            float s = b[0];
            switch (op)
            {
                case BinaryOp.Add: TP.Add(a, s, y); return;
                case BinaryOp.Sub: TP.Subtract(a, s, y); return;
                case BinaryOp.Mul: TP.Multiply(a, s, y); return;
                case BinaryOp.Div: TP.Divide(a, s, y); return;
                case BinaryOp.Max: TP.Max(a, s, y); return;
                case BinaryOp.Min: TP.Min(a, s, y); return;
            }
        }
        else if (sa == 0 && sb == 1)
        {
            float s = a[0];
            switch (op)
            {
                case BinaryOp.Add: TP.Add(b, s, y); return;
                case BinaryOp.Mul: TP.Multiply(b, s, y); return;
                case BinaryOp.Max: TP.Max(b, s, y); return;
                case BinaryOp.Min: TP.Min(b, s, y); return;
            }
        }
        for (int i = 0; i < y.Length; i++) y[i] = Apply(op, a[i * sa], b[i * sb]);
    }

    /// <summary>The scalar definition of each binary op (also the naive reference).</summary>
    public static float Apply(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Max => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Max(a, b),
        BinaryOp.Min => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : Math.Min(a, b),
        BinaryOp.Equal => a == b ? 1f : 0f,
        BinaryOp.Greater => a > b ? 1f : 0f,
        BinaryOp.GreaterEqual => a >= b ? 1f : 0f,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown binary op"),
    };

    /// <summary>y[out] = a[bcast] ∘ b[bcast] over y's shape.</summary>
    public static void Binary(BinaryOp op, float[] y, Shape yShape, float[] a, Shape aShape, float[] b, Shape bShape)
    {
        int n = yShape.Count;
        if (aShape.Count == n && bShape.Count == n)
        {
            BinaryRow(op, y.AsSpan(0, n), a.AsSpan(0, n), 1, b.AsSpan(0, n), 1);
            return;
        }
        var (dims, sa, sb) = StridedLoop.Coalesce(yShape.Dims, aShape.BroadcastStrides(yShape), bShape.BroadcastStrides(yShape));
        int len = dims[^1], ia = sa[^1], ib = sb[^1];
        StridedLoop.ForEachRow(dims, sa, sb, (r, oa, ob) =>
            BinaryRow(op, y.AsSpan(r * len, len), a.AsSpan(oa, ia == 0 ? 1 : len), ia, b.AsSpan(ob, ib == 0 ? 1 : len), ib));
    }

    /// <summary>y = broadcast(x) over y's shape.</summary>
    public static void BroadcastTo(float[] y, Shape yShape, float[] x, Shape xShape)
    {
        var (dims, sx, _) = StridedLoop.Coalesce(yShape.Dims, xShape.BroadcastStrides(yShape), new int[yShape.Rank]);
        int len = dims[^1], ix = sx[^1];
        StridedLoop.ForEachRow(dims, sx, new int[dims.Length], (r, ox, _) =>
        {
            var dst = y.AsSpan(r * len, len);
            if (ix == 1) x.AsSpan(ox, len).CopyTo(dst);
            else dst.Fill(x[ox]);
        });
    }

    public static void Where(Span<float> y, ReadOnlySpan<float> cond, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        for (int i = 0; i < y.Length; i++) y[i] = cond[i] != 0f ? a[i] : b[i];
    }
}
