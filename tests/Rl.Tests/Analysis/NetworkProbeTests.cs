using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Analysis;

public class NetworkProbeTests
{
    private const int Batch = 4, Actions = 3;

    private static (QNetwork Net, Rng Noise, Tensor Obs) Tiny()
    {
        var rng = new Rng(1);
        var noise = new Rng(2);
        var encoder = new MinAtarEncoder(2, rng, channels: 4);               // [B, 5, 5, 2] → [B, 5, 5, 4]
        var torso = new DenseTorso(5 * 5 * 4, 16, rng, noisy: true, noiseRng: noise);
        var head = new RainbowHead(16, Actions, HeadOptions.FullRainbow, rng, noise);
        var obs = Tensor.Uniform(new Shape(Batch, 5, 5, 2), 0f, 1f, new Rng(3));
        TensorScope.Persist(obs);
        return (new QNetwork(encoder, torso, head), noise, obs);
    }

    // C51 cross-entropy of action b mod A against a uniform target distribution.
    private static Tensor SampleLoss(QNetworkOutput o, int b)
    {
        int atoms = o.Logits!.Shape[2];
        var logits = Ops.Slice(o.Logits, 1, b % Actions, 1).Reshape(1, atoms);
        var target = Tensor.Full(new Shape(1, atoms), 1f / atoms);
        return Ops.SoftmaxCrossEntropy(logits, target, reduction: Reduction.Sum);
    }

    [Test]
    public void Probe_ReportsEveryMetric_LeavesNoGradientsAndRestoresModes()
    {
        var (net, noise, obs) = Tiny();
        net.Head.Eval();                                                     // mixed modes must come back as they were
        var noiseState = noise.SaveState();

        var report = NetworkProbe.Run(net, obs, SampleLoss);

        Assert.That(net.Training, Is.True);
        Assert.That(net.Torso.Training, Is.True);
        Assert.That(net.Head.Training, Is.False);
        Assert.That(noise.SaveState(), Is.EqualTo(noiseState), "the probe must not draw training noise");
        Assert.That(net.Parameters().All(p => p.Grad is null), Is.True, "no gradient before, none after");

        foreach (var tag in new[] { "dormant_fraction", "dormant_fraction_moe_code", "encoder_dormant_fraction" })
        {
            Assert.That(report["analysis/" + tag], Is.InRange(0.0, 1.0), tag);
        }
        Assert.That(report["analysis/srank"], Is.InRange(1.0, Batch));
        Assert.That(report["analysis/feature_rank_0.01"], Is.InRange(1.0, Batch));
        Assert.That(report["analysis/feature_low_variance_0"], Is.InRange(0.0, 16.0));
        Assert.That(report["analysis/entk_rank_0.01"], Is.InRange(1.0, Batch));
        Assert.That(report["analysis/entk_diag_mean"], Is.GreaterThan(0.0));
        Assert.That(report["analysis/entk_positive_frac"] + report["analysis/entk_negative_frac"], Is.LessThanOrEqualTo(1.0));
        Assert.That(report["analysis/param_norm"], Is.EqualTo(ParameterStatistics.SquaredNorm(net.Parameters())).Within(1e-9));
        Assert.That(report.Scalars.Keys.Any(k => k.StartsWith("analysis/expert_", StringComparison.Ordinal)), Is.False);
    }

    [Test]
    public void Probe_EntkDiagonal_IsTheMeanSquaredGradientNorm()
    {
        var (net, _, obs) = Tiny();
        var report = NetworkProbe.Run(net, obs, SampleLoss);

        // Independent computation: eval mode, one backward per sample, ‖∇ℓ_b‖² averaged.
        net.Eval();
        double sum = 0;
        for (int b = 0; b < Batch; b++)
        {
            net.ZeroGrad();
            using (TensorScope.Begin()) SampleLoss(net.Forward(Ops.Slice(obs, 0, b, 1)), b).Backward();
            foreach (var p in net.Parameters())
            {
                if (p.Grad is { } g) sum += g.ToArray().Sum(v => (double)v * v);
            }
        }
        Assert.That(report["analysis/entk_diag_mean"], Is.EqualTo(sum / Batch).Within(1e-4 * sum / Batch));
    }

    [Test]
    public void Probe_RestoresExistingGradients()
    {
        var (net, _, obs) = Tiny();
        using (TensorScope.Begin()) Ops.Sum(net.Forward(obs).Q).Backward();
        var before = net.Parameters().Select(p => p.Grad?.ToArray()).ToList();
        Assert.That(before.Any(g => g is not null && g.Any(v => v != 0)), Is.True);

        NetworkProbe.Run(net, obs, SampleLoss);

        var after = net.Parameters().Select(p => p.Grad?.ToArray()).ToList();
        for (int i = 0; i < before.Count; i++)
        {
            if (before[i] is { } b) Assert.That(after[i], Is.EqualTo(b));
            else Assert.That(after[i], Is.Null, "a gradient the probe allocated must be removed again");
        }
    }

    [Test]
    public void Probe_WithoutLoss_SkipsEntk()
    {
        var (net, _, obs) = Tiny();
        var report = NetworkProbe.Run(net, obs);
        Assert.That(report.Scalars.ContainsKey("analysis/srank"), Is.True);
        Assert.That(report.Scalars.Keys.Any(k => k.Contains("entk", StringComparison.Ordinal)), Is.False);
        Assert.That(net.Parameters().All(p => p.Grad is null), Is.True);
    }
}
