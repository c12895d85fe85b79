using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// softmax(x)ᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x) along <paramref name="axis"/> (negative counts from the
    /// end). Subtracting the maximum keeps every exponent ≤ 0, so logits of ~1e4 do not overflow.
    /// </summary>
    /// <remarks>dx = y ⊙ (dy − Σ_axis dy ⊙ y). A row that is entirely −∞ or holds NaN gives NaN.</remarks>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Tensor Softmax(Tensor x, int axis = -1) => SoftmaxCore(x, axis, log: false, "Softmax");

    /// <summary>
    /// log_softmax(x)ᵢ = xᵢ − max x − ln Σⱼ exp(xⱼ − max x) along <paramref name="axis"/>: the stable form of
    /// ln softmax(x), finite even where softmax underflows to 0 (needed by the C51 cross-entropy).
    /// </summary>
    /// <remarks>dx = dy − softmax(x) · Σ_axis dy, with softmax(x) = exp(y).</remarks>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => SoftmaxCore(x, axis, log: true, "LogSoftmax");

    private static Tensor SoftmaxCore(Tensor x, int axis, bool log, string name)
    {
        int a = AxisOf(x.Shape, axis, name);
        var (outer, n, inner) = SplitAroundAxis(x.Shape, a);
        var y = NewLike(x, x.Shape);
        x.Backend.Softmax(y, x, outer, n, inner, log);
        RecordSoftmax(y, x, outer, n, inner, log);
        return y;
    }

    /// <summary>
    /// Softmax over each of the last two axes of x [..., M, N], in one op: over M (every column sums to 1) and over N
    /// (every row does), equal to <c>Softmax(x, -2)</c> and <c>Softmax(x, -1)</c> up to rounding. Soft MoE's dispatch
    /// and combine weights are these two softmaxes of one set of logits; the CPU computes one exp per element for both.
    /// </summary>
    /// <remarks>
    /// Each output is its own graph node with <see cref="Softmax"/>'s backward, dx = y ⊙ (dy − Σ dy ⊙ y) along its
    /// axis; the two add into x's gradient.
    /// </remarks>
    /// <exception cref="ArgumentException">x has rank below 2.</exception>
    public static (Tensor OverColumns, Tensor OverRows) SoftmaxBothAxes(Tensor x)
    {
        if (x.Rank < 2) ThrowHelper.Argument($"SoftmaxBothAxes: x must have rank >= 2 ([..., M, N]), got {x.Shape}.");
        int m = x.Shape[-2], n = x.Shape[-1], batch = Product(x.Shape.Dims[..^2]);
        var overColumns = NewLike(x, x.Shape);
        var overRows = NewLike(x, x.Shape);
        if (x.Count > 0) x.Backend.SoftmaxPair(overColumns, overRows, x, batch, m, n);
        RecordSoftmax(overColumns, x, batch, m, n, log: false);
        RecordSoftmax(overRows, x, batch * m, n, 1, log: false);
        return (overColumns, overRows);
    }

    /// <summary>Records y = (log-)softmax(x) along the middle axis of [outer, n, inner] for the backward.</summary>
    private static void RecordSoftmax(Tensor y, Tensor x, int outer, int n, int inner, bool log)
    {
        if (!GradMode.ShouldRecord(x)) return;
        Record(y, log ? "log_softmax" : "softmax", [x], g =>
        {
            var dx = Tensor.Empty(x.Shape, x.Backend);
            x.Backend.SoftmaxBackwardInto(dx, g, y, outer, n, inner, log);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>
    /// ln Σ exp(x) over <paramref name="axes"/> (all when null), computed as m + ln Σ exp(x − m) with m the
    /// (constant) maximum, so values of ~1e4 stay finite. Composite: the gradient, softmax(x)·dy, comes from
    /// Exp/Sum/Log.
    /// </summary>
    /// <remarks>
    /// m is taken without gradient: it cancels in exact arithmetic, and leaving it out avoids Max's tie splitting.
    /// m is clamped to the finite range so an all −∞ slice gives −∞ (not NaN).
    /// </remarks>
    /// <exception cref="ArgumentException">An axis is out of range or repeated.</exception>
    public static Tensor LogSumExp(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        if (axes is not null) foreach (int ax in axes) AxisOf(x.Shape, ax, "LogSumExp");
        var kept = ReducedShape(x.Shape, axes, "LogSumExp");
        Tensor m;
        using (Tensor.NoGrad())
        {
            m = Clamp(Max(x, axes, keepDims: true), float.MinValue, float.MaxValue);
        }
        var y = Add(Log(Sum(Exp(Sub(x, m)), axes, keepDims: true)), m);
        return keepDims ? y : y.Reshape(DropAxes(x.Shape, kept, axes).ToArray());
    }
}
