using System.Text.Json;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Agents;

namespace MoeScratch.Rl.Tests.Agents;

public class AgentConfigTests
{
    private static IEnumerable<TestCaseData> AllPresets()
    {
        yield return new TestCaseData(AgentConfig.Dqn).SetName("Preset_Dqn");
        yield return new TestCaseData(AgentConfig.RainbowLite).SetName("Preset_RainbowLite");
        yield return new TestCaseData(AgentConfig.FullRainbow).SetName("Preset_FullRainbow");
        yield return new TestCaseData(AgentConfig.Der).SetName("Preset_Der");
        yield return new TestCaseData(AgentConfig.DrqEpsilon).SetName("Preset_DrqEpsilon");
        yield return new TestCaseData(AgentConfig.Cql).SetName("Preset_Cql");
        yield return new TestCaseData(AgentConfig.CqlC51).SetName("Preset_CqlC51");
        yield return new TestCaseData(AgentConfig.MinAtarDqn).SetName("Preset_MinAtarDqn");
        yield return new TestCaseData(AgentConfig.MinAtarRainbow).SetName("Preset_MinAtarRainbow");
    }

    [TestCaseSource(nameof(AllPresets))]
    public void Presets_Validate(AgentConfig preset) => Assert.DoesNotThrow(preset.Validate);

    [Test]
    public void Dqn_MatchesPaperTable2()
    {
        var c = AgentConfig.Dqn;
        Assert.That((c.LearningRate, c.AdamEpsilon, c.BatchSize, c.Gamma, c.UpdateHorizon),
                    Is.EqualTo((6.25e-5f, 1.5e-4f, 32, 0.99f, 1)));
        Assert.That((c.MinReplayHistory, c.UpdatePeriod, c.TargetUpdatePeriod, c.EpsilonDecayPeriod, c.ReplayCapacity),
                    Is.EqualTo((20_000, 4, 8_000, 250_000, 1_000_000)));
        Assert.That((c.EpsilonTrain, c.EpsilonEval, c.Loss, c.Prioritized, c.DoubleDqn),
                    Is.EqualTo((0.01, 0.001, TdLossKind.Mse, false, false)));
        Assert.That(c.Head, Is.EqualTo(HeadOptions.Dqn));
    }

    [Test]
    public void RainbowVariants_DifferAsPapersSection5Says()
    {
        var lite = AgentConfig.RainbowLite;
        Assert.That((lite.UpdateHorizon, lite.Head.Atoms, lite.Head.VMax, lite.Prioritized, lite.DoubleDqn, lite.Head.Noisy, lite.Head.Dueling),
                    Is.EqualTo((3, 51, 10f, true, false, false, false)));
        var full = AgentConfig.FullRainbow;
        Assert.That((full.DoubleDqn, full.Head.Noisy, full.Head.Dueling), Is.EqualTo((true, true, true)));
        var der = AgentConfig.Der;
        Assert.That((der.UpdateHorizon, der.MinReplayHistory, der.UpdatePeriod, der.TargetUpdatePeriod, der.LearningRate),
                    Is.EqualTo((10, 1_600, 1, 2_000, 1e-4f)));
        var drq = AgentConfig.DrqEpsilon;
        Assert.That((drq.Head.Atoms, drq.Head.Dueling, drq.Augmentation, drq.Loss, drq.TargetUpdatePeriod, drq.EpsilonDecayPeriod, drq.Prioritized),
                    Is.EqualTo((1, true, true, TdLossKind.Huber, 1, 5_000, false)));
    }

