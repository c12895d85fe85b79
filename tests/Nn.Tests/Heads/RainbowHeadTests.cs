using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Heads;

public class RainbowHeadTests
{
    private static IEnumerable<TestCaseData> Kinds()
    {
        yield return new TestCaseData(HeadOptions.Dqn).SetName("Dqn");
        yield return new TestCaseData(new HeadOptions(Atoms: 5, VMax: 2f)).SetName("C51");
        yield return new TestCaseData(new HeadOptions(Atoms: 1, Dueling: true)).SetName("Dueling");
        yield return new TestCaseData(new HeadOptions(Atoms: 5, VMax: 2f, Dueling: true)).SetName("DuelingC51");
        yield return new TestCaseData(new HeadOptions(Atoms: 5, VMax: 2f, Dueling: true, Noisy: true)).SetName("NoisyDuelingC51");
        yield return new TestCaseData(new HeadOptions(Atoms: 1, Noisy: true)).SetName("NoisyDqn");
    }

    [TestCaseSource(nameof(Kinds))]
    public void Gradients_MatchFiniteDifferences(HeadOptions options)
    {
        var noise = new Rng(2);
        var head = new RainbowHead(4, 3, options, new Rng(1), noise);
        var state = noise.SaveState();
        // Noisy heads resample on every forward; restoring the stream fixes the noise state for the differences.
        Tensor Run(Tensor f, bool logits)
        {
            noise.RestoreState(state);
            var o = head.Forward(f);
            return logits && o.Logits is not null ? o.Logits : o.Q;
        }
        GradCheck.Check($"head Q {options}", x => Run(x[0], false), GradCheck.RandomInputs(3, [2, 4]));
        GradCheck.Check($"head logits {options}", x => Run(x[0], true), GradCheck.RandomInputs(4, [2, 4]));
        var feats = GradCheck.RandomInputs(5, [2, 4])[0];
        var p = head.Parameters().ToArray();
        GradCheck.Check($"head params {options}", _ => Run(feats, false), p);
    }

    [Test]
    public void C51_QIsSupportWeightedProbabilities_AndDuelingIsCentred()
    {
        var head = new RainbowHead(4, 3, new HeadOptions(Atoms: 5, VMax: 2f, Dueling: true), new Rng(1));
        var f = GradCheck.RandomInputs(6, [2, 4])[0];
        var o = head.Forward(f);
        Assert.That(head.Support!.ToArray(), Is.EqualTo(new[] { -2f, -1f, 0f, 1f, 2f }).AsCollection);
        for (int b = 0; b < 2; b++)
        for (int a = 0; a < 3; a++)
        {
            double q = 0, psum = 0;
            for (int z = 0; z < 5; z++) { q += o.Probabilities!.At(b, a, z) * (z - 2); psum += o.Probabilities.At(b, a, z); }
            Assert.That(psum, Is.EqualTo(1).Within(1e-5));
            Assert.That(o.Q.At(b, a), Is.EqualTo(q).Within(1e-5));
        }
        // logits = V + (Adv − mean Adv): the mean over actions of the logits equals V.
        var value = ((Linear)head.NamedChildren().Single(c => c.Key == "value").Value).Forward(f);
        for (int b = 0; b < 2; b++)
        for (int z = 0; z < 5; z++)
        {
            double mean = Enumerable.Range(0, 3).Average(a => o.Logits!.At(b, a, z));
            Assert.That(mean, Is.EqualTo(value.At(b, z)).Within(1e-5));
        }
    }
}
