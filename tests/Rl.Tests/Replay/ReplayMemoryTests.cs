using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Replay;

public class ReplayMemoryTests
{
    [Test]
    public void MillionAtariTransitions_FitDopaminesSevenPointOneGigabytes()
    {
        // Dopamine's Atari layout: 1M single 84×84×1 frames, stacked ×4 at sample time.
        var config = new ReplayConfig { Capacity = 1_000_000, Height = 84, Width = 84, Channels = 1, StackSize = 4 };
        ReplayMemoryReport report = ReplayBuffer.EstimateMemory(config, prioritized: true);
        TestContext.Out.WriteLine(report);
        Assert.That(report.FrameBytes, Is.EqualTo(7_056_000_000L));
        Assert.That(report.SumTreeBytes, Is.EqualTo(((1L << 21) - 1) * 8));
        Assert.That(report.TotalBytes, Is.LessThanOrEqualTo(7_100_000_000L));
        Assert.That(ReplayBuffer.EstimateMemory(config, prioritized: false).TotalBytes, Is.EqualTo(report.TotalBytes - report.SumTreeBytes));
    }

    [Test]
    public void Estimate_MatchesWhatTheConstructorAllocates()
    {
        var config = new ReplayConfig { Capacity = 1500, Height = 84, Width = 84, Channels = 1, StackSize = 4 };
        long expected = ReplayBuffer.EstimateMemory(config, prioritized: true).TotalBytes;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var buffer = new ReplayBuffer(config, new PrioritizedSampler(config.Capacity, new Rng(1)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(buffer);
        // Object headers and the small bookkeeping arrays add a few hundred bytes.
        Assert.That(allocated, Is.InRange(expected, expected + 4096));
    }

    [Test]
    public void EnsureFits_RefusesOversizedBuffers()
    {
        var report = ReplayBuffer.EstimateMemory(new ReplayConfig(), prioritized: false); // ≈ 7.07 GB
        Assert.That(() => report.EnsureFits(availableBytes: 25_000_000_000L), Throws.Nothing);
        Assert.That(() => report.EnsureFits(availableBytes: 7_500_000_000L, maxFraction: 0.9),
            Throws.InvalidOperationException.With.Message.Contains("lower ReplayConfig.Capacity"));
    }
}
