using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests;

public class ModuleTests
{
    private sealed class TwoLayer : Layer
    {
        public TwoLayer(Rng rng)
        {
            Fc1 = RegisterModule("fc1", new Linear(3, 4, rng));
            Fc2 = RegisterModule("fc2", new Linear(4, 2, rng, bias: false));
        }

        public Linear Fc1 { get; }

        public Linear Fc2 { get; }

        public override Tensor Forward(Tensor x) => Fc2.Forward(Ops.Relu(Fc1.Forward(x)));

        public override Shape OutputShape(Shape input) => Fc2.OutputShape(Fc1.OutputShape(input));
    }

    [Test]
    public void NamedParameters_AreDottedAndStable()
    {
        var m = new TwoLayer(new Rng(1));
        Assert.That(m.NamedParameters().Select(p => p.Key), Is.EqualTo(new[] { "fc1.weight", "fc1.bias", "fc2.weight" }).AsCollection);
        Assert.That(m.ParameterCount, Is.EqualTo(3 * 4 + 4 + 4 * 2));
    }

    [Test]
    public void CopyWeightsInto_MakesOutputsEqual()
    {
        var a = new TwoLayer(new Rng(1));
        var b = new TwoLayer(new Rng(2));
        var x = Tensor.Uniform(new Shape(5, 3), -1, 1, new Rng(3));
        Assert.That(b.Forward(x).ToArray(), Is.Not.EqualTo(a.Forward(x).ToArray()).AsCollection);
        a.CopyWeightsInto(b);
        Assert.That(b.Forward(x).ToArray(), Is.EqualTo(a.Forward(x).ToArray()).AsCollection);
    }

    [Test]
    public void LoadStateDict_ShapeMismatch_NamesParameter()
    {
        var a = new TwoLayer(new Rng(1));
        var state = a.StateDict();
        state["fc1.bias"] = Tensor.Zeros(new Shape(5));
        Assert.That(() => a.LoadStateDict(state), Throws.ArgumentException.With.Message.Contains("fc1.bias").And.Message.Contains("[5]"));
    }

    [Test]
    public void ZeroGrad_ClearsAccumulatedGradients()
    {
        var m = new TwoLayer(new Rng(1));
        var x = Tensor.Uniform(new Shape(5, 3), -1, 1, new Rng(3));
        Ops.Sum(m.Forward(x)).Backward();
        Assert.That(m.Fc2.Weight.Grad!.ToArray(), Has.Some.Not.EqualTo(0f));
        m.ZeroGrad();
        Assert.That(m.Fc2.Weight.Grad!.ToArray(), Has.All.EqualTo(0f));
    }

    [Test]
    public void Parameters_CreatedInsideScope_Survive()
    {
        TwoLayer m;
        using (TensorScope.Begin()) m = new TwoLayer(new Rng(1));
        Assert.That(() => m.Fc1.Weight.ToArray(), Throws.Nothing);
    }
}
