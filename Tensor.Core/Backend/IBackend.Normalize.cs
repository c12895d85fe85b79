namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// y = x / (√max(Σₙ x², <paramref name="minSumSq"/>) + <paramref name="eps"/>) along the middle axis of x viewed
    /// as [outer, n, inner] (Dopamine's Soft MoE normalization). y has x's shape.
    /// </summary>
    /// <remarks>The default composes backend primitives (temporaries of x's size); the CPU runs one fused pass.</remarks>
    void L2NormalizeClamped(Tensor y, Tensor x, int outer, int n, int inner, float minSumSq, float eps)
    {
        using var x3 = x.View(new Shape(outer, n, inner));
        using var y3 = y.View(x3.Shape);
        using var d = ClampedNormDenominator(x3, minSumSq, eps, out var s, out var r);
        s.Dispose();
        r.Dispose();
        Binary(BinaryOp.Div, y3, x3, d);
    }

    /// <summary>
    /// Writes (does not accumulate) the input gradient of <see cref="L2NormalizeClamped"/> for dy, from the saved
    /// input x: with s = Σₙ x², r = √max(s, minSumSq) and d = r + eps,
    /// <c>dx = dy / d − x · (Σₙ dy ⊙ x) · [s ≥ minSumSq] / (d² r)</c> (the clamp passes the gradient at its bound,
    /// as <see cref="UnaryOp.ClampMin"/>).
    /// </summary>
    void L2NormalizeClampedBackward(Tensor dx, Tensor dy, Tensor x, int outer, int n, int inner, float minSumSq, float eps)
    {
        var full = new Shape(outer, n, inner);
        var row = new Shape(outer, 1, inner);
        using var x3 = x.View(full);
        using var dy3 = dy.View(full);
        using var dx3 = dx.View(full);
        using var d = ClampedNormDenominator(x3, minSumSq, eps, out var s, out var r);
        using var prod = Tensor.Empty(full, this);
        using var coef = Tensor.Empty(row, this);
        using var mask = Tensor.Empty(row, this);
        using var bound = Tensor.Full(new Shape(1), minSumSq, this);
        Binary(BinaryOp.Mul, prod, dy3, x3);
        Reduce(ReduceOp.Sum, coef, prod);                 // Σ dy ⊙ x
        Binary(BinaryOp.GreaterEqual, mask, s, bound);
        Binary(BinaryOp.Mul, coef, coef, mask);
        Binary(BinaryOp.Div, coef, coef, r);
        Binary(BinaryOp.Div, coef, coef, d);
        Binary(BinaryOp.Div, coef, coef, d);              // (Σ dy ⊙ x) · mask / (d² r)
        Binary(BinaryOp.Mul, prod, x3, coef);
        Binary(BinaryOp.Div, dx3, dy3, d);
        Binary(BinaryOp.Sub, dx3, dx3, prod);
        s.Dispose();
        r.Dispose();
    }

    /// <summary>s = Σₙ x², r = √max(s, minSumSq) and the returned d = r + eps, each [outer, 1, inner].</summary>
    private Tensor ClampedNormDenominator(Tensor x3, float minSumSq, float eps, out Tensor s, out Tensor r)
    {
        var row = new Shape(x3.Shape[0], 1, x3.Shape[2]);
        using (var sq = Tensor.Empty(x3.Shape, this))
        {
            Unary(UnaryOp.Square, 0f, sq, x3);
            s = Tensor.Empty(row, this);
            Reduce(ReduceOp.Sum, s, sq);
        }
        r = Tensor.Empty(row, this);
        Unary(UnaryOp.ClampMin, minSumSq, r, s);
        Unary(UnaryOp.Sqrt, 0f, r, r);
        var d = Tensor.Empty(row, this);
        Unary(UnaryOp.AddScalar, eps, d, r);
        return d;
    }
}
