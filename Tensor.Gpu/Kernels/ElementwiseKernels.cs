using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Element-wise ILGPU kernels, one generic kernel per arity parametrized by an operator struct (see
/// ElementwiseOps.cs). Glossary: n element count; x, a, b inputs; y output; dx, dy gradients; g the
/// grid-stride bounds. All loops are grid-stride loops (see <see cref="GridStride"/>).
/// </summary>
public static class ElementwiseKernels
{
    /// <summary>y[i] = v.</summary>
    public static void Fill(Index1D t, ArrayView<float> y, float v, GridStride g)
    {
        for (int i = t; i < g.N; i += g.Stride) y[i] = v;
    }

    /// <summary>y[i] = x[i]·scale, x bytes (frames: scale = 1/255).</summary>
    public static void BytesToFloat(Index1D t, ArrayView<float> y, ArrayView<byte> x, float scale, GridStride g)
    {
        for (int i = t; i < g.N; i += g.Stride) y[i] = x[i] * scale;
    }

    /// <summary>y = f(x); y may alias x.</summary>
    public static void Unary<TOp>(Index1D t, ArrayView<float> y, ArrayView<float> x, float alpha, GridStride g)
        where TOp : struct, IUnaryGpuOp
    {
        for (int i = t; i < g.N; i += g.Stride) y[i] = TOp.Forward(x[i], alpha);
    }

    /// <summary>dx += f'(x)·dy; y is the forward output.</summary>
    public static void UnaryBackward<TOp>(Index1D t, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x,
                                          ArrayView<float> y, float alpha, GridStride g)
        where TOp : struct, IUnaryGpuOp
    {
        for (int i = t; i < g.N; i += g.Stride) dx[i] += TOp.Backward(dy[i], x[i], y[i], alpha);
    }

    /// <summary>y = a ∘ b, all three of equal length (the common case: no index maths).</summary>
    public static void BinarySame<TOp>(Index1D t, ArrayView<float> y, ArrayView<float> a, ArrayView<float> b,
                                       GridStride g)
        where TOp : struct, IBinaryGpuOp
    {
        for (int i = t; i < g.N; i += g.Stride) y[i] = TOp.Apply(a[i], b[i]);
    }

    /// <summary>y[i] = a[offA(i)] ∘ b[offB(i)] over y's (contiguous) shape; broadcast axes have stride 0.</summary>
    public static void BinaryBroadcast<TOp>(Index1D t, ArrayView<float> y, ArrayView<float> a, ArrayView<float> b,
                                            StridedIndex idx, GridStride g)
        where TOp : struct, IBinaryGpuOp
    {
        for (int i = t; i < g.N; i += g.Stride)
        {
            idx.Offsets(i, out int oa, out int ob);
            y[i] = TOp.Apply(a[oa], b[ob]);
        }
    }

    /// <summary>y = cond ≠ 0 ? a : b, all of equal length.</summary>
    public static void Where(Index1D t, ArrayView<float> y, ArrayView<float> cond, ArrayView<float> a,
                             ArrayView<float> b, GridStride g)
    {
        for (int i = t; i < g.N; i += g.Stride) y[i] = cond[i] != 0f ? a[i] : b[i];
    }

    /// <summary>y[i] = x[offA(i)]: materializes a broadcast.</summary>
    public static void BroadcastTo(Index1D t, ArrayView<float> y, ArrayView<float> x, StridedIndex idx, GridStride g)
    {
        for (int i = t; i < g.N; i += g.Stride) y[i] = x[idx.OffsetA(i)];
    }
}
