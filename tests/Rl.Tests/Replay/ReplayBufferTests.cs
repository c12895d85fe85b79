using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Replay;

public class ReplayBufferTests
{
    private static ReplayBuffer Uniform(ReplayConfig c, ulong seed = 1) => new(c, new UniformSampler(new Rng(seed)));

    private sealed record Row(byte[] State, int Action, float Return, float Discount, byte[] Next);

    private static Row Fill(ReplayBuffer buffer, int index)
    {
        int sb = buffer.Config.StateBytes;
        var s = new byte[sb];
        var n = new byte[sb];
        var a = new int[1];
        var r = new float[1];
        var d = new float[1];
        buffer.FillBatch([index], s, a, r, d, n);
        return new Row(s, a[0], r[0], d[0], n);
    }

    [Test]
    public void Stacking_ZeroPadsBeforeEpisodeStart_HandWorked()
    {
        // 1×2 frames, one channel, stack 4: a state is [pixel0: f0 f1 f2 f3, pixel1: f0 f1 f2 f3].
        var buffer = Uniform(new ReplayConfig { Capacity = 32, Height = 1, Width = 2, StackSize = 4, BatchSize = 1 });
        for (int t = 0; t < 6; t++)
        {
            bool terminal = t == 2; // episode 1 = steps 0..2, episode 2 = steps 3..5
            buffer.Add([(byte)(t + 1), (byte)(t + 101)], action: t, reward: 0f, terminal, episodeEnd: false);
        }
        Assert.That(Fill(buffer, 0).State, Is.EqualTo(new byte[] { 0, 0, 0, 1, 0, 0, 0, 101 }).AsCollection);
        Row r1 = Fill(buffer, 1);
        Assert.That(r1.State, Is.EqualTo(new byte[] { 0, 0, 1, 2, 0, 0, 101, 102 }).AsCollection);
        Assert.That(r1.Next, Is.EqualTo(new byte[] { 0, 1, 2, 3, 0, 101, 102, 103 }).AsCollection);
        // The first state of episode 2 does not see episode 1's frames.
        Row r3 = Fill(buffer, 3);
        Assert.That(r3.State, Is.EqualTo(new byte[] { 0, 0, 0, 4, 0, 0, 0, 104 }).AsCollection);
        Assert.That(r3.Next, Is.EqualTo(new byte[] { 0, 0, 4, 5, 0, 0, 104, 105 }).AsCollection);
        Assert.That(r3.Action, Is.EqualTo(3));
    }

    [Test]
    public void Stacking_MultiChannel_InterleavesFramesAlongChannels()
    {
        var buffer = Uniform(new ReplayConfig { Capacity = 16, Height = 1, Width = 1, Channels = 2, StackSize = 2, BatchSize = 1 });
        buffer.Add([10, 20], 0, 0f, false, false);
        buffer.Add([11, 21], 0, 0f, false, false);
        buffer.Add([12, 22], 0, 0f, false, false);
        Row r = Fill(buffer, 1);
        Assert.That(r.State, Is.EqualTo(new byte[] { 10, 20, 11, 21 }).AsCollection);
        Assert.That(r.Next, Is.EqualTo(new byte[] { 11, 21, 12, 22 }).AsCollection);
    }

