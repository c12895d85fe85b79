using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class NormalizeTests
{
    [TestCase(new[] { 3, 4 }, -1)]
    [TestCase(new[] { 3, 4 }, 0)]
    [TestCase(new[] { 2, 3, 1 }, 1)]
    [TestCase(new[] { 2, 1 }, -1)]
    public void L2Normalize_ForwardAndGradient_MatchReference(int[] shape, int axis)
    {
        var x = GradCheck.RandomInputs(18, shape)[0];
        int a = axis < 0 ? axis + shape.Length : axis;
        int outer = shape[..a].Aggregate(1, (p, d) => p * d), n = shape[a];
        int inner = shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var xs = x.ToArray();
        var expected = new float[xs.Length];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            double ss = 1e-6;
            for (int j = 0; j < n; j++) ss += Math.Pow(xs[(o * n + j) * inner + i], 2);
            for (int j = 0; j < n; j++) expected[(o * n + j) * inner + i] = (float)(xs[(o * n + j) * inner + i] / Math.Sqrt(ss));
        }
        GradCheck.AssertClose("forward l2normalize", expected, Ops.L2Normalize(x, axis).ToArray(), 1e-5f);
        GradCheck.Check("l2normalize", t => Ops.L2Normalize(t[0], axis), [x], eps: 1e-3);
    }

    [Test]
    public void L2Normalize_BadAxis_NamesOpAndShape()
    {
        Assert.That(() => Ops.L2Normalize(Tensor.Zeros(new Shape(2, 3)), -3),
                    Throws.ArgumentException.With.Message.Contains("L2Normalize").And.Message.Contains("[2, 3]"));
    }
}
