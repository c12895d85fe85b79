using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Moe;

public class MoeLayerTests
{
    private static IEnumerable<TestCaseData> Layers()
    {
        yield return new TestCaseData(new SoftMoe(3, 4, new SoftMoeOptions(2, ExpertHidden: 5), new Rng(0)),
                                      new[] { "phi", "scale" }).SetArgDisplayNames("SoftMoe");
        yield return new TestCaseData(new TopKMoe(3, 4, new TopKMoeOptions(2, ExpertHidden: 5), new Rng(0)),
                                      new[] { "router.weight" }).SetArgDisplayNames("TopKMoe");
        yield return new TestCaseData(new ExpertChoiceMoe(3, 4, new ExpertChoiceOptions(2, ExpertHidden: 5), new Rng(0)),
                                      new[] { "router.weight" }).SetArgDisplayNames("ExpertChoiceMoe");
    }

    [TestCaseSource(nameof(Layers))]
    public void CheckpointKeys_AndInterface(MoeLayer layer, string[] routerKeys)
    {
        string[] expertKeys = ["experts.fc1.weight", "experts.fc1.bias", "experts.fc2.weight", "experts.fc2.bias"];
        Assert.That(layer.StateDict().Keys, Is.EqualTo(routerKeys.Concat(expertKeys)));
        IMoeLayer moe = layer;
        Assert.That(moe.NumExperts, Is.EqualTo(2));
        Assert.That(moe.Experts.NumExperts, Is.EqualTo(2));
        var y = moe.Forward(Tensor.Uniform(new Shape(2, 4, 3), -1, 1, new Rng(1)));
        Assert.That(y.Values.Shape, Is.EqualTo(new Shape(2, 4, 3)));
        Assert.That(y.RouterProbabilities.Shape, Is.EqualTo(new Shape(2, 4, 2)));
        Assert.That(y.TopExperts.Shape, Is.EqualTo(new Shape(2, 4)));
        layer.Eval();
        Assert.That(moe.Experts.Training, Is.False, "Eval reaches the experts (noise off)");
    }
}
