using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Analysis;

public class NetworkProbeMoeTests
{
    /// <summary>
    /// A torso that reports fixed, hand-made router statistics and expert activations next to real features, so the
    /// probe's MoE branch can be checked against hand-computed values.
    /// </summary>
    private sealed class FixedMoeTorso : Torso
    {
        private readonly Linear _dense;

        public FixedMoeTorso(int inFeatures, Rng rng) => _dense = RegisterModule("dense", new Linear(inFeatures, 8, rng));

        public override TorsoOutput Forward(Tensor encoded)
        {
            int b = encoded.Shape[0];
            var features = Ops.Relu(_dense.Forward(encoded.Flatten(1)));
            // m = 1 token, n = 2 experts: every sample puts 0.75 on expert 0, which is also its top expert.
            var probs = Tensor.FromArray(Enumerable.Repeat(new[] { 0.75f, 0.25f }, b).SelectMany(x => x).ToArray(), new Shape(b, 1, 2));
            var top = Tensor.Zeros(new Shape(b, 1));
            // [n = 2, B·p = B, h = 2]: only expert 0's unit 0 is ever active.
            var hidden = Tensor.Zeros(new Shape(2, b, 2));
            hidden.Span[0] = 1f;
            var moe = new MoeOutput(features.Reshape(b, 1, 8), probs, top, hidden, null);
            return new TorsoOutput(features, moe, null);
        }

        public override int OutputFeatures(Shape encoded) => 8;
    }

    [Test]
    public void Probe_LogsRouterStatistics_AndExpertDormancy()
    {
        const int batch = 3;
        var rng = new Rng(5);
        var net = new QNetwork(new MinAtarEncoder(1, rng, channels: 2), new FixedMoeTorso(4 * 4 * 2, rng),
                               new RainbowHead(8, 2, HeadOptions.Dqn, rng));
        var obs = Tensor.Uniform(new Shape(batch, 4, 4, 1), 0f, 1f, new Rng(6));

        var report = NetworkProbe.Run(net, obs);

        Assert.That(report["analysis/expert_mass_0"], Is.EqualTo(0.75).Within(1e-6));
        Assert.That(report["analysis/expert_mass_1"], Is.EqualTo(0.25).Within(1e-6));
        Assert.That(report["analysis/expert_selected_0"], Is.EqualTo(1.0));
        Assert.That(report["analysis/expert_selected_1"], Is.EqualTo(0.0));
        // MoE code: p = 1 slot, scores over (slot, unit) = 2 units, unit 1 never active → 1/2.
        Assert.That(report["analysis/dormant_fraction_moe_code"], Is.EqualTo(0.5));
        // ReDo over (expert, unit) = 4 neurons, only (0, 0) active → 3/4.
        Assert.That(report["analysis/dormant_fraction"], Is.EqualTo(0.75));
    }

    [Test]
    public void Probe_AllExperts_AveragesExpertMassOverRoutedLayers()
    {
        // P1 §5.3 "All": RouterProbabilities [B, L, n] holds one row per routed layer, so the expert mass
        // is the mean combine weight over samples and layers, and the top-expert counts per sample sum to L.
        const int batch = 4;
        var net = NetworkBuilder.Build(NetworkConfig.SoftMoeAll(2) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 8 },
                                       [5, 5, 2], 3, new Rng(0), new Rng(1));
        var obs = Tensor.Uniform(new Shape(batch, 5, 5, 2), 0f, 1f, new Rng(2));
        var output = net.Forward(obs);
        var probs = output.Moe!.RouterProbabilities.ToArray();
        int layers = ((AllExpertTorso)net.Torso).LayerNames.Count;
        Assert.That(layers, Is.EqualTo(3), "conv, dense, final (DQN)");

        var report = NetworkProbe.Run(net, obs);

        double mass0 = Enumerable.Range(0, batch * layers).Average(r => (double)probs[2 * r]);
        Assert.That(report["analysis/expert_mass_0"], Is.EqualTo(mass0).Within(1e-6));
        Assert.That(report["analysis/expert_mass_0"] + report["analysis/expert_mass_1"], Is.EqualTo(1.0).Within(1e-6));
        Assert.That(report["analysis/expert_selected_0"] + report["analysis/expert_selected_1"], Is.EqualTo(layers));
        Assert.That(report["analysis/dormant_fraction"], Is.EqualTo(DormantNeurons.RedoFraction(output.Hidden!, 0)),
                    "ReDo on the post-ReLU penultimate layer [B, hidden]");
    }
}
