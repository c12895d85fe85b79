using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>Maps a possibly negative axis into [0, rank), or throws naming the op, the axis and the shape.</summary>
    internal static int AxisOf(Shape shape, int axis, string op, int extra = 0)
    {
        int rank = shape.Rank + extra;
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            ThrowHelper.Argument($"{op}: axis {axis} is out of range for shape {shape} (valid: {-rank}..{rank - 1}).");
        }
        return a;
    }

    /// <summary>Views a shape as [outer, n, inner] around axis <paramref name="a"/> (already normalized).</summary>
    internal static (int Outer, int N, int Inner) SplitAroundAxis(Shape shape, int a)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= shape.Dims[i];
        for (int i = a + 1; i < shape.Rank; i++) inner *= shape.Dims[i];
        return (outer, shape.Dims[a], inner);
    }

    /// <summary>
    /// Reorders the dimensions (a copy): output dimension d is input dimension <c>perm[d]</c>; negative entries
    /// count from the end. [B, H, W, C] with perm (0, 3, 1, 2) gives [B, C, H, W].
    /// </summary>
    /// <remarks>dx = permute(dy, perm⁻¹).</remarks>
    /// <exception cref="ArgumentException"><paramref name="perm"/> is not a permutation of x's axes.</exception>
    public static Tensor Permute(Tensor x, params int[] perm)
    {
        var p = new int[perm.Length];
        var seen = new bool[x.Rank];
        bool ok = perm.Length == x.Rank;
        for (int d = 0; ok && d < perm.Length; d++)
        {
            p[d] = perm[d] < 0 ? perm[d] + x.Rank : perm[d];
            ok = p[d] >= 0 && p[d] < x.Rank && !seen[p[d]];
            if (ok) seen[p[d]] = true;
        }
        if (!ok)
        {
            ThrowHelper.Argument($"Permute: ({string.Join(", ", perm)}) is not a permutation of the {x.Rank} axes of " +
                                 $"shape {x.Shape}.");
        }
        var dims = new int[p.Length];
        for (int d = 0; d < p.Length; d++) dims[d] = x.Shape.Dims[p[d]];
        var y = NewLike(x, Shape.Wrap(dims));
        x.Backend.Permute(y, x, p);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, "permute", [x], g =>
            {
                var inv = new int[p.Length];
                for (int d = 0; d < p.Length; d++) inv[p[d]] = d;
                x.AccumulateGrad(Permute(g, inv));
            });
        }
        return y;
    }

    /// <summary>Swaps two dimensions (a copy); a thin wrapper over <see cref="Permute"/>.</summary>
    /// <exception cref="ArgumentException">An axis is out of range.</exception>
    public static Tensor Transpose(Tensor x, int axis0, int axis1)
    {
        int a0 = AxisOf(x.Shape, axis0, "Transpose"), a1 = AxisOf(x.Shape, axis1, "Transpose");
        var perm = Enumerable.Range(0, x.Rank).ToArray();
        (perm[a0], perm[a1]) = (perm[a1], perm[a0]);
        return Permute(x, perm);
    }

    /// <summary>Removes a dimension of size 1 (a free view through <see cref="Tensor.Reshape"/>).</summary>
    /// <exception cref="ArgumentException">The axis is out of range or its size is not 1.</exception>
    public static Tensor Squeeze(Tensor x, int axis)
    {
        int a = AxisOf(x.Shape, axis, "Squeeze");
        if (x.Shape.Dims[a] != 1)
        {
            ThrowHelper.Argument($"Squeeze: axis {axis} of shape {x.Shape} has size {x.Shape.Dims[a]}, not 1.");
        }
        var dims = x.Shape.ToArray().ToList();
        dims.RemoveAt(a);
        return x.Reshape([.. dims]);
    }

    /// <summary>
    /// Inserts a dimension of size 1 at <paramref name="axis"/> of the result (−1 appends): [B, n] with axis 1
    /// gives [B, 1, n]. A free view.
    /// </summary>
    /// <exception cref="ArgumentException">The axis is outside [−rank−1, rank].</exception>
    public static Tensor Unsqueeze(Tensor x, int axis)
    {
        int a = AxisOf(x.Shape, axis, "Unsqueeze", extra: 1);
        var dims = x.Shape.ToArray().ToList();
        dims.Insert(a, 1);
        return x.Reshape([.. dims]);
    }

    /// <summary>
    /// The elements <c>start .. start + length − 1</c> along <paramref name="axis"/> (a copy).
    /// </summary>
    /// <remarks>dx = dy added into the slice region, 0 elsewhere.</remarks>
    /// <exception cref="ArgumentException">The axis is out of range or the range does not fit.</exception>
    public static Tensor Slice(Tensor x, int axis, int start, int length)
    {
        int a = AxisOf(x.Shape, axis, "Slice");
        var (outer, n, inner) = SplitAroundAxis(x.Shape, a);
        if (start < 0 || length < 0 || start > n - length)
        {
            ThrowHelper.Argument($"Slice: range [{start}, {start}+{length}) does not fit axis {axis} (size {n}) of " +
                                 $"shape {x.Shape}.");
        }
        var dims = x.Shape.ToArray();
        dims[a] = length;
        var y = NewLike(x, Shape.Wrap(dims));
        x.Backend.SliceCopy(y, x, outer, n, inner, start, length);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, "slice", [x], g =>
            {
                var dx = Tensor.Zeros(x.Shape, x.Backend);
                x.Backend.SliceAdd(dx, g, outer, n, inner, start, length);
                x.AccumulateGrad(dx);
            });
        }
        return y;
    }

    /// <summary>
    /// Joins tensors along an existing <paramref name="axis"/>; all other dimensions must match.
    /// </summary>
    /// <remarks>dxₖ = the k-th slice of dy along the axis.</remarks>
    /// <exception cref="ArgumentException">The list is empty, the axis is out of range, or shapes differ off-axis.</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0) ThrowHelper.Argument("Concat: needs at least one tensor.");
        var first = tensors[0];
        int a = AxisOf(first.Shape, axis, "Concat");
        int total = 0;
        foreach (var t in tensors)
        {
            ThrowHelper.SameBackend("Concat", first, t);
            bool ok = t.Rank == first.Rank;
            for (int d = 0; ok && d < t.Rank; d++) ok = d == a || t.Shape.Dims[d] == first.Shape.Dims[d];
            if (!ok)
            {
                ThrowHelper.Argument($"Concat: shapes {first.Shape} and {t.Shape} differ outside axis {axis}.");
            }
            total += t.Shape.Dims[a];
        }
        var dims = first.Shape.ToArray();
        dims[a] = total;
        var y = Tensor.Zeros(Shape.Wrap(dims), first.Backend);
        var (outer, _, inner) = SplitAroundAxis(y.Shape, a);
        int offset = 0;
        foreach (var t in tensors)
        {
            first.Backend.SliceAdd(y, t, outer, total, inner, offset, t.Shape.Dims[a]);
            offset += t.Shape.Dims[a];
        }
        var inputs = tensors.ToArray();
        if (GradMode.ShouldRecord(inputs))
        {
            Record(y, "concat", inputs, g =>
            {
                int off = 0;
                foreach (var t in inputs)
                {
                    int nt = t.Shape.Dims[a];
                    if (t.RequiresGrad)
                    {
                        var dt = NewLike(t, t.Shape);
                        g.Backend.SliceCopy(dt, g, outer, total, inner, off, nt);
                        t.AccumulateGrad(dt);
                    }
                    off += nt;
                }
            });
        }
        return y;
    }

    /// <summary>
    /// Stacks equally shaped tensors along a new <paramref name="axis"/> of the result: k tensors [B, n] with
    /// axis 1 give [B, k, n]. Composite: Unsqueeze each, then <see cref="Concat"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty, shapes differ, or the axis is out of range.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int axis = 0)
    {
        if (tensors.Count == 0) ThrowHelper.Argument("Stack: needs at least one tensor.");
        foreach (var t in tensors) ThrowHelper.ShapesEqual("Stack", tensors[0].Shape, t.Shape, "the first tensor", "another");
        int a = AxisOf(tensors[0].Shape, axis, "Stack", extra: 1);
        return Concat(tensors.Select(t => Unsqueeze(t, a)).ToArray(), a);
    }
}
