using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>A reduction: identity element and combine (associative, so any order gives the same maths).</summary>
public interface IReduceGpuOp
{
    /// <summary>The value of an empty reduction.</summary>
    static abstract float Identity { get; }

    /// <summary>Folds one value into the accumulator.</summary>
    static abstract float Combine(float acc, float v);
}

#pragma warning disable CS1591 // documented by the ReduceOp members.
public struct SumReduce : IReduceGpuOp
{
    public static float Identity => 0f;
    public static float Combine(float acc, float v) => acc + v;
}

public struct MaxReduce : IReduceGpuOp
{
    public static float Identity => float.NegativeInfinity;
    public static float Combine(float acc, float v) => MaxOp.Apply(acc, v);
}

public struct MinReduce : IReduceGpuOp
{
    public static float Identity => float.PositiveInfinity;
    public static float Combine(float acc, float v) => MinOp.Apply(acc, v);
}
#pragma warning restore CS1591

/// <summary>
/// Index maths of a reduction: x's axes split into kept ones (<see cref="Outer"/>, enumerating y in row-major
/// order) and reduced ones (<see cref="Inner"/>); both use the A strides of x.
/// </summary>
public struct ReduceIndex
{
    /// <summary>Kept axes of x (y is contiguous over them).</summary>
    public StridedIndex Outer;

    /// <summary>Reduced axes of x.</summary>
    public StridedIndex Inner;

    /// <summary>Number of outputs (y's element count).</summary>
    public int OutCount;

    /// <summary>Number of x elements folded into each output.</summary>
    public int InnerCount;

    /// <summary>Non-zero: y += result (the convolution bias gradient) instead of y = result.</summary>
    public int Accumulate;

    /// <summary>Writes an output.</summary>
    public readonly void Store(ArrayView<float> y, int o, float v) => y[o] = Accumulate != 0 ? y[o] + v : v;
}

/// <summary>
/// Reductions over arbitrary axes. Glossary: y keep-dims output [OutCount]; x input; each output folds
/// InnerCount elements. Two kernels: one thread per output (short reductions: softmax rows, small sums) and
/// one group per output with a shared-memory tree (long reductions: bias gradients over B·H·W, losses over the
/// batch). The naive reference is <see cref="PerThread{TOp}"/>.
/// </summary>
public static class ReduceKernels
{
    /// <summary>Largest group the tree kernel is launched with (the shared array size).</summary>
    public const int MaxGroup = 256;

    /// <summary>y[o] = fold over the reduced axes; a thread per output (grid-stride over outputs).</summary>
    public static void PerThread<TOp>(Index1D t, ArrayView<float> y, ArrayView<float> x, ReduceIndex r, int stride)
        where TOp : struct, IReduceGpuOp
    {
        for (int o = t; o < r.OutCount; o += stride)
        {
            int baseX = r.Outer.OffsetA(o);
            float acc = TOp.Identity;
            for (int j = 0; j < r.InnerCount; j++) acc = TOp.Combine(acc, x[baseX + r.Inner.OffsetA(j)]);
            r.Store(y, o, acc);
        }
    }

    /// <summary>
    /// y[o] for o = Grid.IdxX: the group's threads fold strided slices of the reduced range, then halve a
    /// shared array until one value is left. Group size must be a power of two ≤ <see cref="MaxGroup"/>.
    /// </summary>
    public static void PerGroup<TOp>(ArrayView<float> y, ArrayView<float> x, ReduceIndex r)
        where TOp : struct, IReduceGpuOp
    {
        var shared = SharedMemory.Allocate<float>(MaxGroup);
        int o = Grid.IdxX, tid = Group.IdxX, size = Group.DimX;
        int baseX = r.Outer.OffsetA(o);
        float acc = TOp.Identity;
        for (int j = tid; j < r.InnerCount; j += size) acc = TOp.Combine(acc, x[baseX + r.Inner.OffsetA(j)]);
        shared[tid] = acc;
        Group.Barrier();
        for (int half = size / 2; half > 0; half /= 2)
        {
            if (tid < half) shared[tid] = TOp.Combine(shared[tid], shared[tid + half]);
            Group.Barrier();
        }
        if (tid == 0) r.Store(y, o, shared[0]);
    }
}
