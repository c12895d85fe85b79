using MoeScratch.Nn;
using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Optim;
using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Agents;

/// <summary>
/// A two-expert torso for these tests (the Soft MoE layers live in another branch): a sigmoid router gate mixes
/// two expert Dense layers. Only the parameter names matter to the intervention.
/// </summary>
internal sealed class TwoExpertTorso : Torso
{
    private readonly Linear _router, _e0, _e1;
    private readonly float _auxWeight;

    /// <param name="auxWeight">When positive, the torso reports an auxiliary loss auxWeight · mean(g²) in its
    /// <see cref="MoeOutput"/>, like a load-balancing loss.</param>
    public TwoExpertTorso(int inFeatures, int width, Rng rng, float auxWeight = 0f)
    {
        _auxWeight = auxWeight;
        _router = RegisterModule("router", new Linear(inFeatures, 1, rng, bias: false));
        _e0 = RegisterModule("expert_0", new Linear(inFeatures, width, rng));
        _e1 = RegisterModule("expert_1", new Linear(inFeatures, width, rng));
        Width = width;
    }

    public int Width { get; }

    public override TorsoOutput Forward(Tensor encoded)
    {
        var x = encoded.Flatten(1);
        // Gate g = sigmoid(router(x)) [B, 1]: h = ReLU(g·e0(x) + (1 − g)·e1(x)).
        var g = Ops.Sigmoid(_router.Forward(x));
        var h = Ops.Relu(Ops.Add(Ops.Mul(_e0.Forward(x), g), Ops.Mul(_e1.Forward(x), Ops.AddScalar(Ops.Neg(g), 1f))));
        if (_auxWeight <= 0f) return new TorsoOutput(h, null, h);
        var aux = Ops.Scale(Ops.Mean(Ops.Square(g)), _auxWeight);
        var probs = Ops.Concat([g, Ops.AddScalar(Ops.Neg(g), 1f)], 1).Reshape(x.Shape[0], 1, 2);
        var top = Ops.ArgMax(probs, 2);
        return new TorsoOutput(h, new MoeOutput(h.Reshape(x.Shape[0], 1, Width), probs, top, null, aux), h);
    }

    public override int OutputFeatures(Shape encoded) => Width;

    public static QNetwork Network(int[] shape, int actions, Rng init, Rng noise, HeadOptions head, float auxWeight = 0f)
    {
        var encoder = new MinAtarEncoder(shape[2], init);
        int features = encoder.OutputShape(new Shape(1, shape[0], shape[1], shape[2])).Count;
        return new QNetwork(encoder, new TwoExpertTorso(features, 8, init, auxWeight), new RainbowHead(8, actions, head, init, noise));
    }
}

public class ExpertResetTests
{
    private static readonly int[] ObsShape = [5, 5, 2];

    private static QNetwork Net(ulong seed) => TwoExpertTorso.Network(ObsShape, 3, new Rng(seed), new Rng(0), HeadOptions.Dqn);

    [Test]
    public void ExpertNames_AreRecognisedBySegmentPrefix()
    {
        Assert.That(ExpertReset.IsExpertParameter("torso.expert_0.weight", "expert"), Is.True);
        Assert.That(ExpertReset.IsExpertParameter("torso.moe.experts.fc1.weight", "expert"), Is.True);
        Assert.That(ExpertReset.IsExpertParameter("torso.router.weight", "expert"), Is.False);
        Assert.That(ExpertReset.IsExpertParameter("head.q.weight", "expert"), Is.False);
    }

