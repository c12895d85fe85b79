using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Moe;

public class PerSampleRouterTests
{
    private static Tensor Uniform(ulong seed, params int[] shape) => Tensor.Uniform(new Shape(shape), -1f, 1f, new Rng(seed));

    /// <summary>Row b of a [B, k] tensor as doubles.</summary>
    private static double[] Row(Tensor t, int b) => Enumerable.Range(0, t.Shape[1]).Select(j => (double)t.At(b, j)).ToArray();

    [TestCase(false)]
    [TestCase(true)]
    public void Combine_IsSoftmaxOverExpertsOfTheTokenLogits(bool normalize)
    {
        // P1 §2.2 with m = 1, p = 1: c = softmax_n(x·Φ); normalized: x/‖x‖ · (Φ/‖Φ‖_d)·scale.
        const int b = 3, d = 5, n = 4;
        var x = Uniform(1, b, d);
        var phi = Uniform(2, d, n);
        var scale = Tensor.Full(new Shape(1), 2.5f);
        var combine = PerSampleRouter.Combine(x, phi, scale, normalize);
        Assert.That(combine.Shape, Is.EqualTo(new Shape(b, n)));
        var w = phi.ToArray();
        if (normalize)
        {
            for (int j = 0; j < n; j++)
            {
                double norm = Math.Sqrt(Enumerable.Range(0, d).Sum(i => (double)w[i * n + j] * w[i * n + j])) + 1e-6;
                for (int i = 0; i < d; i++) w[i * n + j] = (float)(w[i * n + j] / norm * 2.5);
            }
        }
        var expected = new double[b * n];
        for (int o = 0; o < b; o++)
        {
            var token = Row(x, o);
            if (normalize)
            {
                double norm = Math.Sqrt(token.Sum(v => v * v)) + 1e-6;
                token = token.Select(v => v / norm).ToArray();
            }
            MoeReference.Softmax(MoeReference.Dense(token, w, n)).CopyTo(expected, o * n);
        }
        MoeReference.AssertClose("combine", expected, combine, 1e-5);
        Assert.That(Ops.Sum(combine, [1]).ToArray(), Has.All.EqualTo(1f).Within(1e-6), "each observation's weights sum to 1");
    }

    // Issue 16.5: one normalization, Dopamine's x/(‖x‖ + 1e-6), for Soft MoE and this router; with the epsilon inside
    // the root (vmoe's), a token of norm 1e-3 would be normalized to length 0.71 instead of 1.
    [Test]
    public void Combine_Normalized_UsesSoftMoesNormalization_ForSmallTokens()
    {
        const int d = 4, n = 3;
        var x = Ops.Scale(Uniform(5, 2, d), 1e-3f);
        var phi = Uniform(6, d, n);
        var scale = Tensor.Full(new Shape(1), 3f);
        var combine = PerSampleRouter.Combine(x, phi, scale, normalize: true);
        var logits = Ops.MatMul(SoftMoe.L2NormalizeDopamine(x, 1), Ops.Mul(SoftMoe.L2NormalizeDopamine(phi, 0), scale));
        Assert.That(combine.ToArray(), Is.EqualTo(Ops.Softmax(logits, -1).ToArray()).Within(1e-6));
        var token = Row(x, 0);
        double norm = Math.Sqrt(token.Sum(v => v * v)) + 1e-6;
        var unit = SoftMoe.L2NormalizeDopamine(x, 1);
        for (int i = 0; i < d; i++) Assert.That(unit.At(0, i), Is.EqualTo(token[i] / norm).Within(1e-6), "x/(‖x‖ + 1e-6)");
    }

    [Test]
    public void Combine_Normalized_IgnoresTheTokenScale()
    {
        var x = Uniform(3, 2, 6);
        var phi = Uniform(4, 6, 3);
        var scale = Tensor.Ones(new Shape(1));
        var a = PerSampleRouter.Combine(x, phi, scale, normalize: true).ToArray();
        var b = PerSampleRouter.Combine(Ops.Scale(x, 7f), phi, scale, normalize: true).ToArray();
        Assert.That(b, Is.EqualTo(a).Within(1e-5));
        var raw = PerSampleRouter.Combine(Ops.Scale(x, 7f), phi, scale, normalize: false).ToArray();
        Assert.That(raw, Is.Not.EqualTo(PerSampleRouter.Combine(x, phi, scale, normalize: false).ToArray()).Within(1e-3));
    }

