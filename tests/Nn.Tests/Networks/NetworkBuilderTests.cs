using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Networks;

public class NetworkBuilderTests
{
    private static readonly int[] Atari = [84, 84, 4];

    // P1 §4.1: baseline penultimate block Dense(h·w·d → 512·n) on the 11×11 encoder output.
    [TestCase(EncoderKind.Impala, 1, 1_982_976)]
    [TestCase(EncoderKind.Impala, 2, 3_965_952)]
    [TestCase(EncoderKind.Impala, 4, 7_931_904)]
    [TestCase(EncoderKind.Impala, 8, 15_863_808)]
    [TestCase(EncoderKind.NatureCnn, 1, 3_965_440)]
    [TestCase(EncoderKind.NatureCnn, 2, 7_930_880)]
    [TestCase(EncoderKind.NatureCnn, 4, 15_861_760)]
    [TestCase(EncoderKind.NatureCnn, 8, 31_723_520)]
    public void ScaledBaseline_PenultimateParameterCounts_MatchSection4_4(EncoderKind encoder, int n, long expected)
    {
        var net = NetworkBuilder.Build(NetworkConfig.ScaledBaseline(n) with { Encoder = encoder }, Atari, 6, new Rng(0), new Rng(1));
        Assert.That(net.Torso, Is.TypeOf<DenseTorso>());
        Assert.That(net.Torso.ParameterCount, Is.EqualTo(expected));
        Assert.That(net.Head.ParameterCount, Is.EqualTo(512L * n * 6 + 6), "DQN head reads 512·n features");
    }

    private static IEnumerable<TestCaseData> SmallConfigs()
    {
        yield return new TestCaseData(NetworkConfig.Baseline(), typeof(DenseTorso), 512).SetName("Baseline");
        yield return new TestCaseData(NetworkConfig.ScaledBaseline(2), typeof(DenseTorso), 1024).SetName("ScaledBaseline2");
        yield return new TestCaseData(NetworkConfig.TokenizedSum(2), typeof(TokenizedAggregationTorso), 1024).SetName("TokenizedSum2");
        yield return new TestCaseData(NetworkConfig.TokenizedAvg(1), typeof(TokenizedAggregationTorso), 512).SetName("TokenizedAvg1");
        yield return new TestCaseData(NetworkConfig.Gap(1), typeof(GlobalAveragePoolTorso), 512).SetName("Gap1");
    }

    [TestCaseSource(nameof(SmallConfigs))]
    public void Build_MinAtar_ForwardGivesQ(NetworkConfig cfg, Type torso, int features)
    {
        foreach (var head in new[] { HeadOptions.Dqn, HeadOptions.FullRainbow })
        {
            var net = NetworkBuilder.Build(cfg with { Encoder = EncoderKind.MinAtar, Head = head }, [10, 10, 4], 5, new Rng(0), new Rng(1));
            Assert.That(net.Torso, Is.TypeOf(torso));
            Assert.That(net.Torso.OutputFeatures(new Shape(1, 10, 10, 16)), Is.EqualTo(features));
            var o = net.Forward(Tensor.Uniform(new Shape(2, 10, 10, 4), 0f, 1f, new Rng(2)));
            Assert.That(o.Q.Shape.ToArray(), Is.EqualTo(new[] { 2, 5 }));
            Assert.That(o.Features.Shape.ToArray(), Is.EqualTo(new[] { 2, features }));
            // NoisyNetwork: a noisy head makes the penultimate layer noisy as well.
            bool torsoNoisy = net.Torso.NamedParameters().Any(p => p.Key.EndsWith("weight_sigma", StringComparison.Ordinal));
            Assert.That(torsoNoisy, Is.EqualTo(head.Noisy));
        }
    }

