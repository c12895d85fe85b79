using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;


public class ElementwiseTests
{
    private static readonly int[][][] BroadcastCases =
    [
        [[3, 4], [3, 4]],
        [[3, 4], [4]],
        [[3, 1], [1, 5]],
        [[2, 3, 5], [3, 1]],
        [[1], [2, 3]],
        [[2, 1, 3], [2, 4, 1]],
        [[5], []],
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var op in new[] { "add", "sub", "mul", "div", "maximum", "minimum" })
        {
            foreach (var c in BroadcastCases) yield return new TestCaseData(op, c[0], c[1]);
        }
    }

    private static Tensor Apply(string op, Tensor a, Tensor b) => op switch
    {
        "add" => Ops.Add(a, b),
        "sub" => Ops.Sub(a, b),
        "mul" => Ops.Mul(a, b),
        "div" => Ops.Div(a, b),
        "maximum" => Ops.Maximum(a, b),
        _ => Ops.Minimum(a, b),
    };

    private static float Naive(string op, float a, float b) => op switch
    {
        "add" => a + b,
        "sub" => a - b,
        "mul" => a * b,
        "div" => a / b,
        "maximum" => Math.Max(a, b),
        _ => Math.Min(a, b),
    };

    [TestCaseSource(nameof(Cases))]
    public void Binary_ForwardAndGradient_MatchReference(string op, int[] sa, int[] sb)
    {
        var inputs = GradCheck.RandomInputs(7, sa, sb);
        if (op == "div") inputs[1] = Ops.AddScalar(Ops.Abs(inputs[1]), 0.5f).Detach();
        var (a, b) = (inputs[0], inputs[1]);
        var y = Apply(op, a, b);
        var shape = Shape.Broadcast(a.Shape, b.Shape, op);
        Assert.That(y.Shape, Is.EqualTo(shape));
        // Naive reference: index arithmetic over the broadcast shape.
        var expected = new float[shape.Count];
        var idx = new int[shape.Rank];
        for (int i = 0; i < expected.Length; i++)
        {
            int r = i;
            for (int d = shape.Rank - 1; d >= 0; d--) { idx[d] = r % shape[d]; r /= shape[d]; }
            expected[i] = Naive(op, a.At(Project(idx, a.Shape)), b.At(Project(idx, b.Shape)));
        }
        GradCheck.AssertClose($"forward {op} {a.Shape} {b.Shape}", expected, y.ToArray());
        GradCheck.Check(op, x => Apply(op, x[0], x[1]), inputs);
    }

    private static int[] Project(int[] idx, Shape s)
    {
        var r = new int[s.Rank];
        for (int i = 0; i < s.Rank; i++) r[i] = s[i] == 1 ? 0 : idx[idx.Length - s.Rank + i];
        return r;
    }

    [Test]
    public void Add_IncompatibleShapes_NamesOpAndBothShapes()
    {
        var a = Tensor.Zeros(new Shape(3, 4));
        var b = Tensor.Zeros(new Shape(5));
        Assert.That(() => Ops.Add(a, b), Throws.ArgumentException.With.Message.Contains("Add")
            .And.Message.Contains("[3, 4]").And.Message.Contains("[5]"));
    }

    [TestCase(UnaryOp.Neg)]
    [TestCase(UnaryOp.Exp)]
    [TestCase(UnaryOp.Log)]
    [TestCase(UnaryOp.Sqrt)]
    [TestCase(UnaryOp.Abs)]
    [TestCase(UnaryOp.Relu)]
    [TestCase(UnaryOp.Square)]
    [TestCase(UnaryOp.Pow)]
    [TestCase(UnaryOp.Scale)]
    [TestCase(UnaryOp.AddScalar)]
    [TestCase(UnaryOp.ClampMin)]
    [TestCase(UnaryOp.ClampMax)]
    [TestCase(UnaryOp.Tanh)]
    [TestCase(UnaryOp.Sigmoid)]
    [TestCase(UnaryOp.Reciprocal)]
    [TestCase(UnaryOp.Sign)]
    public void Unary_ForwardAndGradient_MatchReference(UnaryOp op)
    {
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Pow or UnaryOp.Reciprocal;
        var x = GradCheck.RandomInputs(3, [4, 7])[0];
        // Keep values away from kinks (|x| > 0.1) so central differences are valid.
        var data = x.Span;
        for (int i = 0; i < data.Length; i++)
        {
            float v = data[i];
            if (Math.Abs(v) < 0.1f) v = v < 0 ? -0.1f - v : 0.1f + v;
            if (Math.Abs(v - 0.3f) < 0.05f) v += 0.1f;
            data[i] = positive ? Math.Abs(v) + 0.2f : v;
        }
        float alpha = op switch { UnaryOp.Pow => 1.7f, UnaryOp.Scale => -2.5f, UnaryOp.AddScalar => 0.75f, _ => 0.3f };
        var y = Ops.Unary(op, x, alpha);
        var xs = x.ToArray();
        var expected = xs.Select(v => (float)Reference(op, v, alpha)).ToArray();
        GradCheck.AssertClose($"forward {op}", expected, y.ToArray(), 1e-5f);
        GradCheck.Check(op.ToString(), t => Ops.Unary(op, t[0], alpha), [x], eps: 1e-3);
    }

    private static double Reference(UnaryOp op, double x, double a) => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Exp => Math.Exp(x),
        UnaryOp.Log => Math.Log(x),
        UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Abs => Math.Abs(x),
        UnaryOp.Relu => Math.Max(x, 0),
        UnaryOp.Square => x * x,
        UnaryOp.Pow => Math.Pow(x, a),
        UnaryOp.Scale => a * x,
        UnaryOp.AddScalar => x + a,
        UnaryOp.ClampMin => Math.Max(x, a),
        UnaryOp.ClampMax => Math.Min(x, a),
        UnaryOp.Tanh => Math.Tanh(x),
        UnaryOp.Sigmoid => 1 / (1 + Math.Exp(-x)),
        UnaryOp.Reciprocal => 1 / x,
        UnaryOp.Sign => Math.Sign(x),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Test]
    public void Where_SelectsAndRoutesGradient()
    {
        var inputs = GradCheck.RandomInputs(11, [3, 4], [4]);
        var cond = Tensor.FromArray([1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1], new Shape(3, 4));
        var y = Ops.Where(cond, inputs[0], inputs[1]);
        Assert.That(y.At(0, 1), Is.EqualTo(inputs[1].At(1)));
        Assert.That(y.At(0, 0), Is.EqualTo(inputs[0].At(0, 0)));
        GradCheck.Check("where", x => Ops.Where(cond, x[0], x[1]), inputs);
    }

    [Test]
    public void Expand_GradientSumsBack()
    {
        GradCheck.Check("expand", x => Ops.Expand(x[0], new Shape(2, 3, 4)), GradCheck.RandomInputs(5, [3, 1]));
    }

    [Test]
    public void FromBytes_ScalesBy1Over255()
    {
        var t = Tensor.FromBytes(new byte[] { 0, 255, 51 }, new Shape(3));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 0f, 1f, 51f / 255f }).AsCollection.Within(1e-7));
    }
}
