using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Moe;

public class PerSampleSoftMoeTests
{
    private static readonly Shape Input = new(1, 4, 4, 2);

    /// <summary>n copies of a 3×3 stride-2 SAME conv 2 → 3 channels on 4×4×2 inputs (output 2×2×3).</summary>
    private static PerSampleSoftMoe ConvMoe(int n, bool normalize = false, ulong seed = 0)
    {
        var rng = new Rng(seed);
        var experts = Enumerable.Range(0, n).Select(_ => (Layer)new Conv2d(2, 3, 3, 2, Padding.Same, rng)).ToArray();
        return new PerSampleSoftMoe(experts, Input, normalize, rng);
    }

    private static Tensor Observations(int b, ulong seed) => Tensor.Uniform(new Shape(b, 4, 4, 2), -1f, 1f, new Rng(seed));

    [TestCase(false)]
    [TestCase(true)]
    public void Forward_IsTheCombineWeightedSumOfTheCopies(bool normalize)
    {
        var moe = ConvMoe(3, normalize);
        moe.Scale.Span[0] = 1.5f;
        var x = Observations(2, 1);
        var (y, combine) = moe.ForwardWithCombine(x);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 2, 2, 3)));
        Assert.That(combine.Shape, Is.EqualTo(new Shape(2, 3)));
        Assert.That(Ops.Sum(combine, [1]).ToArray(), Has.All.EqualTo(1f).Within(1e-6), "combine weights sum to 1 per observation");
        GradCheck.AssertClose("router", PerSampleRouter.Combine(x.Flatten(1), moe.Phi, moe.Scale, normalize).ToArray(), combine.ToArray());
        var outs = moe.Experts.Select(e => e.Forward(x).ToArray()).ToArray();
        int f = 2 * 2 * 3;
        var expected = new double[2 * f];
        for (int o = 0; o < 2; o++)
        {
            for (int e = 0; e < 3; e++) for (int i = 0; i < f; i++) expected[o * f + i] += combine.At(o, e) * outs[e][o * f + i];
        }
        MoeReference.AssertClose("per-sample soft moe", expected, y, 1e-5);
    }

    [Test]
    public void SingleExpert_IsThePlainLayer()
    {
        // n = 1: softmax over one slot is 1, so the layer is its only copy (the baseline layer).
        var moe = ConvMoe(1);
        var x = Observations(3, 2);
        Assert.That(moe.Forward(x).ToArray(), Is.EqualTo(moe.Experts[0].Forward(x).ToArray()));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Gradients_MatchFiniteDifferences(bool normalize)
    {
        var moe = ConvMoe(2, normalize, seed: 3);
        moe.Scale.Span[0] = 1.3f;
        GradCheck.Check("per-sample soft moe input", x => moe.Forward(x[0]), [Observations(2, 4)]);
        var obs = Observations(2, 5);
        var conv = (Conv2d)moe.Experts[1];
        Tensor[] parameters = normalize ? [moe.Phi, moe.Scale, conv.Weight, conv.Bias!] : [moe.Phi, conv.Weight, conv.Bias!];
        GradCheck.Check("per-sample soft moe parameters", _ => moe.Forward(obs), parameters);
    }

    [Test]
    public void DenseCopies_RouteTheWholeVector()
    {
        var rng = new Rng(6);
        var moe = new PerSampleSoftMoe([new Linear(5, 4, rng), new Linear(5, 4, rng)], new Shape(1, 5), false, rng);
        var x = Tensor.Uniform(new Shape(3, 5), -1f, 1f, new Rng(7));
        Assert.That(moe.TokenDim, Is.EqualTo(5));
        Assert.That(moe.Forward(x).Shape, Is.EqualTo(new Shape(3, 4)));
        GradCheck.Check("per-sample soft moe dense", t => moe.Forward(t[0]), [x]);
    }

    [Test]
    public void Parameters_AreCopiesPlusPhiAndScale_WithStableNames()
    {
        // D = 4·4·2 = 32 token dims; each copy 3·3·2·3 + 3; Φ [32, n]; scale [1] (dopamine softmoe.py).
        const int n = 3;
        var moe = ConvMoe(n);
        Assert.That(moe.TokenDim, Is.EqualTo(32));
        Assert.That(moe.Phi.Shape, Is.EqualTo(new Shape(32, n)));
        Assert.That(moe.ParameterCount, Is.EqualTo(n * (3 * 3 * 2 * 3 + 3) + 32 * n + 1));
        Assert.That(moe.NamedParameters().Select(p => p.Key),
                    Is.EqualTo(new[] { "phi", "scale", "expert0.weight", "expert0.bias", "expert1.weight", "expert1.bias", "expert2.weight", "expert2.bias" }));
    }

    [Test]
    public void Forward_RecordsCombineForTheOwnerToTake()
    {
        var moe = ConvMoe(2);
        Assert.That(moe.LastCombine, Is.Null);
        moe.Forward(Observations(2, 8));
        var taken = moe.TakeLastCombine();
        Assert.That(taken!.Shape, Is.EqualTo(new Shape(2, 2)));
        Assert.That(taken.RequiresGrad, Is.False);
        Assert.That(moe.LastCombine, Is.Null, "taking clears it");
    }

    [Test]
    public void Errors_NameTheShapes()
    {
        var rng = new Rng(0);
        Assert.That(() => new PerSampleSoftMoe([new Conv2d(2, 3, 3, 1, Padding.Same, rng), new Conv2d(2, 3, 3, 2, Padding.Same, rng)], Input, false, rng),
                    Throws.ArgumentException.With.Message.Contains("[1, 4, 4, 3]").And.Message.Contains("[1, 2, 2, 3]"));
        Assert.That(() => new PerSampleSoftMoe([], Input, false, rng), Throws.ArgumentException.With.Message.Contains("at least one expert"));
        Assert.That(() => ConvMoe(2).Forward(Tensor.Zeros(new Shape(1, 5, 5, 2))),
                    Throws.ArgumentException.With.Message.Contains("[1, 4, 4, 2]").And.Message.Contains("[1, 5, 5, 2]"));
    }
}