    [Test]
    public void NStep_SumsDiscountedRewards_AndCutsAtTerminal()
    {
        var c = new ReplayConfig { Capacity = 32, Height = 1, Width = 1, StackSize = 1, UpdateHorizon = 3, Gamma = 0.5f, BatchSize = 1 };
        var buffer = Uniform(c);
        float[] rewards = [1, 2, 4, 8, 16];
        for (int t = 0; t < 5; t++) buffer.Add([(byte)(t + 1)], t, rewards[t], terminal: t == 4, episodeEnd: false);

        Row r0 = Fill(buffer, 0); // 1 + 0.5·2 + 0.25·4, bootstrap γ³ from step 3
        Assert.That(r0.Return, Is.EqualTo(3f));
        Assert.That(r0.Discount, Is.EqualTo(0.125f));
        Assert.That(r0.Next, Is.EqualTo(new byte[] { 4 }).AsCollection);
        Row r2 = Fill(buffer, 2); // 4 + 0.5·8 + 0.25·16, terminal at step 4 lies in the window
        Assert.That(r2.Return, Is.EqualTo(12f));
        Assert.That(r2.Discount, Is.Zero);
        Row r3 = Fill(buffer, 3); // 8 + 0.5·16, cut at the terminal
        Assert.That(r3.Return, Is.EqualTo(16f));
        Assert.That(r3.Discount, Is.Zero);
        Assert.That(r3.Next, Is.EqualTo(new byte[] { 0 }).AsCollection);
        Row r4 = Fill(buffer, 4);
        Assert.That(r4.Return, Is.EqualTo(16f));
        Assert.That(r4.Discount, Is.Zero);
    }

    [Test]
    public void Truncation_IsNotTerminal_AndWindowsCrossingItAreInvalid()
    {
        var c = new ReplayConfig { Capacity = 32, Height = 1, Width = 1, StackSize = 2, UpdateHorizon = 3, Gamma = 0.5f, BatchSize = 1 };
        var buffer = Uniform(c);
        // Episode 1: steps 0..4, cut by a time limit at step 4. Episode 2: steps 5..9.
        for (int t = 0; t < 10; t++) buffer.Add([(byte)(t + 1)], 0, 1f, terminal: false, episodeEnd: t == 4);

        Row r1 = Fill(buffer, 1); // window 1..3, next state = step 4, still bootstrapped
        Assert.That(r1.Return, Is.EqualTo(1.75f));
        Assert.That(r1.Discount, Is.EqualTo(0.125f), "a truncation must not zero the discount");
        Assert.That(r1.Next, Is.EqualTo(new byte[] { 4, 5 }).AsCollection);
        foreach (int t in new[] { 2, 3, 4 }) Assert.That(buffer.IsValidIndex(t), Is.False, $"step {t} crosses the cut");
        Assert.That(buffer.IsValidIndex(5), Is.True);
        Assert.That(Fill(buffer, 5).State, Is.EqualTo(new byte[] { 0, 6 }).AsCollection);
        // The last n steps of the ongoing episode wait for the cursor to move on.
        Assert.That(buffer.IsValidIndex(6), Is.True);
        foreach (int t in new[] { 7, 8, 9 }) Assert.That(buffer.IsValidIndex(t), Is.False, $"step {t} crosses the cursor");
        Assert.That(buffer.IsValidIndex(10), Is.False, "never written");
    }

    // Channels 1 with stack 4 takes the interleaving fast path (3×7 = 16 SIMD pixels + a scalar tail of 5).
    [TestCase(1, 1, 0.0, 2)]
    [TestCase(4, 1, 0.05, 2)]
    [TestCase(4, 3, 0.02, 2)]
    [TestCase(2, 10, 0.01, 2)]
    [TestCase(4, 3, 0.03, 1)]
    [TestCase(3, 2, 0.03, 1)]
    public void WrapAround_ValidityAndBatches_MatchReference(int stack, int n, double endRate, int channels)
    {
        var c = new ReplayConfig
        {
            Capacity = 23, Height = 3, Width = 7, Channels = channels, StackSize = stack, UpdateHorizon = n, Gamma = 0.9f, BatchSize = 4,
        };
        var buffer = Uniform(c);
        var reference = new ReplayReference(c);
        var rng = new Rng(42);
        for (int step = 0; step < 200; step++)
        {
            double u = rng.NextDouble();
            reference.Add(buffer, rng.NextInt(6), rng.NextInt(5) - 2, terminal: u < endRate, end: u >= endRate && u < 2 * endRate);
            for (int slot = 0; slot < c.Capacity; slot++)
            {
                long t = reference.GlobalOfSlot(slot);
                bool expected = t >= 0 && reference.IsValid(t);
                Assert.That(buffer.IsValidIndex(slot), Is.EqualTo(expected), $"step {step}, slot {slot} (t = {t})");
                if (!expected) continue;
                Row row = Fill(buffer, slot);
                var target = reference.Target(t);
                Assert.That(row.State, Is.EqualTo(reference.State(t)).AsCollection, $"state of t = {t}");
                Assert.That(row.Action, Is.EqualTo(target.Action));
                Assert.That(row.Return, Is.EqualTo(target.Return).Within(1e-5));
                Assert.That(row.Discount, Is.EqualTo(target.Discount).Within(1e-6));
                Assert.That(row.Next, Is.EqualTo(target.Next).AsCollection, $"next state of t = {t}");
            }
        }
    }

