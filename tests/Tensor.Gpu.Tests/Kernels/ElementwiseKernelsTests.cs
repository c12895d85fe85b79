using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>Unary, binary (same-shape and broadcast), Where and Expand against the CPU backend.</summary>
public abstract class ElementwiseKernelsTests : GpuTestBase
{
    private static readonly UnaryOp[] s_unary = Enum.GetValues<UnaryOp>();
    private static readonly BinaryOp[] s_binary = Enum.GetValues<BinaryOp>();

    private static float Alpha(UnaryOp op) => op switch
    {
        UnaryOp.Pow => 1.7f,
        UnaryOp.Scale => -2.5f,
        UnaryOp.AddScalar => 0.3f,
        UnaryOp.ClampMin => 0.2f,
        UnaryOp.ClampMax => -0.1f,
        _ => 0f,
    };

    // Unary<TOp> / UnaryBackward<TOp>: every op, forward and gradient.
    [TestCaseSource(nameof(s_unary))]
    public void Unary_ForwardAndBackward_MatchCpu(UnaryOp op)
    {
        var rng = new Rng(3);
        // Log, Sqrt, Pow and 1/x get inputs in [0.5, 2) so both backends stay in their domain.
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Pow or UnaryOp.Reciprocal;
        var x = positive ? RandomData(rng, 37, 0.5f, 2f) : RandomData(rng, 37, -3f, 3f);
        x[0] = 0f; // kinks (abs, sign, relu at 0) must agree too
        if (positive) x[0] = 1f;
        CheckAgainstCpu($"Unary {op}", t => Ops.Unary(op, t[0], Alpha(op)), [[37]], [x], tol: 2e-5);
    }

    // BinarySame<TOp>: every op on equal shapes; values on a 0.25 grid so Equal/Greater see ties.
    [TestCaseSource(nameof(s_binary))]
    public void Binary_SameShape_MatchesCpu(BinaryOp op)
    {
        var rng = new Rng(5);
        var a = RandomData(rng, 15).Select(v => MathF.Round(v * 4f) / 4f).ToArray();
        var b = RandomData(rng, 15).Select(v => MathF.Round(v * 4f) / 4f).ToArray();
        if (op == BinaryOp.Div) b = b.Select(v => v >= 0 ? v + 0.5f : v - 0.5f).ToArray();
        bool differentiable = op is not (BinaryOp.Equal or BinaryOp.Greater or BinaryOp.GreaterEqual);
        CheckAgainstCpu($"Binary {op}", t => BinaryOf(op, t[0], t[1]), [[3, 5], [3, 5]], [a, b], backward: differentiable);
    }

    private static Tensor BinaryOf(BinaryOp op, Tensor a, Tensor b) => op switch
    {
        BinaryOp.Add => Ops.Add(a, b),
        BinaryOp.Sub => Ops.Sub(a, b),
        BinaryOp.Mul => Ops.Mul(a, b),
        BinaryOp.Div => Ops.Div(a, b),
        BinaryOp.Max => Ops.Maximum(a, b),
        BinaryOp.Min => Ops.Minimum(a, b),
        BinaryOp.Equal => Ops.Equal(a, b),
        BinaryOp.Greater => Ops.Greater(a, b),
        _ => Ops.GreaterEqual(a, b),
    };

    // BinaryBroadcast<TOp> (StridedIndex offsets), and the Reduce behind the unbroadcast gradient.
    [TestCase(new[] { 2, 3, 4 }, new[] { 4 })]
    [TestCase(new[] { 2, 1, 4 }, new[] { 3, 1 })]
    [TestCase(new[] { 5 }, new int[0])]
    [TestCase(new int[0], new[] { 2, 3 })]
    [TestCase(new[] { 2, 1, 3, 1, 2, 1 }, new[] { 1, 2, 1, 2, 1, 3 })] // six dimensions that cannot merge: the maximum
    public void Binary_Broadcast_ForwardAndBackward_MatchCpu(int[] sa, int[] sb)
    {
        CheckAgainstCpu("Mul broadcast", t => Ops.Mul(t[0], t[1]), [sa, sb]);
        CheckAgainstCpu("Sub broadcast", t => Ops.Sub(t[0], t[1]), [sa, sb]);
    }

    [Test]
    public void Binary_TooManyDimensionsAfterCoalescing_ThrowsNamingTheOp()
    {
        // Alternating broadcast axes cannot merge: 8 dims remain, more than the kernel's 6.
        var a = Tensor.Zeros(new Shape(2, 1, 2, 1, 2, 1, 2, 1), Gpu);
        var b = Tensor.Zeros(new Shape(1, 2, 1, 2, 1, 2, 1, 2), Gpu);
        Assert.That(() => Ops.Add(a, b), Throws.ArgumentException.With.Message.Contains("Binary"));
    }

    [Test]
    public void MaxMin_PropagateNaN_LikeCpu()
    {
        var a = new[] { float.NaN, 1f, 2f, float.NegativeInfinity };
        var b = new[] { 0f, float.NaN, -1f, 3f };
        CheckAgainstCpu("Maximum NaN", t => Ops.Maximum(t[0], t[1]), [[4], [4]], [a, b], backward: false);
        CheckAgainstCpu("Minimum NaN", t => Ops.Minimum(t[0], t[1]), [[4], [4]], [a, b], backward: false);
        CheckAgainstCpu("Max reduce NaN", t => Ops.Max(t[0]), [[4]], [a], backward: false);
    }

    // Where and BroadcastTo (Expand).
    [Test]
    public void Where_ForwardAndBackward_MatchCpu()
    {
        var cond = new float[] { 1, 0, 0, 1, 1, 0 };
        Tensor Select(Tensor[] t) => Ops.Where(t[0].Detach(), t[1], t[2]);
        var rng = new Rng(9);
        CheckAgainstCpu("Where", Select, [[2, 3], [2, 3], [2, 3]], [cond, RandomData(rng, 6), RandomData(rng, 6)]);
    }

    [TestCase(new[] { 3, 1 }, new[] { 2, 3, 4 })]
    [TestCase(new[] { 1 }, new[] { 5, 2 })]
    [TestCase(new[] { 2, 3, 1 }, new[] { 2, 3, 4 })]
    public void Expand_ForwardAndBackward_MatchCpu(int[] from, int[] to) =>
        CheckAgainstCpu("Expand", t => Ops.Expand(t[0], new Shape(to)), [from]);
}
