using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Networks;

public class AllExpertTorsoTests
{
    private static QNetwork Build(NetworkConfig cfg, int[] obs, int actions = 4) =>
        NetworkBuilder.Build(cfg, obs, actions, new Rng(0), new Rng(1));

    private static Tensor Observations(int b, int[] obs, ulong seed) =>
        Tensor.Uniform(new Shape([b, .. obs]), 0f, 1f, new Rng(seed));

    private static void AssertRouterStatistics(QNetworkOutput o, AllExpertTorso torso, int b)
    {
        var probs = o.Moe!.RouterProbabilities;
        Assert.That(probs.Shape, Is.EqualTo(new Shape(b, torso.LayerNames.Count, torso.NumExperts)), "one row per routed layer");
        Assert.That(Ops.Sum(probs, [2]).ToArray(), Has.All.EqualTo(1f).Within(1e-5), "every layer's combine weights sum to 1");
        Assert.That(o.Moe.TopExperts.Shape, Is.EqualTo(new Shape(b, torso.LayerNames.Count)));
    }

    [Test]
    public void NatureCnn_84x84x4_RoutesEveryLayerOnItsWholeInput()
    {
        var net = Build(NetworkConfig.SoftMoeAll(2) with { Encoder = EncoderKind.NatureCnn }, [84, 84, 4], 6);
        Assert.That(net.Encoder, Is.TypeOf<IdentityEncoder>());
        var torso = (AllExpertTorso)net.Torso;
        Assert.That(torso.LayerNames, Is.EqualTo(new[] { "encoder.conv1", "encoder.conv2", "encoder.conv3", "dense", "final" }));
        // PerSamp tokens (P1 §3, Fig. 3) of each layer's input, SAME padding 84 → 21 → 11 → 11 (Dopamine).
        Assert.That(torso.EncoderLayers.Select(l => l.TokenDim), Is.EqualTo(new[] { 84 * 84 * 4, 21 * 21 * 32, 11 * 11 * 64 }));
        Assert.That(torso.Dense.TokenDim, Is.EqualTo(7744));
        var o = net.Forward(Observations(2, [84, 84, 4], 2));
        Assert.That(o.Q.Shape, Is.EqualTo(new Shape(2, 6)));
        Assert.That(o.Features.Shape, Is.EqualTo(new Shape(2, 2 * 512 + 2)), "DQN: the final layer is routed too");
        Assert.That(o.Hidden!.Shape, Is.EqualTo(new Shape(2, 512)));
        AssertRouterStatistics(o, torso, 2);
    }

    [Test]
    public void Impala_84x84x4_RoutesStackAndResidualConvs_RainbowHeadIsShared()
    {
        var net = Build(NetworkConfig.SoftMoeAll(2) with { Head = HeadOptions.FullRainbow }, [84, 84, 4], 6);
        var torso = (AllExpertTorso)net.Torso;
        // 3 stacks × (conv + 2 blocks × 2 convs) = 15 routed convs, then the dense; Rainbow's last layer is shared.
        Assert.That(torso.LayerNames, Has.Count.EqualTo(16));
        Assert.That(torso.LayerNames.Take(3), Is.EqualTo(new[] { "encoder.stack0.conv", "encoder.stack0.block0.conv1", "encoder.stack0.block0.conv2" }));
        Assert.That(torso.LayerNames[^1], Is.EqualTo("dense"));
        Assert.That(torso.FinalPhi, Is.Null);
        int[] tokens = [.. Enumerable.Repeat(84 * 84 * 4, 1), .. Enumerable.Repeat(42 * 42 * 16, 5), .. Enumerable.Repeat(21 * 21 * 32, 5),
                        .. Enumerable.Repeat(11 * 11 * 32, 4)];
        Assert.That(torso.EncoderLayers.Select(l => l.TokenDim), Is.EqualTo(tokens));
        Assert.That(torso.Dense.TokenDim, Is.EqualTo(3872));
        var o = net.Forward(Observations(1, [84, 84, 4], 3));
        Assert.That(o.Features.Shape, Is.EqualTo(new Shape(1, 512)));
        Assert.That(o.Logits!.Shape, Is.EqualTo(new Shape(1, 6, 51)));
        Assert.That(net.Torso.NamedParameters().Any(p => p.Key == "dense.expert1.weight_sigma"), Is.True, "dense copies are noisy");
        AssertRouterStatistics(o, torso, 1);
    }