    // Issue 16.5: the MinAtar literature's dense widths — none (Revisiting Rainbow), 128 (the MinAtar paper), 512 (P1).
    [TestCase(0, 10 * 10 * 16, 0)]
    [TestCase(128, 128, 1600 * 128 + 128)]
    [TestCase(512, 512, 1600 * 512 + 512)]
    public void Build_MinAtarDenseWidth_SetsTheHiddenLayer(int width, int features, long torsoParameters)
    {
        var cfg = NetworkConfig.Baseline() with { Encoder = EncoderKind.MinAtar, DenseWidth = width };
        var net = NetworkBuilder.Build(cfg, [10, 10, 4], 5, new Rng(0), new Rng(1));
        Assert.That(net.Torso.ParameterCount, Is.EqualTo(torsoParameters));
        Assert.That(net.Head.ParameterCount, Is.EqualTo(features * 5L + 5), "the head reads the torso's features");
        var o = net.Forward(Tensor.Uniform(new Shape(2, 10, 10, 4), 0f, 1f, new Rng(2)));
        Assert.That(o.Q.Shape.ToArray(), Is.EqualTo(new[] { 2, 5 }));
        Assert.That(o.Features.Shape.ToArray(), Is.EqualTo(new[] { 2, features }));
    }

    [Test]
    public void DenseWidth_AppliesToDenseTorsosOnly_AndZeroToTheBaselineOnly()
    {
        Assert.That(() => (NetworkConfig.SoftMoe(2) with { DenseWidth = 128 }).Validate(),
                    Throws.ArgumentException.With.Message.Contains("DenseWidth = 128").And.Message.Contains("ExpertHidden"));
        Assert.That(() => (NetworkConfig.Gap(1) with { DenseWidth = 0 }).Validate(),
                    Throws.ArgumentException.With.Message.Contains("Baseline torso only"));
        Assert.That((NetworkConfig.TokenizedSum(2) with { DenseWidth = 128 }).PenultimateWidth, Is.EqualTo(256));
    }

    [Test]
    public void Build_IsDeterministicInTheInitRng()
    {
        var cfg = NetworkConfig.TokenizedAvg(1) with { Encoder = EncoderKind.MinAtar, Head = HeadOptions.FullRainbow };
        var a = NetworkBuilder.Build(cfg, [10, 10, 4], 3, new Rng(7), new Rng(1)).StateDict();
        var b = NetworkBuilder.Build(cfg, [10, 10, 4], 3, new Rng(7), new Rng(2)).StateDict();
        var c = NetworkBuilder.Build(cfg, [10, 10, 4], 3, new Rng(8), new Rng(1)).StateDict();
        Assert.That(b.Keys, Is.EqualTo(a.Keys));
        foreach (var (name, t) in a) Assert.That(b[name].ToArray(), Is.EqualTo(t.ToArray()), name);
        Assert.That(c["encoder.conv1.weight"].ToArray(), Is.Not.EqualTo(a["encoder.conv1.weight"].ToArray()));
    }

    [Test]
    public void Presets_NameThePaperVariants()
    {
        Assert.That(NetworkConfig.ScaledSoftMoe1(4), Is.EqualTo(new NetworkConfig { Torso = TorsoKind.SoftMoe, NumExperts = 1, ExpertHidden = 2048 }));
        Assert.That(NetworkConfig.SoftMoeDividedHidden(4).ExpertHidden, Is.EqualTo(128));
        Assert.That(NetworkConfig.SoftMoe(8).NumExperts, Is.EqualTo(8));
        Assert.That(NetworkConfig.Top1Moe(2).Torso, Is.EqualTo(TorsoKind.Top1Moe));
        Assert.That(NetworkConfig.ExpertChoice(2).Torso, Is.EqualTo(TorsoKind.ExpertChoice));
        Assert.That(NetworkConfig.TokenizedSum(4).PenultimateWidth, Is.EqualTo(2048));
        Assert.That(NetworkConfig.SoftMoeBig(2).Tokenization, Is.EqualTo(Tokenization.PerSamp));
        Assert.That(NetworkConfig.SoftMoeAll(4, normalize: true), Is.EqualTo(NetworkConfig.SoftMoe(4) with
        {
            ExpertVariant = ExpertVariant.All, Tokenization = Tokenization.PerSamp, SoftMoeNormalize = true,
        }));
        Assert.That(NetworkConfig.ScaledBaseline(4).IsMoe, Is.False);
    }

