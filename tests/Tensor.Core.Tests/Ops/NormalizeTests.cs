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
        var expected = Reference(x.ToArray(), shape, axis, ss => Math.Sqrt(ss + 1e-6));
        GradCheck.AssertClose("forward l2normalize", expected, Ops.L2Normalize(x, axis).ToArray(), 1e-5f);
        GradCheck.Check("l2normalize", t => Ops.L2Normalize(t[0], axis), [x], eps: 1e-3);
    }

    /// <summary>x / denominator(Σ x² along <paramref name="axis"/>), per fibre, in double.</summary>
    private static float[] Reference(float[] xs, int[] shape, int axis, Func<double, double> denominator)
    {
        int a = axis < 0 ? axis + shape.Length : axis;
        int outer = shape[..a].Aggregate(1, (p, d) => p * d), n = shape[a];
        int inner = shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var expected = new float[xs.Length];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            double ss = 0;
            for (int j = 0; j < n; j++) ss += Math.Pow(xs[(o * n + j) * inner + i], 2);
            double d = denominator(ss);
            for (int j = 0; j < n; j++) expected[(o * n + j) * inner + i] = (float)(xs[(o * n + j) * inner + i] / d);
        }
        return expected;
    }

    [Test]
    public void L2Normalize_BadAxis_NamesOpAndShape()
    {
        Assert.That(() => Ops.L2Normalize(Tensor.Zeros(new Shape(2, 3)), -3),
                    Throws.ArgumentException.With.Message.Contains("L2Normalize").And.Message.Contains("[2, 3]"));
    }

    /// <summary>Forward against a double-precision reference; gradient by finite differences (rows and strided axes,
    /// inner sizes on and off the vector width).</summary>
    [TestCase(new[] { 3, 5, 64 }, -1)]
    [TestCase(new[] { 4, 7 }, 1)]
    [TestCase(new[] { 6, 8 }, 0)]
    [TestCase(new[] { 2, 5, 11 }, 1)]
    public void L2NormalizeClamped_ForwardAndGradient_MatchReference(int[] shape, int axis)
    {
        var x = GradCheck.RandomInputs(19, shape)[0];
        var expected = Reference(x.ToArray(), shape, axis, ss => Math.Sqrt(Math.Max(ss, 1e-30)) + 1e-6);
        int a = axis < 0 ? axis + shape.Length : axis;
        GradCheck.AssertClose("forward l2normalize_clamped", expected, Ops.L2NormalizeClamped(x, axis).ToArray(), 1e-5f);
        GradCheck.Check("l2normalize_clamped", t => Ops.L2NormalizeClamped(t[0], axis), [x], eps: 1e-3);
        // The composite it replaces in Soft MoE (x / (√max(Σx², c) + eps)) gives the same gradient.
        GradCheck.Check("l2normalize_clamped vs composite", t => Ops.Sub(Ops.L2NormalizeClamped(t[0], axis),
            Ops.Div(t[0], Ops.AddScalar(Ops.Sqrt(Ops.Clamp(Ops.Sum(Ops.Square(t[0]), [a], keepDims: true), min: 1e-30f)),
                                        1e-6f))), [x], eps: 1e-3);
    }

    /// <summary>An all-zero slice (a dead ReLU token) stays zero with the finite gradient dy / (√c + eps): the clamp
    /// cuts the norm path, as in the composite.</summary>
    [Test]
    public void L2NormalizeClamped_ZeroSlice_FiniteGradient()
    {
        var x = Tensor.FromArray([0f, 0f, 0f, 3f, 4f, 0f], new Shape(2, 3));
        x.RequiresGrad = true;
        var y = Ops.L2NormalizeClamped(x, 1, 1e-4f, 0.5f);
        GradCheck.AssertClose("forward", [0f, 0f, 0f, 3f / 5.5f, 4f / 5.5f, 0f], y.ToArray(), 1e-6f);
        Ops.Sum(y).Backward();
        var g = x.Grad!.ToArray();
        Assert.That(g[..3], Is.EqualTo(new[] { 1f / 0.51f, 1f / 0.51f, 1f / 0.51f }).AsCollection.Within(1e-5));
        // Row 2: dx = 1/d − x · Σx / (d² r), d = 5.5, r = 5.
        var expected = new[] { 3f, 4f, 0f }.Select(v => 1f / 5.5f - v * 7f / (5.5f * 5.5f * 5f)).ToArray();
        Assert.That(g[3..], Is.EqualTo(expected).AsCollection.Within(1e-6));
    }

    [Test]
    public void L2NormalizeClamped_BadArguments_NameOpAndValues()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        Assert.That(() => Ops.L2NormalizeClamped(x, 2),
                    Throws.ArgumentException.With.Message.Contains("L2NormalizeClamped").And.Message.Contains("[2, 3]"));
        Assert.That(() => Ops.L2NormalizeClamped(x, 1, 0f, 0f),
                    Throws.ArgumentException.With.Message.Contains("minSumSq=0").And.Message.Contains("eps=0"));
        Assert.That(() => Ops.L2NormalizeClamped(x, 1, -1f),
                    Throws.ArgumentException.With.Message.Contains("minSumSq=-1"));
    }
}