    [Test]
    public void OfflineAndMinAtarPresets()
    {
        var cql = AgentConfig.Cql;
        Assert.That((cql.LearningRate, cql.AdamEpsilon, cql.CqlCoefficient, cql.TdCoefficient, cql.Loss, cql.ReplayCapacity),
                    Is.EqualTo((5e-5f, 3.125e-4f, 0.1f, 1f, TdLossKind.Huber, 2_500_000)));
        var c51 = AgentConfig.CqlC51;
        Assert.That((c51.UpdateHorizon, c51.Head.Atoms, c51.Head.Dueling, c51.DoubleDqn, c51.CqlCoefficient, c51.Prioritized),
                    Is.EqualTo((3, 51, true, true, 0.1f, false)));
        var m = AgentConfig.MinAtarDqn;
        Assert.That((m.StackSize, m.MinReplayHistory, m.TargetUpdatePeriod, m.ReplayCapacity, m.LearningRate, m.AdamEpsilon),
                    Is.EqualTo((1, 1_000, 1_000, 100_000, 2.5e-4f, 3.125e-4f)));
        var r = AgentConfig.MinAtarRainbow;
        Assert.That((r.LearningRate, r.UpdateHorizon, r.Head.VMax, r.Head.Noisy, r.Head.Dueling, r.DoubleDqn, r.Prioritized),
                    Is.EqualTo((1e-4f, 3, 100f, true, true, true, true)));
    }

    [Test]
    public void With_CombinesPresetsAndOverrides()
    {
        var c = AgentConfig.Der with { LearningRate = 3e-4f };
        Assert.That((c.LearningRate, c.UpdateHorizon), Is.EqualTo((3e-4f, 10)));
        Assert.That(AgentConfig.Der.LearningRate, Is.EqualTo(1e-4f), "presets are fresh instances");
    }

    [TestCase("Gamma", "[0, 1)")]
    [TestCase("LearningRate", "> 0")]
    [TestCase("UpdateHorizon", "positive")]
    [TestCase("ReplayCapacity", "BatchSize")]
    [TestCase("EpsilonTrain", "[0, 1]")]
    [TestCase("ExpertInterventionPeriod", "ShrinkPerturb")]
    [TestCase("MaxGradNorm", "null")]
    public void Validate_NamesTheFieldAndTheRule(string field, string rule)
    {
        var c = field switch
        {
            "Gamma" => AgentConfig.Dqn with { Gamma = 1f },
            "LearningRate" => AgentConfig.Dqn with { LearningRate = 0f },
            "UpdateHorizon" => AgentConfig.Dqn with { UpdateHorizon = 0 },
            "ReplayCapacity" => AgentConfig.Dqn with { ReplayCapacity = 30 },
            "EpsilonTrain" => AgentConfig.Dqn with { EpsilonTrain = 1.5 },
            "ExpertInterventionPeriod" => AgentConfig.Dqn with { ExpertIntervention = ExpertIntervention.ShrinkPerturb },
            _ => AgentConfig.Dqn with { MaxGradNorm = -1f },
        };
        var e = Assert.Throws<ArgumentException>(c.Validate);
        Assert.That(e!.Message, Does.Contain(field).And.Contain(rule));
    }

    [TestCaseSource(nameof(AllPresets))]
    public void Json_RoundTripsEveryPreset(AgentConfig preset)
    {
        string json = JsonSerializer.Serialize(preset);
        Assert.That(JsonSerializer.Deserialize<AgentConfig>(json), Is.EqualTo(preset));
    }