    [TestCase(7)]
    [TestCase(4)]
    public void MinAtar_10x10xC_DqnAndRainbowHeads(int channels)
    {
        var obs = Observations(3, [10, 10, channels], 4);
        var dqn = Build(NetworkConfig.SoftMoeAll(3) with { Encoder = EncoderKind.MinAtar }, [10, 10, channels], 5);
        var torso = (AllExpertTorso)dqn.Torso;
        Assert.That(torso.LayerNames, Is.EqualTo(new[] { "encoder.conv1", "dense", "final" }));
        Assert.That(torso.EncoderLayers.Single().TokenDim, Is.EqualTo(10 * 10 * channels));
        var o = dqn.Forward(obs);
        Assert.That(o.Q.Shape, Is.EqualTo(new Shape(3, 5)));
        Assert.That(o.Features.Shape, Is.EqualTo(new Shape(3, 3 * 512 + 3)));
        Assert.That(torso.OutputFeatures(new Shape(1, 10, 10, channels)), Is.EqualTo(3 * 512 + 3));
        AssertRouterStatistics(o, torso, 3);

        var rainbow = Build(NetworkConfig.SoftMoeAll(3, normalize: true) with { Encoder = EncoderKind.MinAtar, Head = HeadOptions.FullRainbow },
                            [10, 10, channels], 5);
        var r = rainbow.Forward(obs);
        Assert.That(r.Features.Shape, Is.EqualTo(new Shape(3, 512)));
        Assert.That(r.Logits!.Shape, Is.EqualTo(new Shape(3, 5, 51)));
        Assert.That(((AllExpertTorso)rainbow.Torso).LayerNames, Is.EqualTo(new[] { "encoder.conv1", "dense" }));
    }

