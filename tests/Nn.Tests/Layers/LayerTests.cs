using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Layers;

public class LayerTests
{
    [Test]
    public void Linear_ForwardMatchesHandComputed_AndGradChecks()
    {
        var lin = new Linear(2, 2, new Rng(0));
        lin.Weight.Span[0] = 1; lin.Weight.Span[1] = 2; lin.Weight.Span[2] = 3; lin.Weight.Span[3] = 4;
        lin.Bias!.Span[0] = 0.5f; lin.Bias.Span[1] = -1f;
        var y = lin.Forward(Tensor.FromArray([1f, 1f], new Shape(1, 2)));
        // [1,1]·[[1,2],[3,4]] + [0.5,-1] = [4.5, 5]
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 4.5f, 5f }).AsCollection);
        GradCheck.Check("linear", x => lin.Forward(x[0]), GradCheck.RandomInputs(1, [3, 2]));
        GradCheck.Check("linear-weight", w => Ops.Add(Ops.MatMul(Tensor.Ones(new Shape(3, 2)), w[0]), lin.Bias), [lin.Weight]);
    }

    [Test]
    public void Linear_WrongInput_NamesExpectation()
    {
        var lin = new Linear(4, 2, new Rng(0));
        Assert.That(() => lin.Forward(Tensor.Zeros(new Shape(3, 5))), Throws.ArgumentException.With.Message.Contains("4 features"));
    }

    [Test]
    public void XavierUniform_BoundAndVariance()
    {
        var t = Init.XavierUniform(new Shape(200, 300), 200, 300, new Rng(1)).ToArray();
        float bound = MathF.Sqrt(6f / 500);
        Assert.That(t, Has.All.InRange(-bound, bound));
        double var = t.Select(v => (double)v * v).Average();
        Assert.That(var, Is.EqualTo(2.0 / 500).Within(0.1 * 2.0 / 500));
    }

    [Test]
    public void LecunNormal_HasVarianceOneOverFanIn()
    {
        var t = Init.LecunNormal(new Shape(256, 256), 256, 256, new Rng(1)).ToArray();
        double var = t.Select(v => (double)v * v).Average();
        Assert.That(var, Is.EqualTo(1.0 / 256).Within(0.05 / 256));
        float limit = 2f * MathF.Sqrt(1f / 256) / 0.87962566f;
        Assert.That(t, Has.All.InRange(-limit, limit));
    }

    [Test]
    public void NoisyLinear_EvalIsDeterministic_TrainResamplesNoise()
    {
        var layer = new NoisyLinear(4, 3, new Rng(1), new Rng(2));
        var x = Tensor.Uniform(new Shape(2, 4), -1, 1, new Rng(3));
        layer.Eval();
        var e1 = layer.Forward(x).ToArray();
        var e2 = layer.Forward(x).ToArray();
        Assert.That(e2, Is.EqualTo(e1).AsCollection);
        layer.Train();
        var t1 = layer.Forward(x).ToArray();
        var t2 = layer.Forward(x).ToArray();
        Assert.That(t2, Is.Not.EqualTo(t1).AsCollection);
        Assert.That(layer.WeightSigma.ToArray(), Has.All.EqualTo(0.1f / 2f).Within(1e-7));
    }

    [Test]
    public void NoisyLinear_Gradients_MatchFiniteDifferences()
    {
        var layer = new NoisyLinear(3, 2, new Rng(1), new Rng(2));
        var state = layer.NoiseRng.SaveState();
        // Reset the noise stream before each evaluation so the finite differences see the same noise sample.
        Func<Tensor[], Tensor> f = x =>
        {
            layer.NoiseRng.RestoreState(state);
            return layer.Forward(x[0]);
        };
        GradCheck.Check("noisy-linear input", f, GradCheck.RandomInputs(4, [2, 3]));
        GradCheck.Check("noisy-linear sigma", w => { layer.NoiseRng.RestoreState(state); return layer.Forward(Tensor.Ones(new Shape(2, 3))); }, [layer.WeightSigma]);
    }

    [Test]
    public void LayerNorm_NormalizesAndGradChecks()
    {
        var ln = new LayerNorm(5);
        var x = GradCheck.RandomInputs(2, [3, 5])[0];
        var y = ln.Forward(x).ToArray();
        for (int r = 0; r < 3; r++)
        {
            var row = y.Skip(r * 5).Take(5).ToArray();
            Assert.That(row.Average(), Is.EqualTo(0).Within(1e-5));
        }
        GradCheck.Check("layernorm", t => ln.Forward(t[0]), [x], eps: 1e-3);
    }
}
