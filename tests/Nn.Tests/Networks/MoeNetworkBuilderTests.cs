using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Networks;

public class MoeNetworkBuilderTests
{
    // P1 §4.1: SoftMoE-n penultimate block (Φ + experts + scalar), d = 32 Impala / 64 CNN, hidden 512.
    [TestCase(EncoderKind.Impala, 1, 37_185)]
    [TestCase(EncoderKind.Impala, 2, 70_529)]
    [TestCase(EncoderKind.Impala, 4, 137_217)]
    [TestCase(EncoderKind.Impala, 8, 270_593)]
    [TestCase(EncoderKind.NatureCnn, 1, 73_857)]
    [TestCase(EncoderKind.NatureCnn, 2, 140_033)]
    [TestCase(EncoderKind.NatureCnn, 4, 272_385)]
    [TestCase(EncoderKind.NatureCnn, 8, 537_089)]
    public void SoftMoe_PenultimateParameterCounts_MatchSection4_4(EncoderKind encoder, int n, long expected)
    {
        var net = NetworkBuilder.Build(NetworkConfig.SoftMoe(n) with { Encoder = encoder }, [84, 84, 4], 6, new Rng(0), new Rng(1));
        Assert.That(net.Torso, Is.TypeOf<MoeTorso>());
        Assert.That(net.Torso.ParameterCount, Is.EqualTo(expected));
        int md = encoder == EncoderKind.Impala ? 3872 : 7744;
        Assert.That(net.Head.ParameterCount, Is.EqualTo(md * 6L + 6), "the head reads the flattened m·d tokens");
    }

    [Test]
    public void AnchorNetwork_SoftMoeDqn_Has663859Parameters()
    {
        // TorchSharp anchor network: Nature CNN VALID, 49 PerConv tokens of 64, 8 experts × 1 slot, normalized.
        var cfg = NetworkConfig.SoftMoe(8) with
        {
            Encoder = EncoderKind.NatureCnn, EncoderPadding = EncoderPadding.Valid, SlotsPerExpert = 1, SoftMoeNormalize = true,
        };
        var net = NetworkBuilder.Build(cfg, [84, 84, 4], 18, new Rng(0), new Rng(1));
        Assert.That(net.ParameterCount, Is.EqualTo(663_859));
    }

    [Test]
    public void Top1LoadBalancing_ReportsAnAuxLoss_PlainTop1DoesNot()
    {
        var obs = Tensor.Uniform(new Shape(2, 10, 10, 4), 0f, 1f, new Rng(2));
        var plain = NetworkBuilder.Build(NetworkConfig.Top1Moe(2) with { Encoder = EncoderKind.MinAtar }, [10, 10, 4], 3, new Rng(0), new Rng(1));
        var balanced = NetworkBuilder.Build(NetworkConfig.Top1Moe(2) with { Encoder = EncoderKind.MinAtar, LoadBalancing = true }, [10, 10, 4], 3, new Rng(0), new Rng(1));
        Assert.That(plain.Forward(obs).Moe!.AuxLoss, Is.Null);
        var aux = balanced.Forward(obs).Moe!.AuxLoss;
        Assert.That(aux, Is.Not.Null);
        Assert.That(aux!.Item(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(() => NetworkBuilder.Build(NetworkConfig.SoftMoe(2) with { Encoder = EncoderKind.MinAtar, LoadBalancing = true }, [10, 10, 4], 3, new Rng(0), new Rng(1)),
                    Throws.ArgumentException.With.Message.Contains("Top-1 MoE option"));
    }

    private static IEnumerable<TestCaseData> MoeConfigs()
    {
        yield return new TestCaseData(NetworkConfig.SoftMoe(2), typeof(SoftMoe), 100 * 16).SetName("SoftMoe2");
        yield return new TestCaseData(NetworkConfig.ScaledSoftMoe1(2), typeof(SoftMoe), 100 * 16).SetName("ScaledSoftMoe1");
        yield return new TestCaseData(NetworkConfig.SoftMoeDividedHidden(4), typeof(SoftMoe), 100 * 16).SetName("SoftMoeDivided4");
        yield return new TestCaseData(NetworkConfig.SoftMoe(2) with { SlotFraction = 0.1, RandomPhi = true }, typeof(SoftMoe), 100 * 16).SetName("SoftMoeRandPhiFewSlots");
        yield return new TestCaseData(NetworkConfig.Top1Moe(2) with { Tokenization = Tokenization.PerFeat }, typeof(TopKMoe), 100 * 16).SetName("Top1PerFeat");
        yield return new TestCaseData(NetworkConfig.ExpertChoice(2), typeof(ExpertChoiceMoe), 100 * 16).SetName("ExpertChoice2");
        yield return new TestCaseData(NetworkConfig.SoftMoe(2) with { Tokenization = Tokenization.PerPatch }, typeof(SoftMoe), 9 * 64).SetName("SoftMoePerPatch");
        yield return new TestCaseData(NetworkConfig.SoftMoe(2) with { Tokenization = Tokenization.Shuffled }, typeof(SoftMoe), 100 * 16).SetName("SoftMoeShuffled");
        yield return new TestCaseData(NetworkConfig.SoftMoe(2) with { ExtraLinearLayer = true }, typeof(SoftMoe), 512).SetName("SoftMoeExtraLinear");
    }

    [TestCaseSource(nameof(MoeConfigs))]
    public void Build_MinAtar_MoeForwardGivesQ(NetworkConfig cfg, Type moeType, int features)
    {
        foreach (var head in new[] { HeadOptions.Dqn, HeadOptions.FullRainbow })
        {
            var net = NetworkBuilder.Build(cfg with { Encoder = EncoderKind.MinAtar, Head = head }, [10, 10, 4], 5, new Rng(0), new Rng(1));
            var torso = (MoeTorso)net.Torso;
            Assert.That(torso.Moe, Is.TypeOf(moeType));
            Assert.That(torso.Moe.NumExperts, Is.EqualTo(cfg.NumExperts));
            var o = net.Forward(Tensor.Uniform(new Shape(2, 10, 10, 4), 0f, 1f, new Rng(2)));
            Assert.That(o.Q.Shape.ToArray(), Is.EqualTo(new[] { 2, 5 }));
            Assert.That(o.Features.Shape.ToArray(), Is.EqualTo(new[] { 2, features }));
            Assert.That(o.Moe, Is.Not.Null);
            // NoisyNetwork: with a noisy head the experts' first layer is noisy.
            bool noisyExperts = torso.NamedParameters().Any(p => p.Key.Contains("sigma", StringComparison.Ordinal));
            Assert.That(noisyExperts, Is.EqualTo(head.Noisy));
        }
    }
}