    [Test]
    public void Reset_CopiesFreshExpertsAndClearsTheirAdamMoments()
    {
        var net = Net(1);
        var fresh = Net(2);
        var adam = TrainedAdam(net);
        var before = AgentHarness.Snapshot(net);
        var changed = ExpertReset.Apply(net, adam, fresh, ExpertIntervention.Reset, 0.8f, 0.2f, "expert");
        Assert.That(changed, Is.EquivalentTo(new[] { "torso.expert_0.weight", "torso.expert_0.bias", "torso.expert_1.weight", "torso.expert_1.bias" }));
        var after = AgentHarness.Snapshot(net);
        var freshValues = AgentHarness.Snapshot(fresh);
        foreach (var (name, values) in after)
        {
            var expected = changed.Contains(name) ? freshValues[name] : before[name];
            Assert.That(values, Is.EqualTo(expected).AsCollection, name);
        }
        foreach (var (key, slot) in adam.StateDict())
        {
            bool expert = key.Contains("expert_", StringComparison.Ordinal);
            bool zero = slot.ToArray().All(v => v == 0f);
            Assert.That(zero, Is.EqualTo(expert), $"{key}: moments cleared only for experts");
        }
    }

    [Test]
    public void ShrinkPerturb_MixesOldAndFreshWeights()
    {
        var net = Net(1);
        var fresh = Net(2);
        var before = AgentHarness.Snapshot(net);
        var freshValues = AgentHarness.Snapshot(fresh);
        var changed = ExpertReset.Apply(net, null, fresh, ExpertIntervention.ShrinkPerturb, 0.8f, 0.2f, "expert");
        var after = AgentHarness.Snapshot(net);
        foreach (var (name, values) in after)
        {
            var expected = changed.Contains(name)
                ? before[name].Zip(freshValues[name], (o, f) => (0.8f * o) + (0.2f * f)).ToArray()
                : before[name];
            Assert.That(values, Is.EqualTo(expected).Within(1e-6f).AsCollection, name);
        }
        Assert.That(changed, Has.Count.EqualTo(4));
    }

    [Test]
    public void Apply_WithoutExperts_ExplainsTheMistake()
    {
        var build = AgentHarness.SmallNetwork(8, HeadOptions.Dqn);
        var net = build(ObsShape, 3, new Rng(1), new Rng(2));
        var fresh = build(ObsShape, 3, new Rng(3), new Rng(2));
        var e = Assert.Throws<InvalidOperationException>(() =>
            ExpertReset.Apply(net, null, fresh, ExpertIntervention.Reset, 0.8f, 0.2f, "expert"));
        Assert.That(e!.Message, Does.Contain("no expert parameters"));
    }

    [Test]
    public void Agent_ResetsExpertsOnItsPeriod()
    {
        var config = AgentHarness.Tiny(AgentConfig.MinAtarDqn) with
        {
            NetworkFactory = (shape, actions, init, noise) => TwoExpertTorso.Network(shape, actions, init, noise, HeadOptions.Dqn),
            ExpertIntervention = ExpertIntervention.Reset,
            ExpertInterventionPeriod = 3,
            TargetUpdatePeriod = 1000,
        };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        var loop = new FakeEnvLoop(50, 8, episodeLength: 1000);
        while (agent.GradientUpdates < 2) loop.Run(agent, 1);
        var m = agent.Optimizer.StateDict()["adam.m.torso.expert_0.weight"];
        Assert.That(m.ToArray().Any(v => v != 0f), Is.True, "moments non-zero after two updates");
        while (agent.GradientUpdates < 3) loop.Run(agent, 1);
        Assert.That(m.ToArray().All(v => v == 0f), Is.True, "update 3 reset the experts' moments");
        Assert.That(agent.Optimizer.StateDict()["adam.m.torso.router.weight"].ToArray().Any(v => v != 0f), Is.True);
    }

    private static Adam TrainedAdam(QNetwork net)
    {
        var adam = new Adam(net.NamedParameters(), 1e-3f);
        var x = Tensor.Uniform(new Shape(2, 5, 5, 2), 0f, 1f, new Rng(5));
        Ops.Sum(net.Forward(x).Q).Backward();
        adam.Step();
        return adam;
    }
}