    [Test]
    public void Validation_NamesFieldAndFix()
    {
        static void Bad(NetworkConfig c, string fragment) =>
            Assert.That(() => NetworkBuilder.Build(c, [10, 10, 4], 3, new Rng(0), new Rng(1)),
                        Throws.ArgumentException.With.Message.Contains(fragment), fragment);
        var minatar = new NetworkConfig { Encoder = EncoderKind.MinAtar };
        Bad(minatar with { NumExperts = 4 }, "WidthMultiplier instead");
        Bad(minatar with { WidthMultiplier = 0 }, "WidthMultiplier must be >= 1");
        Bad(NetworkConfig.SoftMoe(2) with { Encoder = EncoderKind.MinAtar, SlotsPerExpert = 2, SlotFraction = 0.1 }, "exclusive");
        Bad(NetworkConfig.SoftMoe(2) with { WidthMultiplier = 2 }, "WidthMultiplier = 2");
        Bad(NetworkConfig.Top1Moe(2) with { RandomPhi = true }, "Soft MoE options");
        Bad(new NetworkConfig { EncoderPadding = EncoderPadding.Valid }, "Impala encoder is always SAME");
        Bad(minatar with { Tokenization = Tokenization.PerFeat }, "only to MoE torsos");
        Bad(NetworkConfig.SoftMoeDividedHidden(1024), "ExpertHidden must be >= 1");
        Bad(NetworkConfig.SoftMoeBig(2) with { Tokenization = Tokenization.PerConv }, "PerSamp");
        Bad(NetworkConfig.SoftMoeAll(2) with { Tokenization = Tokenization.PerConv }, "PerSamp tokens of each layer's input");
        Bad(NetworkConfig.SoftMoeAll(2) with { SlotsPerExpert = 2 }, "All expert variant routes one PerSamp token");
        Bad(NetworkConfig.SoftMoeAll(2) with { CapacityFactor = 2 }, "CapacityFactor = 2 does not apply to the All expert variant");
        Bad(NetworkConfig.SoftMoeAll(2) with { Torso = TorsoKind.Top1Moe }, "ExpertVariant All is defined for Soft MoE only");
        Bad(NetworkConfig.Baseline() with { ExpertVariant = ExpertVariant.All }, "ExpertVariant All needs Torso = SoftMoe");
        Assert.That(() => NetworkBuilder.Build(minatar, [10, 10], 3, new Rng(0), new Rng(1)), Throws.ArgumentException.With.Message.Contains("[H, W, C]"));
        Assert.That(() => NetworkBuilder.Build(minatar, [10, 10, 4], 0, new Rng(0), new Rng(1)), Throws.ArgumentException.With.Message.Contains("actions"));
    }

    [Test]
    public void AllExpertVariant_Builds_FromThePresetOrTheFields()
    {
        var cfg = NetworkConfig.SoftMoe(2) with { ExpertVariant = ExpertVariant.All, Tokenization = Tokenization.PerSamp };
        Assert.That(cfg, Is.EqualTo(NetworkConfig.SoftMoeAll(2)));
        var net = NetworkBuilder.Build(cfg with { Encoder = EncoderKind.MinAtar }, [10, 10, 4], 3, new Rng(0), new Rng(1));
        Assert.That(net.Torso, Is.TypeOf<AllExpertTorso>());
        Assert.That(net.Forward(Tensor.Zeros(new Shape(1, 10, 10, 4))).Q.Shape, Is.EqualTo(new Shape(1, 3)));
    }