    [Test]
    public void Mix_IsTheCombineWeightedSumOfExpertOutputs()
    {
        const int b = 2, n = 3;
        var outputs = Enumerable.Range(0, n).Select(e => Uniform(10 + (ulong)e, b, 2, 3, 4)).ToArray();
        var combine = Ops.Softmax(Uniform(5, b, n), 1);
        var y = PerSampleRouter.Mix(outputs, combine);
        Assert.That(y.Shape, Is.EqualTo(new Shape(b, 2, 3, 4)));
        int f = 2 * 3 * 4;
        var expected = new double[b * f];
        for (int o = 0; o < b; o++)
        {
            for (int e = 0; e < n; e++)
            {
                var z = outputs[e].ToArray();
                for (int i = 0; i < f; i++) expected[o * f + i] += combine.At(o, e) * z[o * f + i];
            }
        }
        MoeReference.AssertClose("mix", expected, y, 1e-5);
    }

    [Test]
    public void ExpertHeadFeatures_LayOutWeightedFeaturesThenWeights()
    {
        var h = new[] { Tensor.FromArray([1f, 2f], new Shape(1, 2)), Tensor.FromArray([3f, 4f], new Shape(1, 2)) };
        var c = Tensor.FromArray([0.25f, 0.75f], new Shape(1, 2));
        var features = PerSampleRouter.ExpertHeadFeatures(h, c);
        Assert.That(features.ToArray(), Is.EqualTo(new[] { 0.25f, 0.5f, 2.25f, 3f, 0.25f, 0.75f }));
    }

    [Test]
    public void Statistics_StackOneRowPerRouter()
    {
        var c1 = Tensor.FromArray([0.2f, 0.8f, 0.6f, 0.4f], new Shape(2, 2));
        var c2 = Tensor.FromArray([0.9f, 0.1f, 0.3f, 0.7f], new Shape(2, 2));
        var (probs, top) = PerSampleRouter.Statistics([c1, c2]);
        Assert.That(probs.Shape, Is.EqualTo(new Shape(2, 2, 2)));
        Assert.That(probs.ToArray(), Is.EqualTo(new[] { 0.2f, 0.8f, 0.9f, 0.1f, 0.6f, 0.4f, 0.3f, 0.7f }));
        Assert.That(top.ToArray(), Is.EqualTo(new[] { 1f, 0f, 0f, 1f }));
        Assert.That(probs.RequiresGrad, Is.False);
    }

    [Test]
    public void Errors_NameTheShapes()
    {
        var phi = Uniform(1, 5, 2);
        Assert.That(() => PerSampleRouter.Combine(Uniform(2, 3, 4), phi, Tensor.Ones(new Shape(1)), false),
                    Throws.ArgumentException.With.Message.Contains("[B, 5]").And.Message.Contains("[3, 4]"));
        Assert.That(() => PerSampleRouter.Mix([Uniform(3, 2, 4)], Uniform(4, 2, 3)),
                    Throws.ArgumentException.With.Message.Contains("[2, 3]").And.Message.Contains("n = 1"));
        Assert.That(() => PerSampleRouter.CreatePhi(0, 2, new Rng(0)), Throws.ArgumentException.With.Message.Contains("D=0"));
    }

    [Test]
    public void CreatePhi_IsLecunNormalWithFanInNTimesD()
    {
        // dopamine softmoe.py: flax lecun_normal on (d, n, p = 1) has fan_in = n·d.
        var phi = PerSampleRouter.CreatePhi(400, 8, new Rng(7));
        Assert.That(phi.Shape, Is.EqualTo(new Shape(400, 8)));
        double var = phi.ToArray().Average(v => (double)v * v);
        Assert.That(var, Is.EqualTo(1.0 / (8 * 400)).Within(0.1 / (8 * 400)));
    }
}