/// <summary>PerConv tokens [B, h·w, c] → Soft MoE (Nn/Moe) → flatten: P1 §3's MoE torso, for tests.</summary>
internal sealed class SoftMoeTestTorso : Torso
{
    private readonly SoftMoe _moe;

    public SoftMoeTestTorso(Shape encoded, SoftMoeOptions options, Rng rng, Rng noise)
    {
        _moe = RegisterModule("moe", new SoftMoe(encoded[3], encoded[1] * encoded[2], options, rng, noise));
        Features = encoded[1] * encoded[2] * encoded[3];
    }

    public int Features { get; }

    public override TorsoOutput Forward(Tensor encoded)
    {
        int b = encoded.Shape[0];
        var output = _moe.Forward(encoded.Reshape(b, encoded.Shape[1] * encoded.Shape[2], encoded.Shape[3]));
        return new TorsoOutput(output.Values.Flatten(1), output, null);
    }

    public override int OutputFeatures(Shape encoded) => Features;

    public static QNetworkFactory Factory(HeadOptions head, int experts = 2) => (shape, actions, init, noise) =>
    {
        var encoder = new MinAtarEncoder(shape[2], init, channels: 4);
        var encoded = encoder.OutputShape(new Shape(1, shape[0], shape[1], shape[2]));
        var torso = new SoftMoeTestTorso(encoded, new SoftMoeOptions(experts, ExpertHidden: 8, NoisyExperts: head.Noisy), init, noise);
        return new QNetwork(encoder, torso, new RainbowHead(torso.Features, actions, head, init, noise));
    };
}

public class SoftMoeExpertResetTests
{
    [Test]
    public void Reset_OnASoftMoeNetwork_TouchesOnlyTheExpertMlp()
    {
        var build = SoftMoeTestTorso.Factory(HeadOptions.Dqn);
        var net = build([5, 5, 2], 3, new Rng(1), new Rng(9));
        var fresh = build([5, 5, 2], 3, new Rng(2), new Rng(9));
        var before = AgentHarness.Snapshot(net);
        var changed = ExpertReset.Apply(net, null, fresh, ExpertIntervention.Reset, 0.8f, 0.2f, "expert");
        Assert.That(changed, Is.EquivalentTo(new[]
        {
            "torso.moe.experts.fc1.weight", "torso.moe.experts.fc1.bias", "torso.moe.experts.fc2.weight", "torso.moe.experts.fc2.bias",
        }));
        var after = AgentHarness.Snapshot(net);
        Assert.That(after["torso.moe.phi"], Is.EqualTo(before["torso.moe.phi"]).AsCollection, "the router Φ stays");
        Assert.That(after["torso.moe.experts.fc1.weight"], Is.EqualTo(fresh.StateDict()["torso.moe.experts.fc1.weight"].ToArray()).AsCollection);
    }

    [TestCase(ExpertIntervention.Reset)]
    [TestCase(ExpertIntervention.ShrinkPerturb)]
    public void Agent_WithSoftMoe_IntervenesOnPeriod(ExpertIntervention mode)
    {
        var config = AgentHarness.Tiny(AgentConfig.FullRainbow) with
        {
            NetworkFactory = SoftMoeTestTorso.Factory(AgentConfig.FullRainbow.Head),
            ExpertIntervention = mode,
            ExpertInterventionPeriod = 4,
        };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        var loop = new FakeEnvLoop(50, 14, episodeLength: 1000);
        while (agent.GradientUpdates < 4) loop.Run(agent, 1);
        var moments = agent.Optimizer.StateDict();
        bool expertMomentsZero = moments["adam.m.torso.moe.experts.fc2.weight"].ToArray().All(v => v == 0f);
        Assert.That(expertMomentsZero, Is.EqualTo(mode == ExpertIntervention.Reset));
        Assert.That(moments["adam.m.torso.moe.phi"].ToArray(), Has.Some.Not.EqualTo(0f));
        loop.Run(agent, 20);
        Assert.That(float.IsFinite(agent.Stats.LastLoss), Is.True);
    }
}
