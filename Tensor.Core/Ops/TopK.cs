using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Index of the largest element along <paramref name="axis"/>, as an exact-integer float tensor (see
    /// <see cref="Gather"/>). On ties the first (lowest) index wins; NaN counts as the largest value.
    /// </summary>
    /// <remarks>No gradient (the output is a constant).</remarks>
    /// <exception cref="ArgumentException">The axis is out of range or has size 0.</exception>
    public static Tensor ArgMax(Tensor x, int axis, bool keepDims = false)
    {
        int a = AxisOf(x.Shape, axis, "ArgMax");
        if (x.Shape.Dims[a] == 0) ThrowHelper.Argument($"ArgMax: axis {axis} of shape {x.Shape} is empty.");
        var idx = TopKIndices(x, a, 1);
        return keepDims ? idx : Squeeze(idx, a);
    }

    /// <summary>
    /// The <paramref name="k"/> largest elements along <paramref name="axis"/> and their indices, both with x's
    /// shape except that the axis has size k. Sorted by descending value; equal values are ordered by ascending
    /// index (so the tie order is deterministic), NaN ranks above every number. Used by Top-k MoE routing.
    /// </summary>
    /// <remarks>
    /// values = Gather(x, axis, indices), so the gradient scatters dy back to the chosen positions (0 elsewhere);
    /// the indices carry no gradient.
    /// </remarks>
    /// <exception cref="ArgumentException">The axis is out of range or k is outside [0, size of axis].</exception>
    public static (Tensor Values, Tensor Indices) TopK(Tensor x, int k, int axis = -1)
    {
        int a = AxisOf(x.Shape, axis, "TopK");
        int n = x.Shape.Dims[a];
        if (k < 0 || k > n)
        {
            ThrowHelper.Argument($"TopK: k = {k} is outside [0, {n}] for axis {axis} of shape {x.Shape}.");
        }
        var idx = TopKIndices(x, a, k);
        return (Gather(x, a, idx), idx);
    }

    private static Tensor TopKIndices(Tensor x, int a, int k)
    {
        var (outer, n, inner) = SplitAroundAxis(x.Shape, a);
        var dims = x.Shape.ToArray();
        dims[a] = k;
        var idx = NewLike(x, Shape.Wrap(dims));
        x.Backend.TopK(idx, x, outer, n, inner, k);
        return idx;
    }
}
