using MoeScratch.Nn.Optim;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Optim;

public class OptimizerTests
{
    private static (Tensor p, KeyValuePair<string, Tensor>[] named) Param(float value, float grad)
    {
        var p = Tensor.FromArray([value]);
        p.RequiresGrad = true;
        p.Grad = Tensor.FromArray([grad]);
        return (p, [new("w", p)]);
    }

    [Test]
    public void Adam_TwoSteps_MatchHandComputed()
    {
        var (p, named) = Param(1f, 0.5f);
        var adam = new Adam(named, learningRate: 0.1f, beta1: 0.9f, beta2: 0.999f, eps: 1e-8f);
        adam.Step();
        // t=1: m=0.05, v=0.00025, m̂=0.5, v̂=0.25 → p = 1 − 0.1·0.5/(0.5+1e-8) = 0.9
        Assert.That(p.Item(), Is.EqualTo(0.9f).Within(1e-6));
        p.Grad = Tensor.FromArray([-1f]);
        adam.Step();
        // t=2: m=0.045−0.1=−0.055, v=0.00024975+0.001=0.00124975; m̂=−0.055/0.19, v̂=0.00124975/0.001999
        double mh = -0.055 / 0.19, vh = 0.00124975 / (1 - 0.999 * 0.999);
        Assert.That(p.Item(), Is.EqualTo(0.9 - 0.1 * mh / (Math.Sqrt(vh) + 1e-8)).Within(1e-6));
    }

    [Test]
    public void RmsProp_CenteredTensorFlowEps_MatchesHandComputed()
    {
        var (p, named) = Param(1f, 2f);
        var opt = new RmsProp(named, learningRate: 0.01f, rho: 0.9f, eps: 0.1f, centered: true, epsInsideSqrt: true);
        opt.Step();
        // v = 0.1·4 = 0.4; a = 0.1·2 = 0.2; denom = √(0.4 − 0.04 + 0.1) = √0.46
        Assert.That(p.Item(), Is.EqualTo(1 - 0.01 * 2 / Math.Sqrt(0.46)).Within(1e-6));
    }

    [Test]
    public void Sgd_Momentum_MatchesHandComputed()
    {
        var (p, named) = Param(1f, 1f);
        var opt = new Sgd(named, learningRate: 0.1f, momentum: 0.9f);
        opt.Step();
        opt.Step();
        // buf1 = 1, p = 0.9; buf2 = 1.9, p = 0.71
        Assert.That(p.Item(), Is.EqualTo(0.71f).Within(1e-6));
    }

    [Test]
    public void ClipGradNorm_ScalesToMaxNorm()
    {
        var a = Tensor.FromArray([0f]);
        a.RequiresGrad = true;
        a.Grad = Tensor.FromArray([3f]);
        var b = Tensor.FromArray([0f, 0f]);
        b.RequiresGrad = true;
        b.Grad = Tensor.FromArray([0f, 4f]);
        var opt = new Sgd([new("a", a), new("b", b)], 1f);
        float norm = opt.ClipGradNorm(1f);
        Assert.That(norm, Is.EqualTo(5f).Within(1e-6));
        Assert.That(a.Grad!.Item(), Is.EqualTo(0.6f).Within(1e-6));
        Assert.That(b.Grad!.At(1), Is.EqualTo(0.8f).Within(1e-6));
    }

    [Test]
    public void Adam_StateDictRoundTrip_ContinuesIdentically()
    {
        var (p1, n1) = Param(1f, 0.5f);
        var (p2, n2) = Param(1f, 0.5f);
        var a1 = new Adam(n1, 0.1f);
        a1.Step();
        var a2 = new Adam(n2, 0.1f);
        p2.Span[0] = p1.Span[0];
        a2.LoadStateDict(a1.StateDict(), a1.StepCount);
        a1.Step();
        a2.Step();
        Assert.That(p2.Item(), Is.EqualTo(p1.Item()));
    }

    [Test]
    public void Adam_BadLearningRate_Throws()
    {
        var (_, named) = Param(1f, 1f);
        Assert.That(() => new Adam(named, -1f), Throws.ArgumentException.With.Message.Contains("learning rate"));
    }
}
