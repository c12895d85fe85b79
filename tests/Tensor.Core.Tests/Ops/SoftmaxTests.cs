using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class SoftmaxTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (bool log in new[] { false, true })
        {
            yield return new TestCaseData(new[] { 2, 3, 33 }, 1, log);
            yield return new TestCaseData(new[] { 3, 5 }, -1, log);
            yield return new TestCaseData(new[] { 3, 5 }, 0, log);
            yield return new TestCaseData(new[] { 2, 3, 4 }, 1, log);
            yield return new TestCaseData(new[] { 2, 3, 4 }, -3, log);
            yield return new TestCaseData(new[] { 4, 1 }, -1, log);
            yield return new TestCaseData(new[] { 1, 7 }, 1, log);
            yield return new TestCaseData(new[] { 7 }, 0, log);
            // Vector rows and column strips with an overlapping last vector (lengths 19 and 21).
            yield return new TestCaseData(new[] { 2, 3, 19 }, -1, log);
            yield return new TestCaseData(new[] { 2, 21, 3 }, 0, log);
            yield return new TestCaseData(new[] { 2, 5, 21 }, 1, log);
        }
    }

    /// <summary>Reference written independently of the kernel: per (outer, inner) fibre, in double.</summary>
    private static float[] Reference(float[] x, int[] shape, int axis, bool log)
    {
        int a = axis < 0 ? axis + shape.Length : axis;
        int outer = shape[..a].Aggregate(1, (p, d) => p * d), n = shape[a];
        int inner = shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var y = new float[x.Length];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            var idx = Enumerable.Range(0, n).Select(j => (o * n + j) * inner + i).ToArray();
            double m = idx.Max(p => (double)x[p]);
            double s = idx.Sum(p => Math.Exp(x[p] - m));
            foreach (int p in idx) y[p] = (float)(log ? x[p] - m - Math.Log(s) : Math.Exp(x[p] - m) / s);
        }
        return y;
    }

    [TestCaseSource(nameof(Cases))]
    public void Softmax_ForwardAndGradient_MatchReference(int[] shape, int axis, bool log)
    {
        var x = GradCheck.RandomInputs(3, shape)[0];
        Func<Tensor, Tensor> f = log ? t => Ops.LogSoftmax(t, axis) : t => Ops.Softmax(t, axis);
        GradCheck.AssertClose($"forward {(log ? "log_softmax" : "softmax")} {new Shape(shape)}",
                              Reference(x.ToArray(), shape, axis, log), f(x).ToArray(), 1e-5f);
        GradCheck.Check(log ? "log_softmax" : "softmax", t => f(t[0]), [x]);
    }

    /// <summary>
    /// SoftmaxBothAxes is Softmax(x, -2) and Softmax(x, -1): values and the gradient through both outputs (rank 2, a
    /// batch of blocks with vector rows, and two batch axes).
    /// </summary>
    [TestCase(new[] { 4, 6 })]
    [TestCase(new[] { 2, 5, 19 })]
    [TestCase(new[] { 2, 2, 3, 9 })]
    public void SoftmaxBothAxes_IsBothSoftmaxes_ForwardAndGradient(int[] shape)
    {
        var x = GradCheck.RandomInputs(23, [shape])[0];
        var (overColumns, overRows) = Ops.SoftmaxBothAxes(x);
        GradCheck.AssertClose("over columns", Ops.Softmax(x, -2).ToArray(), overColumns.ToArray(), 1e-6f);
        GradCheck.AssertClose("over rows", Ops.Softmax(x, -1).ToArray(), overRows.ToArray(), 1e-6f);
        var w = GradCheck.RandomInputs(29, [shape])[0];
        GradCheck.Check("softmax both axes", t =>
        {
            var (c, r) = Ops.SoftmaxBothAxes(t[0]);
            return Ops.Add(Ops.Mul(c, w), Ops.Scale(r, 2f));
        }, [x]);
    }

    [Test]
    public void SoftmaxBothAxes_RankOne_NamesTheShape() =>
        Assert.That(() => Ops.SoftmaxBothAxes(Tensor.Zeros(new Shape(5))),
                    Throws.ArgumentException.With.Message.Contains("SoftmaxBothAxes").And.Message.Contains("[5]"));

    [Test]
    public void Softmax_LargeInputs_AreStable()
    {
        // Logits near 1e4 overflow exp without the max shift.
        var data = new[] { 1e4f, 1e4f - 1f, 1e4f - 2f, -1e4f, 1e4f, 1e4f + 3f };
        var x = Tensor.FromArray(data, new Shape(2, 3));
        foreach (int axis in new[] { -1, 0 })
        {
            var shape = new[] { 2, 3 };
            var sm = Ops.Softmax(x, axis).ToArray();
            var lsm = Ops.LogSoftmax(x, axis).ToArray();
            Assert.That(sm.All(float.IsFinite) && lsm.All(float.IsFinite), Is.True, $"axis {axis}: non-finite output");
            GradCheck.AssertClose($"softmax 1e4 axis {axis}", Reference(data, shape, axis, false), sm, 1e-5f);
            GradCheck.AssertClose($"log_softmax 1e4 axis {axis}", Reference(data, shape, axis, true), lsm, 1e-5f);
        }
    }

    [Test]
    public void LogSumExp_ForwardAndGradient_MatchReference()
    {
        var x = GradCheck.RandomInputs(4, [2, 3, 4])[0];
        var xs = x.ToArray();
        var y = Ops.LogSumExp(x, [-1]);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 3)));
        var expected = Enumerable.Range(0, 6).Select(r =>
            (float)Math.Log(Enumerable.Range(0, 4).Sum(j => Math.Exp(xs[r * 4 + j])))).ToArray();
        GradCheck.AssertClose("forward logsumexp", expected, y.ToArray(), 1e-5f);
        GradCheck.Check("logsumexp", t => Ops.LogSumExp(t[0], [0, 2], keepDims: true), [x]);
        GradCheck.Check("logsumexp all", t => Ops.LogSumExp(t[0]), [x]);
    }

    [Test]
    public void LogSumExp_LargeValues_StayFinite()
    {
        var x = Tensor.FromArray([1e4f, 1e4f, -1e4f], new Shape(3));
        // ln(2·e^1e4) = 1e4 + ln 2; the float spacing at 1e4 is ~1e-3.
        Assert.That(Ops.LogSumExp(x).Item(), Is.EqualTo(1e4f + MathF.Log(2f)).Within(2e-3));
        var negInf = Tensor.Full(new Shape(2), float.NegativeInfinity);
        Assert.That(Ops.LogSumExp(negInf).Item(), Is.EqualTo(float.NegativeInfinity));
    }

    [Test]
    public void Softmax_BadAxis_NamesOpAxisAndShape()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        Assert.That(() => Ops.Softmax(x, 2),
                    Throws.ArgumentException.With.Message.Contains("Softmax").And.Message.Contains("axis 2")
                          .And.Message.Contains("[2, 3]"));
        Assert.That(() => Ops.LogSoftmax(x, -3), Throws.ArgumentException.With.Message.Contains("LogSoftmax"));
        Assert.That(() => Ops.LogSumExp(x, [5]),
                    Throws.ArgumentException.With.Message.Contains("LogSumExp").And.Message.Contains("[2, 3]"));
    }
}
