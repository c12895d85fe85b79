using MoeScratch.Tensors.Autograd;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>Applies a <see cref="UnaryOp"/>; the backward rule is the backend's UnaryBackward.</summary>
    /// <remarks>dx = f'(x)·dy (see each <see cref="UnaryOp"/> member for f').</remarks>
    public static Tensor Unary(UnaryOp op, Tensor x, float alpha = 0f)
    {
        var y = NewLike(x, x.Shape);
        x.Backend.Unary(op, alpha, y, x);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, op.ToString().ToLowerInvariant(), [x], g =>
            {
                var dx = Tensor.Empty(x.Shape, x.Backend); // written whole by UnaryBackwardInto
                x.Backend.UnaryBackwardInto(op, alpha, dx, g, x, y);
                x.AccumulateGrad(dx);
            });
        }
        return y;
    }

    /// <summary>−x.</summary>
    public static Tensor Neg(Tensor x) => Unary(UnaryOp.Neg, x);

    /// <summary>eˣ.</summary>
    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x);

    /// <summary>ln x.</summary>
    public static Tensor Log(Tensor x) => Unary(UnaryOp.Log, x);

    /// <summary>√x.</summary>
    public static Tensor Sqrt(Tensor x) => Unary(UnaryOp.Sqrt, x);

    /// <summary>|x| (gradient 0 at 0).</summary>
    public static Tensor Abs(Tensor x) => Unary(UnaryOp.Abs, x);

    /// <summary>sign(x) (gradient 0).</summary>
    public static Tensor Sign(Tensor x) => Unary(UnaryOp.Sign, x);

    /// <summary>max(x, 0); the gradient at exactly 0 is 0.</summary>
    public static Tensor Relu(Tensor x) => Unary(UnaryOp.Relu, x);

    /// <summary>x².</summary>
    public static Tensor Square(Tensor x) => Unary(UnaryOp.Square, x);

    /// <summary>xᵖ for a scalar exponent.</summary>
    public static Tensor Pow(Tensor x, float p) => Unary(UnaryOp.Pow, x, p);

    /// <summary>α·x.</summary>
    public static Tensor Scale(Tensor x, float alpha) => Unary(UnaryOp.Scale, x, alpha);

    /// <summary>x + α.</summary>
    public static Tensor AddScalar(Tensor x, float alpha) => Unary(UnaryOp.AddScalar, x, alpha);

    /// <summary>tanh x.</summary>
    public static Tensor Tanh(Tensor x) => Unary(UnaryOp.Tanh, x);

    /// <summary>Logistic sigmoid.</summary>
    public static Tensor Sigmoid(Tensor x) => Unary(UnaryOp.Sigmoid, x);

    /// <summary>1/x.</summary>
    public static Tensor Reciprocal(Tensor x) => Unary(UnaryOp.Reciprocal, x);

    /// <summary>Clamps into [min, max] (either bound may be null); gradient 1 inside, 0 outside.</summary>
    public static Tensor Clamp(Tensor x, float? min = null, float? max = null)
    {
        var y = x;
        if (min is { } lo) y = Unary(UnaryOp.ClampMin, y, lo);
        if (max is { } hi) y = Unary(UnaryOp.ClampMax, y, hi);
        return ReferenceEquals(y, x) ? Unary(UnaryOp.Scale, x, 1f) : y;
    }
}