    [Test]
    public void ParameterCount_MinAtar_MatchesHandCount()
    {
        // 5×5×2 observation, n = 2 experts, hidden 3, DQN head with 4 actions. A routed layer has n copies, Φ [D, n] and
        // the scale (dopamine softmoe.py).
        var net = Build(NetworkConfig.SoftMoeAll(2) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 3 }, [5, 5, 2], 4);
        long conv = 2 * (3 * 3 * 2 * 16 + 16) + 5 * 5 * 2 * 2 + 1;   // 709: conv 3×3, 2 → 16 (SAME, 5×5×16 out)
        long dense = 2 * (400 * 3 + 3) + 400 * 2 + 1;                // 3,207: Dense(400 → 3)
        long final = 3 * 2 + 1;                                      // 7: the final layer's Φ [3, 2] and scale
        Assert.That(net.Torso.ParameterCount, Is.EqualTo(conv + dense + final));
        Assert.That(net.Head.ParameterCount, Is.EqualTo((2 * 3 + 2) * 4 + 4), "the head reads [c₁h, c₂h, c₁, c₂]");
        Assert.That(net.ParameterCount, Is.EqualTo(3_959));
        // The torso's own parameters come first (as "Big"'s phi and scale), then the routed layers in forward order.
        Assert.That(net.NamedParameters().Select(p => p.Key).Take(6), Is.EqualTo(new[]
        {
            "torso.final_phi", "torso.final_scale", "torso.encoder.conv1.phi", "torso.encoder.conv1.scale",
            "torso.encoder.conv1.expert0.weight", "torso.encoder.conv1.expert0.bias",
        }));
    }

    [Test]
    public void ParameterCount_Impala_MatchesPerLayerFormula()
    {
        // 8×8×1 observation: stacks 8 → 4 → 2 → 1 (conv, then 3×3 s2 SAME pool); n = 2; hidden 4; shared C51 head.
        const int n = 2;
        static long Routed(long tokenDim, long copy) => n * copy + tokenDim * n + 1;
        static long Conv(int cin, int cout) => 3 * 3 * cin * cout + cout;
        long expected = Routed(8 * 8 * 1, Conv(1, 16)) + 4 * Routed(4 * 4 * 16, Conv(16, 16))
                      + Routed(4 * 4 * 16, Conv(16, 32)) + 4 * Routed(2 * 2 * 32, Conv(32, 32))
                      + Routed(2 * 2 * 32, Conv(32, 32)) + 4 * Routed(1 * 1 * 32, Conv(32, 32))
                      + Routed(32, 32 * 4 + 4);
        var net = Build(NetworkConfig.SoftMoeAll(n) with { ExpertHidden = 4, Head = HeadOptions.RainbowLite }, [8, 8, 1]);
        Assert.That(net.Torso.ParameterCount, Is.EqualTo(expected));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Gradients_MatchFiniteDifferences(bool normalize)
    {
        var net = Build(NetworkConfig.SoftMoeAll(2, normalize) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 3 }, [3, 3, 1], 2);
        var torso = (AllExpertTorso)net.Torso;
        GradCheck.Check("all experts input", x => torso.Forward(x[0]).Features, GradCheck.RandomInputs(5, [2, 3, 3, 1]));
        var obs = GradCheck.RandomInputs(6, [2, 3, 3, 1])[0];
        var conv = torso.EncoderLayers[0];
        Tensor[] routers = normalize
            ? [conv.Phi, conv.Scale, torso.Dense.Phi, torso.Dense.Scale, torso.FinalPhi!, torso.FinalScale!]
            : [conv.Phi, torso.Dense.Phi, torso.FinalPhi!];
        GradCheck.Check("all experts routers", _ => torso.Forward(obs).Features, routers);
    }

    [Test]
    public void Gradients_Impala_MatchFiniteDifferences()
    {
        var net = Build(NetworkConfig.SoftMoeAll(2) with { ExpertHidden = 3, Head = HeadOptions.RainbowLite }, [4, 4, 1]);
        var torso = (AllExpertTorso)net.Torso;
        GradCheck.Check("all experts impala input", x => torso.Forward(x[0]).Features, GradCheck.RandomInputs(7, [2, 4, 4, 1]));
        var obs = GradCheck.RandomInputs(8, [2, 4, 4, 1])[0];
        GradCheck.Check("all experts impala routers", _ => torso.Forward(obs).Features,
                        [torso.EncoderLayers[0].Phi, torso.EncoderLayers[2].Phi]);
    }

    [TestCase(EncoderKind.NatureCnn, new[] { 12, 12, 2 })]
    [TestCase(EncoderKind.Impala, new[] { 8, 8, 2 })]
    [TestCase(EncoderKind.MinAtar, new[] { 5, 5, 3 })]
    public void SingleExpert_IsTheBaselineNetwork(EncoderKind encoder, int[] obs)
    {
        // n = 1: every combine weight is 1, so with the baseline's weights copied into expert0 of each layer the
        // network is the baseline: ReLUs, pools and residual adds sit where the baseline has them.
        var head = HeadOptions.RainbowLite;
        var baseline = Build(NetworkConfig.Baseline() with { Encoder = encoder, Head = head }, obs);
        var all = Build(NetworkConfig.SoftMoeAll(1) with { Encoder = encoder, Head = head }, obs);
        var state = all.StateDict();
        foreach (var (key, value) in baseline.StateDict())
        {
            string mapped = key.StartsWith("head.", StringComparison.Ordinal) ? key : ExpertKey(key);
            Assert.That(state.ContainsKey(mapped), Is.True, $"{key} → {mapped}");
            state[mapped] = value;
        }
        all.LoadStateDict(state);
        var x = Observations(2, obs, 9);
        GradCheck.AssertClose($"{encoder} Q", baseline.Forward(x).Q.ToArray(), all.Forward(x).Q.ToArray(), 1e-5f);
    }

    /// <summary>"encoder.a.b.weight" → "torso.encoder.a.b.expert0.weight"; "torso.dense.bias" → "torso.dense.expert0.bias".</summary>
    private static string ExpertKey(string key)
    {
        int dot = key.LastIndexOf('.');
        string layer = key[..dot], param = key[(dot + 1)..];
        return $"{(layer.StartsWith("encoder", StringComparison.Ordinal) ? "torso." : "")}{layer}.expert0.{param}";
    }
}
