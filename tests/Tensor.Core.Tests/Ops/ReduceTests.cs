using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;


public class ReduceTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var op in new[] { "sum", "mean", "max", "min" })
        {
            yield return new TestCaseData(op, new[] { 3, 4, 5 }, null, false);
            yield return new TestCaseData(op, new[] { 3, 4, 5 }, new[] { 1 }, false);
            yield return new TestCaseData(op, new[] { 3, 4, 5 }, new[] { 0, 2 }, true);
            yield return new TestCaseData(op, new[] { 3, 4, 5 }, new[] { -1 }, true);
            yield return new TestCaseData(op, new[] { 1, 7 }, new[] { 0 }, false);
            yield return new TestCaseData(op, new[] { 2, 1, 3, 1 }, new[] { 2, 3 }, false);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Reduce_ForwardAndGradient_MatchReference(string op, int[] shape, int[]? axes, bool keep)
    {
        var x = GradCheck.RandomInputs(21, shape)[0];
        Func<Tensor, Tensor> f = op switch
        {
            "sum" => t => Ops.Sum(t, axes, keep),
            "mean" => t => Ops.Mean(t, axes, keep),
            "max" => t => Ops.Max(t, axes, keep),
            _ => t => Ops.Min(t, axes, keep),
        };
        var y = f(x);
        // Naive reference by explicit index mapping.
        var s = new Shape(shape);
        var reduced = new bool[s.Rank];
        if (axes is null) Array.Fill(reduced, true);
        else foreach (var a in axes) reduced[a < 0 ? a + s.Rank : a] = true;
        var outDims = Enumerable.Range(0, s.Rank).Select(i => reduced[i] ? 1 : shape[i]).ToArray();
        var outShape = new Shape(outDims);
        var acc = new List<float>[outShape.Count];
        for (int i = 0; i < acc.Length; i++) acc[i] = [];
        var xs = x.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            int r = i, o = 0, mul = 1;
            for (int d = s.Rank - 1; d >= 0; d--)
            {
                int id = r % shape[d];
                r /= shape[d];
                if (!reduced[d]) { o += id * mul; mul *= shape[d]; }
            }
            acc[o].Add(xs[i]);
        }
        var expected = acc.Select(l => op switch
        {
            "sum" => l.Sum(),
            "mean" => l.Average(),
            "max" => l.Max(),
            _ => l.Min(),
        }).ToArray();
        GradCheck.AssertClose($"forward {op}", expected, y.ToArray(), 1e-5f);
        if (keep) Assert.That(y.Shape, Is.EqualTo(outShape));
        GradCheck.Check(op, t => f(t[0]), [x], eps: op is "max" or "min" ? 1e-3 : 1e-2);
    }

    [Test]
    public void Sum_BadAxis_NamesOpAndRank()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        Assert.That(() => Ops.Sum(x, [2]), Throws.ArgumentException.With.Message.Contains("Sum").And.Message.Contains("rank 2"));
    }

    [Test]
    public void Max_Ties_ShareGradient()
    {
        var x = Tensor.FromArray([1f, 3f, 3f, 0f], new Shape(4));
        x.RequiresGrad = true;
        Ops.Max(x).Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0f, 0.5f, 0.5f, 0f }).AsCollection);
    }
}