    [Test]
    public void BigExperts_Dqn_OwnFinalLayer_Rainbow_Shared()
    {
        var obs = Tensor.Uniform(new Shape(2, 10, 10, 3), 0f, 1f, new Rng(4));
        var dqn = NetworkBuilder.Build(NetworkConfig.SoftMoeBig(3) with { Encoder = EncoderKind.MinAtar }, [10, 10, 3], 4, new Rng(0), new Rng(1));
        var big = (BigExpertTorso)dqn.Torso;
        Assert.That(big.OwnFinalLayer, Is.True);
        Assert.That(big.NumExperts, Is.EqualTo(3));
        Assert.That(big.Phi.Shape.ToArray(), Is.EqualTo(new[] { 300, 3 }));
        var o = dqn.Forward(obs);
        Assert.That(o.Features.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 * 512 + 3 }));
        Assert.That(o.Q.Shape.ToArray(), Is.EqualTo(new[] { 2, 4 }));
        // Each expert has its own encoder: 3 × (MinAtar conv + Dense(1600 → 512)) + Φ + scale.
        long expert = (3 * 3 * 3 * 16 + 16) + (1600L * 512 + 512);
        Assert.That(big.ParameterCount, Is.EqualTo(3 * expert + 300 * 3 + 1));
        var probs = o.Moe!.RouterProbabilities;
        Assert.That(probs.Shape.ToArray(), Is.EqualTo(new[] { 2, 1, 3 }));
        for (int b = 0; b < 2; b++) Assert.That(probs.At(b, 0, 0) + probs.At(b, 0, 1) + probs.At(b, 0, 2), Is.EqualTo(1f).Within(1e-5));

        var rainbow = NetworkBuilder.Build(NetworkConfig.SoftMoeBig(2, normalize: true) with { Encoder = EncoderKind.MinAtar, Head = HeadOptions.FullRainbow },
                                           [10, 10, 3], 4, new Rng(0), new Rng(1));
        Assert.That(((BigExpertTorso)rainbow.Torso).OwnFinalLayer, Is.False);
        var r = rainbow.Forward(obs);
        Assert.That(r.Features.Shape.ToArray(), Is.EqualTo(new[] { 2, 512 }));
        Assert.That(r.Logits!.Shape.ToArray(), Is.EqualTo(new[] { 2, 4, 51 }));
        Assert.That(rainbow.Torso.NamedParameters().Any(p => p.Key == "expert1.dense.weight_sigma"), Is.True, "experts' dense is noisy");
    }

    [Test]
    public void BigExperts_OwnFinalLayerFeatures_GiveMixtureOfPerExpertHeads()
    {
        // Σ_e c_e (W_e h_e + β_e) + b: with the head's weight split into blocks, the DQN Q equals the mixture.
        var net = NetworkBuilder.Build(NetworkConfig.SoftMoeBig(2) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 3 }, [3, 3, 1], 2, new Rng(0), new Rng(1));
        var obs = Tensor.Uniform(new Shape(1, 3, 3, 1), 0f, 1f, new Rng(2));
        var o = net.Forward(obs);
        var torso = (BigExpertTorso)net.Torso;
        var head = (Linear)net.Head.NamedChildren().Single().Value;
        var c = o.Moe!.RouterProbabilities;
        for (int a = 0; a < 2; a++)
        {
            double q = head.Bias!.At(a);
            for (int e = 0; e < 2; e++)
            {
                var h = torso.NamedChildren().Single(k => k.Key == $"expert{e}").Value is BigExpert be ? be.Forward(obs) : throw new InvalidOperationException();
                double perExpert = head.Weight.At(6 + e, a);
                for (int j = 0; j < 3; j++) perExpert += head.Weight.At(e * 3 + j, a) * h.At(0, j);
                q += c.At(0, 0, e) * perExpert;
            }
            Assert.That(o.Q.At(0, a), Is.EqualTo(q).Within(1e-5));
        }
    }

    [Test]
    public void BigExperts_Gradients_MatchFiniteDifferences()
    {
        var net = NetworkBuilder.Build(NetworkConfig.SoftMoeBig(2, normalize: true) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 3 },
                                       [3, 3, 1], 2, new Rng(0), new Rng(1));
        var torso = (BigExpertTorso)net.Torso;
        GradCheck.Check("big experts input", x => torso.Forward(x[0]).Features, GradCheck.RandomInputs(5, [2, 3, 3, 1]));
        var obs = GradCheck.RandomInputs(6, [2, 3, 3, 1])[0];
        GradCheck.Check("big experts router", _ => torso.Forward(obs).Features, [torso.Phi, torso.Scale]);
    }
}
