using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>Keep-dims output shape of a reduction over <paramref name="axes"/> (null or empty: all axes).</summary>
    internal static Shape ReducedShape(Shape x, int[]? axes, string op)
    {
        var dims = x.ToArray();
        if (axes is null || axes.Length == 0)
        {
            Array.Fill(dims, 1);
            return Shape.Wrap(dims);
        }
        var seen = new bool[x.Rank];
        foreach (int a in axes)
        {
            int n = Shape.NormalizeAxis(a, x.Rank, op);
            if (seen[n]) ThrowHelper.Argument($"{op}: axis {a} is listed twice for a tensor of shape {x}.");
            seen[n] = true;
            dims[n] = 1;
        }
        return Shape.Wrap(dims);
    }

    internal static Shape DropAxes(Shape x, Shape kept, int[]? axes)
    {
        var dims = new List<int>();
        var reduced = new bool[x.Rank];
        if (axes is null || axes.Length == 0) Array.Fill(reduced, true);
        else foreach (int a in axes) reduced[a < 0 ? a + x.Rank : a] = true;
        for (int i = 0; i < x.Rank; i++) if (!reduced[i]) dims.Add(kept.Dims[i]);
        return Shape.Wrap(dims.ToArray());
    }

    private static Tensor ReduceForward(ReduceOp op, Tensor x, int[]? axes, bool keepDims, string name, out Tensor keep)
    {
        var kShape = ReducedShape(x.Shape, axes, name);
        keep = NewLike(x, kShape);
        if (x.Count == 0 && op != ReduceOp.Sum)
        {
            ThrowHelper.Argument($"{name}: cannot reduce an empty tensor of shape {x.Shape}.");
        }
        x.Backend.Reduce(op, keep, x);
        return keepDims ? keep : keep.Detach().Reshape(DropAxes(x.Shape, kShape, axes).ToArray());
    }

    /// <summary>Σ over <paramref name="axes"/> (all when null).</summary>
    /// <remarks>dx = broadcast(dy).</remarks>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        var y = ReduceForward(ReduceOp.Sum, x, axes, keepDims, "Sum", out var keep);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, "sum", [x], g =>
            {
                var gk = g.Reshape(keep.Shape.ToArray());
                var dx = NewLike(x, x.Shape);
                x.Backend.BroadcastTo(dx, gk);
                x.AccumulateGrad(dx);
            });
        }
        return y;
    }

    /// <summary>Mean over <paramref name="axes"/> (all when null).</summary>
    /// <remarks>dx = broadcast(dy)/n, n the number of reduced elements.</remarks>
    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        var s = Sum(x, axes, keepDims);
        int n = x.Count / Math.Max(1, s.Count);
        return Scale(s, 1f / Math.Max(1, n));
    }

    /// <summary>Maximum over <paramref name="axes"/>; NaN propagates.</summary>
    /// <remarks>dx = dy·[x = max]/count(x = max): ties share the gradient equally.</remarks>
    public static Tensor Max(Tensor x, int[]? axes = null, bool keepDims = false) => Extremum(ReduceOp.Max, x, axes, keepDims);

    /// <summary>Minimum over <paramref name="axes"/>; NaN propagates.</summary>
    /// <remarks>dx = dy·[x = min]/count(x = min).</remarks>
    public static Tensor Min(Tensor x, int[]? axes = null, bool keepDims = false) => Extremum(ReduceOp.Min, x, axes, keepDims);

    private static Tensor Extremum(ReduceOp op, Tensor x, int[]? axes, bool keepDims)
    {
        string name = op == ReduceOp.Max ? "Max" : "Min";
        var y = ReduceForward(op, x, axes, keepDims, name, out var keep);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, name.ToLowerInvariant(), [x], g =>
            {
                var mask = Equal(x, keep);
                var count = NewLike(x, keep.Shape);
                x.Backend.Reduce(ReduceOp.Sum, count, mask);
                var share = Div(g.Reshape(keep.Shape.ToArray()), count);
                x.AccumulateGrad(Mul(mask, share));
            });
        }
        return y;
    }
}
