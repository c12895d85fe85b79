using MoeScratch.Tensors.Autograd;

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
        if (GradMode.ShouldRecord(x))
        {
            Record(y, log ? "log_softmax" : "softmax", [x], g =>
            {
                var dx = Tensor.Empty(x.Shape, x.Backend);
                x.Backend.SoftmaxBackwardInto(dx, g, y, outer, n, inner, log);
                x.AccumulateGrad(dx);
            });
        }
        return y;
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
