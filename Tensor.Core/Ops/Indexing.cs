using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y[…, j, …] = x[…, index[…, j, …], …] along <paramref name="axis"/>: <paramref name="index"/> has x's shape
    /// except along the axis, and y has index's shape. Q(s, a) is Gather(q [B, A], 1, actions [B, 1]) → [B, 1].
    /// </summary>
    /// <remarks>
    /// dx = scatter-add of dy to the gathered positions; repeated indices accumulate. No gradient to the index.
    /// Index values must be exact integers in [0, size of axis) (see <see cref="Ops"/> remarks).
    /// </remarks>
    /// <exception cref="ArgumentException">The axis is out of range, the shapes disagree off-axis, or an index
    /// value is not a valid integer position.</exception>
    public static Tensor Gather(Tensor x, int axis, Tensor index)
    {
        ThrowHelper.SameBackend("Gather", x, index);
        int a = AxisOf(x.Shape, axis, "Gather");
        bool ok = index.Rank == x.Rank;
        for (int d = 0; ok && d < x.Rank; d++) ok = d == a || index.Shape.Dims[d] == x.Shape.Dims[d];
        if (!ok)
        {
            ThrowHelper.Argument($"Gather: index shape {index.Shape} must equal x's shape {x.Shape} except along " +
                                 $"axis {axis}.");
        }
        var (outer, nx, inner) = SplitAroundAxis(x.Shape, a);
        int ni = index.Shape.Dims[a];
        var y = NewLike(x, index.Shape);
        x.Backend.Gather(y, x, index, outer, nx, ni, inner);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, "gather", [x], g =>
            {
                var dx = Tensor.Zeros(x.Shape, x.Backend);
                x.Backend.ScatterAdd(dx, g, index, outer, nx, ni, inner);
                x.AccumulateGrad(dx);
            });
        }
        return y;
    }

    /// <summary>
    /// Selects whole slices along <paramref name="axis"/> by a 1-D list of positions (repeats allowed): x [N, D]
    /// with axis 0 and indices [m] gives [m, D]. Composite: the indices are broadcast to a full index tensor and
    /// passed to <see cref="Gather"/>, so the gradient scatter-adds like Gather's.
    /// </summary>
    /// <exception cref="ArgumentException">The indices are not 1-D, the axis is out of range, or an index is invalid.</exception>
    public static Tensor IndexSelect(Tensor x, int axis, Tensor indices)
    {
        int a = AxisOf(x.Shape, axis, "IndexSelect");
        if (indices.Rank != 1)
        {
            ThrowHelper.Argument($"IndexSelect: indices must be 1-D, got shape {indices.Shape} (x is {x.Shape}).");
        }
        var view = new int[x.Rank];
        Array.Fill(view, 1);
        view[a] = indices.Count;
        var dims = x.Shape.ToArray();
        dims[a] = indices.Count;
        Tensor full;
        using (Tensor.NoGrad())
        {
            full = Expand(indices.Detach().Reshape(view), Shape.Wrap(dims));
        }
        return Gather(x, a, full);
    }

    /// <summary>
    /// One-hot encoding: indices of shape S give [S…, depth] with a 1 at each index and 0 elsewhere
    /// (composite: Equal(indices[…, None], arange(depth))). No gradient.
    /// </summary>
    /// <exception cref="ArgumentException">depth ≤ 0 or an index is not an integer in [0, depth).</exception>
    public static Tensor OneHot(Tensor indices, int depth)
    {
        if (depth <= 0) ThrowHelper.Argument($"OneHot: depth must be positive, got {depth} (indices are {indices.Shape}).");
        // Validated up front: an out-of-range index would otherwise give a silent all-zero row.
        foreach (float v in indices.ToArray()) IndexCheck.ToIndex(v, depth, "OneHot");
        using (Tensor.NoGrad())
        {
            var range = Tensor.Arange(0, depth, 1, indices.Backend);
            return Equal(Unsqueeze(indices.Detach(), -1), range);
        }
    }
}
