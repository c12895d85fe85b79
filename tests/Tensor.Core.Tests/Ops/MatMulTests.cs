using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class MatMulTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var ta in new[] { false, true })
        {
            foreach (var tb in new[] { false, true })
            {
                yield return new TestCaseData(new[] { 3, 5 }, new[] { 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 2, 3, 5 }, new[] { 2, 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 2, 3, 5 }, new[] { 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 3, 5 }, new[] { 2, 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 1, 1 }, new[] { 1, 7 }, ta, tb);
            }
        }
    }

    private static int[] Stored(int[] s, bool t) => t ? [.. s[..^2], s[^1], s[^2]] : s;

    [TestCaseSource(nameof(Cases))]
    public void MatMul_ForwardAndGradient_MatchReference(int[] sa, int[] sb, bool ta, bool tb)
    {
        var inputs = GradCheck.RandomInputs(9, Stored(sa, ta), Stored(sb, tb));
        var y = Ops.MatMul(inputs[0], inputs[1], ta, tb);
        int m = sa[^2], k = sa[^1], n = sb[^1];
        int batch = Math.Max(sa.Length > 2 ? sa[0] : 1, sb.Length > 2 ? sb[0] : 1);
        var a = inputs[0].ToArray();
        var b = inputs[1].ToArray();
        var expected = new float[batch * m * n];
        for (int t = 0; t < batch; t++)
        {
            int oa = sa.Length > 2 ? t * m * k : 0, ob = sb.Length > 2 ? t * k * n : 0;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (double)(ta ? a[oa + p * m + i] : a[oa + i * k + p]) * (tb ? b[ob + j * k + p] : b[ob + p * n + j]);
                }
                expected[t * m * n + i * n + j] = (float)s;
            }
        }
        GradCheck.AssertClose("forward matmul", expected, y.ToArray(), 1e-5f);
        GradCheck.Check("matmul", x => Ops.MatMul(x[0], x[1], ta, tb), inputs);
    }

    /// <summary>
    /// MatMulBias against finite differences, with a bias of ±2 per column over products of magnitude ≤ 1.25, so no
    /// pre-activation sits near the ReLU's kink: per-product and shared biases, batched, shared-B and shared-A products.
    /// </summary>
    [TestCase(new[] { 3, 5 }, new[] { 5, 4 }, new[] { 4 })]
    [TestCase(new[] { 2, 3, 5 }, new[] { 2, 5, 4 }, new[] { 2, 4 })]
    [TestCase(new[] { 2, 3, 5 }, new[] { 2, 5, 4 }, new[] { 4 })]
    [TestCase(new[] { 2, 3, 5 }, new[] { 5, 4 }, new[] { 4 })]
    [TestCase(new[] { 3, 5 }, new[] { 2, 5, 4 }, new[] { 2, 1, 4 })]
    public void MatMulBias_ForwardAndGradient_MatchReference(int[] sa, int[] sb, int[] sbias)
    {
        foreach (bool relu in new[] { false, true })
        {
            var rng = new Rng(21);
            var a = Tensor.Uniform(new Shape(sa), -0.5f, 0.5f, rng);
            var b = Tensor.Uniform(new Shape(sb), -0.5f, 0.5f, rng);
            int n = sb[^1];
            var bias = Tensor.FromArray([.. Enumerable.Range(0, new Shape(sbias).Count).Select(i => i % 3 == 0 ? -2f : 2f)],
                                        new Shape(sbias));
            var y = Ops.MatMulBias(a, b, bias, relu).ToArray();
            var plain = Ops.MatMul(a, b);
            var want = Ops.Add(plain, bias.Count == n ? bias : bias.Reshape([.. plain.Shape.Dims[..^2], 1, n]));
            if (relu) want = Ops.Relu(want);
            GradCheck.AssertClose($"forward matmul_bias relu={relu}", want.ToArray(), y, 1e-6f);
            GradCheck.Check(relu ? "matmul_bias_relu" : "matmul_bias", x => Ops.MatMulBias(x[0], x[1], x[2], relu), [a, b, bias]);
        }
    }

    /// <summary>MatMulBias(relu) against Relu(MatMul + bias) at a Soft MoE expert's shape on the CPU: every gradient.</summary>
    [Test]
    public void MatMulBias_MatchesTheComposite_AtAnExpertShape()
    {
        (float[] Y, float[][] Grads) Run(bool fuse)
        {
            var rng = new Rng(5);
            var x = Tensor.Uniform(new Shape(4, 50, 16), -1f, 1f, rng);
            var w = Tensor.Uniform(new Shape(4, 16, 64), -1f, 1f, rng);
            var bias = Tensor.Uniform(new Shape(4, 64), -1f, 1f, rng);
            x.RequiresGrad = w.RequiresGrad = bias.RequiresGrad = true;
            var y = fuse ? Ops.MatMulBias(x, w, bias, relu: true)
                         : Ops.Relu(Ops.Add(Ops.MatMul(x, w), bias.Reshape(4, 1, 64)));
            var dy = Tensor.Uniform(y.Shape, -1f, 1f, rng);
            Ops.Sum(Ops.Mul(y, dy)).Backward();
            return (y.ToArray(), [x.Grad!.ToArray(), w.Grad!.ToArray(), bias.Grad!.ToArray()]);
        }
        var (fused, fusedGrads) = Run(true);
        var (plain, plainGrads) = Run(false);
        Assert.That(fused, Is.EqualTo(plain).AsCollection, "forward: the same products, then the same adds");
        Assert.That(fused.Count(v => v == 0f), Is.InRange(1, fused.Length - 1), "a ReLU that clips some");
        for (int i = 0; i < 3; i++) Assert.That(fusedGrads[i], Is.EqualTo(plainGrads[i]).AsCollection.Within(1e-4f), $"input {i}");
    }

    [Test]
    public void MatMulBias_WrongBias_NamesTheShapes()
    {
        var a = Tensor.Zeros(new Shape(2, 3, 5));
        var b = Tensor.Zeros(new Shape(2, 5, 4));
        Assert.That(() => Ops.MatMulBias(a, b, Tensor.Zeros(new Shape(3))),
                    Throws.ArgumentException.With.Message.Contains("MatMulBias").And.Message.Contains("[3]")
                          .And.Message.Contains("N = 4").And.Message.Contains("B·N = 8"));
    }

    [Test]
    public void MatMul_InnerMismatch_NamesBothShapes()
    {
        var a = Tensor.Zeros(new Shape(32, 3136));
        var b = Tensor.Zeros(new Shape(3137, 512));
        Assert.That(() => Ops.MatMul(a, b), Throws.ArgumentException.With.Message.Contains("[32, 3136]")
            .And.Message.Contains("[3137, 512]").And.Message.Contains("MatMul"));
    }
}
