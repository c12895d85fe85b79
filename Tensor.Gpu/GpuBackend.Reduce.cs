using ILGPU;
using ILGPU.Runtime;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <summary>Reductions longer than this use a group per output (tree in shared memory).</summary>
    internal const int TreeReduceThreshold = 64;

    /// <inheritdoc/>
    public void Reduce(ReduceOp op, Tensor y, Tensor x)
    {
        switch (op)
        {
            case ReduceOp.Sum: ReduceT<SumReduce>(y, x); break;
            case ReduceOp.Max: ReduceT<MaxReduce>(y, x); break;
            case ReduceOp.Min: ReduceT<MinReduce>(y, x); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "Reduce: unknown op.");
        }
    }

    /// <summary>Splits x's axes into kept and reduced ones (y has x's rank, 1 on reduced axes).</summary>
    internal static ReduceIndex BuildReduceIndex(Shape y, Shape x)
    {
        var xs = x.Strides();
        List<int> od = [], os = [], id = [], @is = [];
        for (int i = 0; i < x.Rank; i++)
        {
            bool reduced = y.Dims[i] == 1 && x.Dims[i] != 1;
            (reduced ? id : od).Add(x.Dims[i]);
            (reduced ? @is : os).Add(xs[i]);
        }
        return new ReduceIndex
        {
            Outer = StridedIndex.Create(od.ToArray(), os.ToArray(), new int[od.Count], "Reduce"),
            Inner = StridedIndex.Create(id.ToArray(), @is.ToArray(), new int[id.Count], "Reduce"),
            OutCount = y.Count,
            InnerCount = y.Count == 0 ? 0 : x.Count / y.Count,
        };
    }

    private void ReduceT<TOp>(Tensor y, Tensor x) where TOp : struct, IReduceGpuOp
    {
        if (y.Count == 0) return;
        ReduceT<TOp>(V(y), V(x), BuildReduceIndex(y.Shape, x.Shape));
    }

    /// <summary>Launches the reduction described by <paramref name="r"/> (tree kernel for long reductions).</summary>
    internal void ReduceT<TOp>(ArrayView<float> y, ArrayView<float> x, ReduceIndex r) where TOp : struct, IReduceGpuOp
    {
        if (r.OutCount == 0) return;
        if (r.InnerCount > TreeReduceThreshold)
        {
            var cfg = new KernelConfig(new Index1D(r.OutCount), new Index1D(ReduceGroup));
            Kernels.Grouped<ArrayView<float>, ArrayView<float>, ReduceIndex>(ReduceKernels.PerGroup<TOp>)(
                cfg, y, x, r);
            return;
        }
        var g = Bounds(r.OutCount);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ReduceIndex, int>(ReduceKernels.PerThread<TOp>)(
            g.Stride, y, x, r, g.Stride);
    }
}
