using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Replay;

public class SamplerTests
{
    /// <summary>An index source where every written slot is valid except the listed ones.</summary>
    private sealed class FakeSource(int capacity, long addCount, params int[] invalid) : IReplayIndexSource
    {
        public int Capacity { get; } = capacity;
        public long AddCount { get; } = addCount;
        public bool IsValidIndex(int index) =>
            index >= 0 && index < Capacity && index < AddCount && Array.IndexOf(invalid, index) < 0;
    }

    private static int[] Histogram(ISampler sampler, IReplayIndexSource source, int batch, int rounds, int bins)
    {
        var counts = new int[bins];
        var idx = new int[batch];
        var p = new float[batch];
        for (int r = 0; r < rounds; r++)
        {
            sampler.Sample(source, idx, p);
            foreach (int i in idx) counts[i]++;
        }
        return counts;
    }

    [Test]
    public void Uniform_IsUniformOverValidIndices_AndSkipsInvalid()
    {
        var source = new FakeSource(10, 10, 3, 7);
        int[] counts = Histogram(new UniformSampler(new Rng(1)), source, 32, 1000, 10);
        Assert.That(counts[3], Is.Zero);
        Assert.That(counts[7], Is.Zero);
        // 32000 draws over 8 valid indices: 4000 each, σ ≈ 59.
        foreach (int i in new[] { 0, 1, 2, 4, 5, 6, 8, 9 }) Assert.That(counts[i], Is.InRange(3700, 4300), $"index {i}");
    }

    [Test]
    public void Uniform_BeforeFull_OnlyWrittenSlots_ProbabilityIsOneOverStored()
    {
        var source = new FakeSource(100, 5);
        var idx = new int[64];
        var p = new float[64];
        new UniformSampler(new Rng(2)).Sample(source, idx, p);
        Assert.That(idx, Has.All.InRange(0, 4));
        Assert.That(p, Has.All.EqualTo(0.2f));
    }

    [Test]
    public void Uniform_EmptyOrHopeless_ThrowsInvalidOperation()
    {
        var idx = new int[4];
        var p = new float[4];
        var sampler = new UniformSampler(new Rng(3), maxSampleAttempts: 50);
        Assert.That(() => sampler.Sample(new FakeSource(10, 0), idx, p), Throws.InvalidOperationException);
        Assert.That(() => sampler.Sample(new FakeSource(2, 2, 0, 1), idx, p),
            Throws.InvalidOperationException.With.Message.Contains("50 rejected draws"));
    }

    [Test]
    public void Prioritized_NewTransitionsGetMaxPriority()
    {
        var sampler = new PrioritizedSampler(4, new Rng(4));
        sampler.OnAdd(0);
        Assert.That(sampler.Tree.Get(0), Is.EqualTo(1.0)); // Dopamine's initial max_recorded_priority
        sampler.UpdatePriorities([0], [16f]);
        Assert.That(sampler.Tree.Get(0), Is.EqualTo(4.0).Within(1e-6));
        sampler.OnAdd(1);
        Assert.That(sampler.Tree.Get(1), Is.EqualTo(sampler.Tree.Get(0)));
        sampler.UpdatePriorities([1], [0f]);
        Assert.That(sampler.Tree.Get(1), Is.EqualTo(1e-5).Within(1e-9)); // √(0 + 1e-10)
    }

    [Test]
    public void Prioritized_FrequenciesFollowPriorities()
    {
        var sampler = new PrioritizedSampler(4, new Rng(5));
        for (int i = 0; i < 4; i++) sampler.OnAdd(i);
        // Losses 1, 4, 9, 16 → priorities 1, 2, 3, 4 → probabilities 0.1 … 0.4.
        sampler.UpdatePriorities([0, 1, 2, 3], [1f, 4f, 9f, 16f]);
        int[] counts = Histogram(sampler, new FakeSource(4, 4), 32, 2000, 4);
        for (int i = 0; i < 4; i++)
        {
            Assert.That(counts[i] / 64000.0, Is.EqualTo((i + 1) / 10.0).Within(0.01), $"index {i}");
        }
        var idx = new int[32];
        var p = new float[32];
        sampler.Sample(new FakeSource(4, 4), idx, p);
        for (int k = 0; k < 32; k++) Assert.That(p[k], Is.EqualTo((idx[k] + 1) / 10f).Within(1e-6));
    }

    [Test]
    public void Prioritized_IsStratified()
    {
        // Equal priorities and one draw per quarter of the total: every batch is exactly 0, 1, 2, 3.
        var sampler = new PrioritizedSampler(4, new Rng(6));
        for (int i = 0; i < 4; i++) sampler.OnAdd(i);
        var idx = new int[4];
        var p = new float[4];
        for (int r = 0; r < 50; r++)
        {
            sampler.Sample(new FakeSource(4, 4), idx, p);
            Assert.That(idx, Is.EqualTo(new[] { 0, 1, 2, 3 }).AsCollection);
        }
    }

    [Test]
    public void Prioritized_InvalidIndicesAreRedrawn()
    {
        var sampler = new PrioritizedSampler(8, new Rng(7));
        for (int i = 0; i < 8; i++) sampler.OnAdd(i);
        int[] counts = Histogram(sampler, new FakeSource(8, 8, 2, 5), 16, 200, 8);
        Assert.That(counts[2] + counts[5], Is.Zero);
        Assert.That(counts.Sum(), Is.EqualTo(3200));
    }

    [Test]
    public void ImportanceWeights_MatchDopamineFormula()
    {
        var w = new float[3];
        PrioritizedSampler.ImportanceWeights([0.1f, 0.4f, 0.025f], w);
        // 1/√p = 3.1623, 1.5811, 6.3246; divided by the max 6.3246.
        Assert.That(w[0], Is.EqualTo(0.5f).Within(1e-5));
        Assert.That(w[1], Is.EqualTo(0.25f).Within(1e-5));
        Assert.That(w[2], Is.EqualTo(1f));
    }

    [Test]
    public void Prioritized_BadInput_Throws()
    {
        var sampler = new PrioritizedSampler(4, new Rng(8));
        Assert.That(() => sampler.Bind(5), Throws.ArgumentException.With.Message.Contains("capacity 4"));
        Assert.That(() => sampler.UpdatePriorities([0], [float.NaN]), Throws.ArgumentException);
        Assert.That(() => sampler.UpdatePriorities([0, 1], [1f]), Throws.ArgumentException);
        Assert.That(() => sampler.Sample(new FakeSource(4, 0), new int[2], new float[2]), Throws.InvalidOperationException);
        Assert.That(() => sampler.Sample(new FakeSource(4, 4), new int[2], new float[3]), Throws.ArgumentException);
    }

    [Test]
    public void SameSeed_SameIndices()
    {
        int[] Run()
        {
            var sampler = new PrioritizedSampler(16, new Rng(9));
            for (int i = 0; i < 16; i++) sampler.OnAdd(i);
            sampler.UpdatePriorities([3, 4, 5], [0.5f, 2f, 9f]);
            var idx = new int[32];
            sampler.Sample(new FakeSource(16, 16), idx, new float[32]);
            return idx;
        }
        int[] first = Run();
        Assert.That(Run(), Is.EqualTo(first).AsCollection);
    }
}