    // Issue 22.2: each preset's encoder is its paper config's (P1 Tables 1–2, the Dopamine gin files); issue 16.5: the MinAtar presets keep
    // P1's 512-wide dense layer.
    [Test]
    public void Network_EachPresetUsesItsPaperConfigsEncoder()
    {
        Assert.That(new AgentConfig().Network, Is.EqualTo(NetworkConfig.Baseline()), "the class default: the P1 Impala baseline");
        Assert.That(AgentConfig.Dqn.Network, Is.EqualTo(NetworkConfig.Baseline() with { Encoder = EncoderKind.NatureCnn }), "dqn.gin");
        Assert.That(AgentConfig.RainbowLite.Network.Encoder, Is.EqualTo(EncoderKind.NatureCnn), "Dopamine's RainbowNetwork");
        Assert.That(AgentConfig.FullRainbow.Network.Encoder, Is.EqualTo(EncoderKind.Impala), "full_rainbow.gin");
        Assert.That(AgentConfig.Der.Network.Encoder, Is.EqualTo(EncoderKind.NatureCnn), "labs/moes DER.gin");
        Assert.That(AgentConfig.DrqEpsilon.Network.Encoder, Is.EqualTo(EncoderKind.NatureCnn), "atari_100k DrQ_eps.gin");
        Assert.That(AgentConfig.MinAtarDqn.Network, Is.EqualTo(NetworkConfig.Baseline() with { Encoder = EncoderKind.MinAtar, DenseWidth = 512 }));
        Assert.That(AgentConfig.MinAtarRainbow.Network, Is.EqualTo(AgentConfig.MinAtarDqn.Network));
        Assert.That((AgentConfig.Dqn.StackSize, AgentConfig.MinAtarDqn.StackSize), Is.EqualTo((4, 1)));
    }

    [Test]
    public void Network_AnyPresetCombinesWithAnyNetworkConfig()
    {
        // The preset's head (Full Rainbow: C51, dueling, noisy) replaces the NetworkConfig's own (DQN) head.
        var config = AgentHarness.Tiny(AgentConfig.FullRainbow) with
        {
            NetworkFactory = null,
            Network = NetworkConfig.SoftMoe(2) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 16 },
        };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        Assert.That(agent.Online.Head.Options, Is.EqualTo(AgentConfig.FullRainbow.Head));
        Assert.That(agent.Online.NamedParameters().Select(p => p.Key), Has.Some.Contains(".experts."));
        new FakeEnvLoop(50, 15).Run(agent, 40);
        Assert.That(agent.GradientUpdates, Is.GreaterThan(0));
        Assert.That(float.IsFinite(agent.Stats.LastLoss), Is.True);
    }

    private static IEnumerable<TestCaseData> ExpertVariantAgents()
    {
        // DQN routes the final layer too (its own final layer per expert); Full Rainbow shares it and has noisy dense copies.
        yield return new TestCaseData(AgentConfig.Dqn, "torso.final_phi").SetName("AllExperts_Dqn");
        yield return new TestCaseData(AgentConfig.FullRainbow, "torso.dense.expert1.weight_sigma").SetName("AllExperts_FullRainbow");
    }

    [TestCaseSource(nameof(ExpertVariantAgents))]
    public void Network_AllExpertVariant_BuildsAndTrainsItsRouters(AgentConfig preset, string variantParameter)
    {
        var config = AgentHarness.Tiny(preset) with
        {
            NetworkFactory = null,
            Network = NetworkConfig.SoftMoeAll(2) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 16 },
        };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        Assert.That(agent.Online.Torso, Is.TypeOf<AllExpertTorso>());
        Assert.That(agent.Online.NamedParameters().Select(p => p.Key), Has.Member(variantParameter));
        var before = AgentHarness.Snapshot(agent.Online);
        new FakeEnvLoop(50, 15).Run(agent, 40);
        Assert.That(agent.GradientUpdates, Is.GreaterThan(0));
        Assert.That(float.IsFinite(agent.Stats.LastLoss), Is.True);
        var after = AgentHarness.Snapshot(agent.Online);
        foreach (var router in new[] { "torso.encoder.conv1.phi", "torso.dense.phi" })
        {
            Assert.That(after[router], Is.Not.EqualTo(before[router]), $"{router} is trained through the TD loss");
        }
    }

    [Test]
    public void Network_InvalidNetworkConfigIsReportedByValidate()
    {
        var config = AgentConfig.Dqn with { Network = NetworkConfig.Baseline() with { NumExperts = 4 } };
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.That(e!.Message, Does.Contain("NetworkConfig").And.Contain("NumExperts"));
    }
}
