using System.Globalization;
using System.Text.RegularExpressions;
using MoeScratch.Benchmarks.Quick;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Tests.Quick;

/// <summary>
/// The MinAtar workloads of the quick mode: the networks are the TorchSharp harness's (parameter counts), their FLOP
/// counts follow the harness shapes, the loop runs the trainer's loop and reports its rate, and the FLOP-limit fields
/// parse as compare-torchsharp.sh reads them.
/// </summary>
[NonParallelizable]
public sealed partial class MinAtarWorkloadsTests
{
    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Field();

    private static Dictionary<string, string> Fields(string line) =>
        Field().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    [TestCase(0, MinAtarNetworks.DqnParameters)]
    [TestCase(4, MinAtarNetworks.SoftMoe4Parameters)]
    [TestCase(8, MinAtarNetworks.SoftMoe8Parameters)]
    public void Network_HasTheHarnessParameterCount(int experts, long parameters) =>
        Assert.That(MinAtarNetworks.Create(experts, new Rng(1)).ParameterCount, Is.EqualTo(parameters));

    // By hand from the harness shapes, per sample: conv 100·16·36·2 = 115,200. Dense: + 1600·512·2 + 512·6·2
    // = 1,759,744. Soft MoE-4 (25 slots each, S = 100): + 3·(100·100·16·2) + 100·(2·16·512·2) + 1600·6·2 = 4,371,200.
    // An update is 32·(4F − conv).
    [TestCase(0, 1_759_744d, 221_560_832d)]
    [TestCase(4, 4_371_200d, 555_827_200d)]
    public void Flops_MatchTheHandCount(int experts, double forward, double train)
    {
        Assert.That(MinAtarNetworks.ForwardFlops(experts, out double conv), Is.EqualTo(forward));
        Assert.That(conv, Is.EqualTo(115_200d));
        Assert.That(MinAtarNetworks.TrainFlops(experts, 32), Is.EqualTo(train));
        Assert.That(MinAtarNetworks.AgentStepFlops(experts), Is.EqualTo(forward + train / 4));
    }

    [Test]
    public void FlopLimitFields_GiveTheFractionOfTheMeasuredPeak()
    {
        double peak = FlopLimit.PeakGflops(1, FlopLimit.Wide);
        Assume.That(double.IsNaN(peak), Is.False, "no FMA on this machine: no limit line");
        var f = Fields(FlopLimit.Fields(peak / 4, 1));
        Assert.That(double.Parse(f["flop_limit_fraction"], CultureInfo.InvariantCulture), Is.EqualTo(0.25).Within(0.001));
        Assert.That(f["fma_bits"], Is.EqualTo(FlopLimit.Wide ? "512" : "256"));
        Assert.That(f.ContainsKey("flop_limit_fraction_256"), Is.EqualTo(FlopLimit.Wide));
    }

    [Test]
    public void Loop_TrainsThroughTheRunner_AndReportsItsRate()
    {
        using var loop = new MinAtarDqnLoop();
        loop.Setup(new QuickSetup(1, Smoke: true)); // plays until the first update
        long updates = loop.Agent.GradientUpdates;
        loop.BeforeSample();
        loop.Run();
        var f = Fields(loop.ExtraFields(100));
        Assert.That(updates, Is.GreaterThan(0), "setup ends once training has started");
        Assert.That(loop.Agent.GradientUpdates, Is.GreaterThan(updates), "a timed run trains");
        Assert.That(double.Parse(f["steps_per_s"], CultureInfo.InvariantCulture), Is.GreaterThan(0));
    }
}