    [Test]
    public void Sampling_AfterWrap_NeverReturnsInvalidIndices([Values] bool prioritized)
    {
        var c = new ReplayConfig { Capacity = 40, Height = 1, Width = 1, StackSize = 4, UpdateHorizon = 3, BatchSize = 8 };
        ISampler sampler = prioritized ? new PrioritizedSampler(40, new Rng(3)) : new UniformSampler(new Rng(3));
        var buffer = new ReplayBuffer(c, sampler);
        var reference = new ReplayReference(c);
        var rng = new Rng(4);
        var idx = new int[8];
        var p = new float[8];
        for (int step = 0; step < 400; step++)
        {
            double u = rng.NextDouble();
            reference.Add(buffer, 0, 1f, terminal: u < 0.08, end: u >= 0.08 && u < 0.12);
            if (step < 30) continue;
            buffer.SampleIndices(idx, p);
            foreach (int i in idx) Assert.That(reference.IsValid(reference.GlobalOfSlot(i)), Is.True, $"step {step}, index {i}");
            if (prioritized) buffer.UpdatePriorities(idx, p); // any non-negative losses
        }
    }

    [Test]
    public void BadArguments_GiveClearErrors()
    {
        Assert.That(() => Uniform(new ReplayConfig { Capacity = 10, StackSize = 4, UpdateHorizon = 3, BatchSize = 32 }),
            Throws.ArgumentException.With.Message.Contains("at least BatchSize (32) + UpdateHorizon (3) + StackSize (4) = 39"));
        Assert.That(() => Uniform(new ReplayConfig { Capacity = 100, Height = 0 }), Throws.ArgumentException.With.Message.Contains("Height"));
        Assert.That(() => Uniform(new ReplayConfig { Capacity = 100, Gamma = 1.5f }), Throws.ArgumentException.With.Message.Contains("Gamma"));
        Assert.That(() => new ReplayBuffer(new ReplayConfig { Capacity = 100, Height = 1, Width = 1 }, new PrioritizedSampler(99, new Rng(1))),
            Throws.ArgumentException.With.Message.Contains("capacity 99"));
        var buffer = Uniform(new ReplayConfig { Capacity = 64, Height = 1, Width = 2, StackSize = 1, BatchSize = 1 });
        Assert.That(() => buffer.Add(new byte[3], 0, 0f, false, false), Throws.ArgumentException.With.Message.Contains("expects 1×2×1 = 2"));
        Assert.That(() => buffer.Add(new byte[2], 0, float.NaN, false, false), Throws.ArgumentException);
        buffer.Add(new byte[2], 0, 0f, false, false);
        Assert.That(() => Fill(buffer, 0), Throws.ArgumentException.With.Message.Contains("not a valid transition"));
        buffer.Add(new byte[2], 0, 0f, false, false);
        Assert.That(() => buffer.FillBatch([0], new byte[3], new int[1], new float[1], new float[1], new byte[2]),
            Throws.ArgumentException.With.Message.Contains("states"));
    }
}
