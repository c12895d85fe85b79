using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class PoolTests
{
    /// <summary>
    /// Direct pooling from the definition: max ignores padding (−∞), average sums in double and divides by k² or
    /// by the in-image count. Pads (top, left) and output sizes are given by the caller.
    /// </summary>
    private static float[] DirectPool(float[] x, int[] xs, int k, int s, int top, int left, int oh, int ow, bool max,
                                      bool countIncludePad)
    {
        int b = xs[0], h = xs[1], w = xs[2], c = xs[3];
        var y = new float[b * oh * ow * c];
        for (int n = 0; n < b; n++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        for (int ch = 0; ch < c; ch++)
        {
            double acc = max ? double.NegativeInfinity : 0;
            int count = 0;
            for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++)
            {
                int r = i * s - top + u, q = j * s - left + v;
                if (r < 0 || r >= h || q < 0 || q >= w) continue;
                double val = x[((n * h + r) * w + q) * c + ch];
                acc = max ? Math.Max(acc, val) : acc + val;
                count++;
            }
            if (!max) acc /= countIncludePad ? k * k : Math.Max(count, 1);
            y[((n * oh + i) * ow + j) * c + ch] = (float)acc;
        }
        return y;
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        // (x shape, window, stride, padding kind: 0 valid, 1 same, 2 explicit asymmetric)
        int[][] shapes = [[1, 7, 7, 2], [2, 8, 9, 3], [3, 5, 6, 1], [1, 11, 10, 4]];
        foreach (var xs in shapes)
        foreach (var (k, s) in new[] { (2, 2), (3, 2), (3, 1), (3, 3), (1, 2) })
        for (int pad = 0; pad < 3; pad++)
        {
            yield return new TestCaseData(xs, k, s, pad);
        }
    }

    private static (Padding P, int Top, int Left, int OH, int OW) Resolve(int[] xs, int k, int s, int padKind)
    {
        switch (padKind)
        {
            case 0:
                return (Padding.Valid, 0, 0, (xs[1] - k) / s + 1, (xs[2] - k) / s + 1);
            case 1:
                int oh = (xs[1] + s - 1) / s, ow = (xs[2] + s - 1) / s;
                return (Padding.Same, Math.Max((oh - 1) * s + k - xs[1], 0) / 2,
                        Math.Max((ow - 1) * s + k - xs[2], 0) / 2, oh, ow);
            default:
                // Pads stay below the window so every window holds an input pixel.
                int t = Math.Min(1, k - 1), bt = k - 1, l = k - 1, r = 0;
                return (Padding.Explicit(t, bt, l, r), t, l, (xs[1] + t + bt - k) / s + 1, (xs[2] + l + r - k) / s + 1);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Pool_ForwardAndGradient_MatchDirect(int[] xs, int k, int s, int padKind)
    {
        var (p, top, left, oh, ow) = Resolve(xs, k, s, padKind);
        var x = GradCheck.RandomInputs((ulong)(k * 10 + s + padKind), xs)[0];
        var expectedMax = DirectPool(x.ToArray(), xs, k, s, top, left, oh, ow, max: true, countIncludePad: false);
        var max = Ops.MaxPool2d(x, k, s, p);
        Assert.That(max.Shape, Is.EqualTo(new Shape(xs[0], oh, ow, xs[3])), $"maxpool shape {p}");
        GradCheck.AssertClose($"forward maxpool2d {x.Shape} k {k} s {s} {p}", expectedMax, max.ToArray(), 0f);
        foreach (bool include in new[] { true, false })
        {
            var expectedAvg = DirectPool(x.ToArray(), xs, k, s, top, left, oh, ow, max: false, include);
            var avg = Ops.AvgPool2d(x, k, s, p, include);
            GradCheck.AssertClose($"forward avgpool2d {x.Shape} k {k} s {s} {p} includePad {include}", expectedAvg,
                                  avg.ToArray(), 1e-6f);
        }
        // Max is not differentiable at ties, and uniform samples often come within 2·eps of each other in a
        // window; a shuffled grid with spacing 2/n > 2·eps keeps every window's maximum strictly ahead.
        var grid = Distinct(x.Count, (ulong)xs[1]);
        GradCheck.Check($"maxpool2d {p}", t => Ops.MaxPool2d(t[0], k, s, p), [Tensor.FromArray(grid, x.Shape)],
                        eps: 1e-3);
        GradCheck.Check($"avgpool2d {p}", t => Ops.AvgPool2d(t[0], k, s, p), [x]);
        GradCheck.Check($"avgpool2d exclude pad {p}", t => Ops.AvgPool2d(t[0], k, s, p, false), [x]);
    }

    /// <summary>A random permutation of n evenly spaced values in [-1, 1).</summary>
    private static float[] Distinct(int n, ulong seed)
    {
        var v = Enumerable.Range(0, n).Select(i => -1f + 2f * i / n).ToArray();
        var rng = new Rng(seed);
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (v[i], v[j]) = (v[j], v[i]);
        }
        return v;
    }

    [Test]
    public void MaxPool2d_Ties_RouteGradientToFirstInWindowOrder()
    {
        // One 2×2 window of equal values: the whole gradient goes to the top-left element.
        var x = Tensor.Full(new Shape(1, 2, 2, 1), 3f);
        x.RequiresGrad = true;
        Ops.Sum(Ops.MaxPool2d(x, 2, 2, Padding.Valid)).Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 1f, 0f, 0f, 0f }));
    }

    [Test]
    public void MaxPool2d_SamePadding_IgnoresPaddingForNegativeInputs()
    {
        // All inputs negative: zero padding would win; −∞ padding (flax/TF) must not.
        var x = Tensor.Full(new Shape(1, 4, 4, 1), -5f);
        var y = Ops.MaxPool2d(x, 3, 2, Padding.Same);
        Assert.That(y.ToArray(), Is.All.EqualTo(-5f));
    }

    [Test]
    public void AvgPool2d_CountIncludePad_DividesByWindowArea()
    {
        // 2×2 ones with SAME 3×3 stride 1: the top-left output sees 4 real ones out of 9 taps.
        var x = Tensor.Ones(new Shape(1, 2, 2, 1));
        Assert.That(Ops.AvgPool2d(x, 3, 1, Padding.Same).At(0, 0, 0, 0), Is.EqualTo(4f / 9f).Within(1e-6));
        Assert.That(Ops.AvgPool2d(x, 3, 1, Padding.Same, countIncludePad: false).At(0, 0, 0, 0),
                    Is.EqualTo(1f).Within(1e-6));
    }

    [Test]
    public void MaxPool2d_ImpalaShape_84To42()
    {
        var y = Ops.MaxPool2d(Tensor.Zeros(new Shape(2, 84, 84, 16)), 3, 2, Padding.Same);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 42, 42, 16)));
    }

    [Test]
    public void Pool_BadArguments_NameOpAndValues()
    {
        var x = Tensor.Zeros(new Shape(1, 4, 4, 2));
        Assert.That(() => Ops.MaxPool2d(x, 5, 1, Padding.Valid), Throws.ArgumentException
            .With.Message.Contains("MaxPool2d").And.Message.Contains("kernel height 5"));
        Assert.That(() => Ops.AvgPool2d(x, 2, 0, Padding.Valid), Throws.ArgumentException
            .With.Message.Contains("AvgPool2d").And.Message.Contains("stride"));
        Assert.That(() => Ops.MaxPool2d(Tensor.Zeros(new Shape(4, 4, 2)), 2, 2, Padding.Valid),
                    Throws.ArgumentException.With.Message.Contains("MaxPool2d").And.Message.Contains("[4, 4, 2]"));
    }
}
