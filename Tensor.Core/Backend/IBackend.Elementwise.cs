namespace MoeScratch.Tensors;

/// <summary>Scalar functions applied element by element; some take the parameter <c>alpha</c>.</summary>
public enum UnaryOp
{
    /// <summary>−x.</summary>
    Neg,
    /// <summary>eˣ.</summary>
    Exp,
    /// <summary>ln x (NaN for x &lt; 0, −∞ at 0).</summary>
    Log,
    /// <summary>√x.</summary>
    Sqrt,
    /// <summary>|x|; gradient sign(x), 0 at 0.</summary>
    Abs,
    /// <summary>sign(x) ∈ {−1, 0, 1}; gradient 0.</summary>
    Sign,
    /// <summary>max(x, 0); gradient 1 for x &gt; 0, else 0.</summary>
    Relu,
    /// <summary>x².</summary>
    Square,
    /// <summary>xᵅ.</summary>
    Pow,
    /// <summary>α·x.</summary>
    Scale,
    /// <summary>x + α.</summary>
    AddScalar,
    /// <summary>max(x, α); gradient 1 where x ≥ α.</summary>
    ClampMin,
    /// <summary>min(x, α); gradient 1 where x ≤ α.</summary>
    ClampMax,
    /// <summary>tanh x.</summary>
    Tanh,
    /// <summary>1/(1+e⁻ˣ).</summary>
    Sigmoid,
    /// <summary>1/x.</summary>
    Reciprocal,
}

/// <summary>Two-argument functions with NumPy broadcasting.</summary>
public enum BinaryOp
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Sub,
    /// <summary>a · b.</summary>
    Mul,
    /// <summary>a / b.</summary>
    Div,
    /// <summary>max(a, b).</summary>
    Max,
    /// <summary>min(a, b).</summary>
    Min,
    /// <summary>1 where a = b, else 0.</summary>
    Equal,
    /// <summary>1 where a &gt; b, else 0.</summary>
    Greater,
    /// <summary>1 where a ≥ b, else 0.</summary>
    GreaterEqual,
}

public partial interface IBackend
{
    /// <summary><c>y = f(x)</c> element-wise; x and y have equal counts (y may be x).</summary>
    void Unary(UnaryOp op, float alpha, Tensor y, Tensor x);

    /// <summary><c>dx += f'(x)·dy</c>; <paramref name="y"/> is the forward output (used by exp, sqrt, tanh, …).</summary>
    void UnaryBackward(UnaryOp op, float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y);

    /// <summary>
    /// <c>dx = f'(x)·dy</c>, overwriting dx: a fresh gradient buffer needs no zero-filling first. The default clears
    /// dx and accumulates with <see cref="UnaryBackward"/>; the CPU writes ReLU and square directly (the conv ReLU
    /// masks of a Nature-DQN backward are 0.7 M floats).
    /// </summary>
    void UnaryBackwardInto(UnaryOp op, float alpha, Tensor dx, Tensor dy, Tensor x, Tensor y)
    {
        Fill(dx, 0f);
        UnaryBackward(op, alpha, dx, dy, x, y);
    }

    /// <summary><c>y = a ∘ b</c> with NumPy broadcasting; y has the broadcast shape.</summary>
    void Binary(BinaryOp op, Tensor y, Tensor a, Tensor b);

    /// <summary><c>y = cond ≠ 0 ? a : b</c>; all four have y's shape.</summary>
    void Where(Tensor y, Tensor cond, Tensor a, Tensor b);

    /// <summary>Materializes <paramref name="x"/> broadcast to y's shape.</summary>
    void BroadcastTo(Tensor y, Tensor x);
}
