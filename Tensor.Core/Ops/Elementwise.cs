using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    private static Tensor BinaryOpForward(BinaryOp op, Tensor a, Tensor b, string name)
    {
        ThrowHelper.SameBackend(name, a, b);
        var shape = Shape.Broadcast(a.Shape, b.Shape, name);
        var y = NewLike(a, shape);
        a.Backend.Binary(op, y, a, b);
        return y;
    }

    /// <summary>a + b with broadcasting.</summary>
    /// <remarks>da = unbroadcast(dy); db = unbroadcast(dy).</remarks>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = BinaryOpForward(BinaryOp.Add, a, b, "Add");
        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, "add", [a, b], g =>
            {
                a.AccumulateGrad(Tensor.SumToShape(g, a.Shape));
                b.AccumulateGrad(Tensor.SumToShape(g, b.Shape));
            });
        }
        return y;
    }

    /// <summary>a − b with broadcasting.</summary>
    /// <remarks>da = unbroadcast(dy); db = −unbroadcast(dy).</remarks>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = BinaryOpForward(BinaryOp.Sub, a, b, "Sub");
        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, "sub", [a, b], g =>
            {
                a.AccumulateGrad(Tensor.SumToShape(g, a.Shape));
                if (b.RequiresGrad) b.AccumulateGrad(Neg(Tensor.SumToShape(g, b.Shape)));
            });
        }
        return y;
    }

    // <mul>
    /// <summary>a · b with broadcasting.</summary>
    /// <remarks>da = unbroadcast(dy·b); db = unbroadcast(dy·a).</remarks>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = BinaryOpForward(BinaryOp.Mul, a, b, "Mul");
        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, "mul", [a, b], g =>
            {
                if (a.RequiresGrad) a.AccumulateGrad(Tensor.SumToShape(Mul(g, b), a.Shape));
                if (b.RequiresGrad) b.AccumulateGrad(Tensor.SumToShape(Mul(g, a), b.Shape));
            });
        }
        return y;
    }
    // </mul>

    /// <summary>a / b with broadcasting (IEEE: x/0 = ±∞, 0/0 = NaN).</summary>
    /// <remarks>da = unbroadcast(dy/b); db = −unbroadcast(dy·a/b²).</remarks>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = BinaryOpForward(BinaryOp.Div, a, b, "Div");
        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, "div", [a, b], g =>
            {
                if (a.RequiresGrad) a.AccumulateGrad(Tensor.SumToShape(Div(g, b), a.Shape));
                if (b.RequiresGrad) b.AccumulateGrad(Tensor.SumToShape(Neg(Div(Mul(g, y), b)), b.Shape));
            });
        }
        return y;
    }

    /// <summary>Element-wise max(a, b) with broadcasting; NaN propagates.</summary>
    /// <remarks>The gradient goes to a where a ≥ b, else to b (ties go to a).</remarks>
    public static Tensor Maximum(Tensor a, Tensor b) => MinMax(BinaryOp.Max, a, b, "maximum");

    /// <summary>Element-wise min(a, b) with broadcasting; NaN propagates.</summary>
    /// <remarks>The gradient goes to a where a ≤ b, else to b (ties go to a).</remarks>
    public static Tensor Minimum(Tensor a, Tensor b) => MinMax(BinaryOp.Min, a, b, "minimum");

    private static Tensor MinMax(BinaryOp op, Tensor a, Tensor b, string name)
    {
        var y = BinaryOpForward(op, a, b, name);
        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, name, [a, b], g =>
            {
                // mask = 1 where a wins: a ≥ b for max, b ≥ a (i.e. a ≤ b) for min.
                var mask = op == BinaryOp.Max ? Compare(BinaryOp.GreaterEqual, a, b) : Compare(BinaryOp.GreaterEqual, b, a);
                var ga = Mul(g, mask);
                if (a.RequiresGrad) a.AccumulateGrad(Tensor.SumToShape(ga, a.Shape));
                if (b.RequiresGrad) b.AccumulateGrad(Tensor.SumToShape(Sub(g, ga), b.Shape));
            });
        }
        return y;
    }

    /// <summary>1 where a = b, else 0 (no gradient).</summary>
    public static Tensor Equal(Tensor a, Tensor b) => Compare(BinaryOp.Equal, a, b);

    /// <summary>1 where a &gt; b, else 0 (no gradient).</summary>
    public static Tensor Greater(Tensor a, Tensor b) => Compare(BinaryOp.Greater, a, b);

    /// <summary>1 where a ≥ b, else 0 (no gradient).</summary>
    public static Tensor GreaterEqual(Tensor a, Tensor b) => Compare(BinaryOp.GreaterEqual, a, b);

    private static Tensor Compare(BinaryOp op, Tensor a, Tensor b) => BinaryOpForward(op, a, b, op.ToString());

    /// <summary><c>cond ≠ 0 ? a : b</c> with broadcasting of all three.</summary>
    /// <remarks>da = unbroadcast(dy·[cond≠0]); db = unbroadcast(dy·[cond=0]); no gradient to cond.</remarks>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        ThrowHelper.SameBackend("Where", a, b);
        ThrowHelper.SameBackend("Where", cond, a);
        var shape = Shape.Broadcast(Shape.Broadcast(cond.Shape, a.Shape, "Where"), b.Shape, "Where");
        var c = Expand(cond, shape);
        var y = NewLike(a, shape);
        a.Backend.Where(y, c, Expand(a, shape), Expand(b, shape));
        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, "where", [a, b], g =>
            {
                var zero = Tensor.Zeros(shape, g.Backend);
                if (a.RequiresGrad) a.AccumulateGrad(Tensor.SumToShape(WhereNoGrad(c, g, zero), a.Shape));
                if (b.RequiresGrad) b.AccumulateGrad(Tensor.SumToShape(WhereNoGrad(c, zero, g), b.Shape));
            });
        }
        return y;
    }

    private static Tensor WhereNoGrad(Tensor c, Tensor a, Tensor b)
    {
        var y = NewLike(a, a.Shape);
        a.Backend.Where(y, c, a, b);
        return y;
    }

    /// <summary>Materializes a broadcast of <paramref name="x"/> to <paramref name="shape"/>.</summary>
    /// <remarks>dx = unbroadcast(dy).</remarks>
    public static Tensor Expand(Tensor x, Shape shape)
    {
        if (x.Shape == shape) return x;
        var check = Shape.Broadcast(x.Shape, shape, "Expand");
        if (check != shape) ThrowHelper.Argument($"Expand: {x.Shape} cannot be broadcast to {shape}.");
        var y = NewLike(x, shape);
        x.Backend.BroadcastTo(y, x);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, "expand", [x], g => x.AccumulateGrad(Tensor.SumToShape(g, x.Shape)));
        }
        return y;
    }
}
