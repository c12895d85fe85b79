using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Replay;

public class ReplayPersistenceTests
{
    private static readonly ReplayConfig Config = new()
    {
        Capacity = 64, Height = 2, Width = 3, Channels = 1, StackSize = 4, UpdateHorizon = 3, Gamma = 0.99f, BatchSize = 8,
    };

    private static ReplayBuffer Make(bool prioritized, ulong seed) =>
        new(Config, prioritized ? new PrioritizedSampler(Config.Capacity, new Rng(seed)) : new UniformSampler(new Rng(seed)));

    /// <summary>Deterministic pseudo-environment: step k of a run always adds the same transition.</summary>
    private static void AddSteps(ReplayBuffer buffer, long from, int count)
    {
        var frame = new byte[Config.FrameBytes];
        for (long k = from; k < from + count; k++)
        {
            for (int i = 0; i < frame.Length; i++) frame[i] = (byte)(k * 31 + i * 7);
            buffer.Add(frame, (int)(k % 5), (k % 7) - 3, terminal: k % 23 == 22, episodeEnd: k % 37 == 36);
        }
    }

    /// <summary>One training step: sample, fill, feed back losses derived from the batch. Returns all outputs.</summary>
    private static byte[] TrainStep(ReplayBuffer buffer)
    {
        int b = Config.BatchSize, sb = Config.StateBytes;
        var idx = new int[b];
        var p = new float[b];
        var s = new byte[b * sb];
        var n = new byte[b * sb];
        var a = new int[b];
        var r = new float[b];
        var d = new float[b];
        buffer.SampleIndices(idx, p);
        buffer.FillBatch(idx, s, a, r, d, n);
        var losses = new float[b];
        for (int i = 0; i < b; i++) losses[i] = MathF.Abs(r[i]) + 0.1f * a[i];
        buffer.UpdatePriorities(idx, losses);
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        foreach (int v in idx) w.Write(v);
        foreach (float v in p) w.Write(v);
        w.Write(s);
        w.Write(n);
        foreach (int v in a) w.Write(v);
        foreach (float v in r) w.Write(v);
        foreach (float v in d) w.Write(v);
        w.Flush();
        return ms.ToArray();
    }

    private static byte[] Saved(ReplayBuffer buffer)
    {
        using var ms = new MemoryStream();
        buffer.Save(ms);
        return ms.ToArray();
    }

    [Test]
    public void SaveLoad_ReproducesSubsequentSamplesBitForBit([Values] bool prioritized)
    {
        var original = Make(prioritized, seed: 1);
        AddSteps(original, 0, 150); // wrapped twice, mid-episode
        for (int k = 0; k < 5; k++) TrainStep(original);
        byte[] checkpoint = Saved(original);

        var restored = Make(prioritized, seed: 999);
        restored.Load(new MemoryStream(checkpoint));
        Assert.That(restored.AddCount, Is.EqualTo(original.AddCount));
        Assert.That(Saved(restored), Is.EqualTo(checkpoint).AsCollection, "re-saving must give the same bytes");

        long step = 150;
        for (int k = 0; k < 30; k++)
        {
            Assert.That(TrainStep(restored), Is.EqualTo(TrainStep(original)).AsCollection, $"training step {k}");
            AddSteps(original, step, 4);
            AddSteps(restored, step, 4);
            step += 4;
        }
        Assert.That(Saved(restored), Is.EqualTo(Saved(original)).AsCollection);
    }

    [Test]
    public void Load_RejectsForeignOrMismatchedCheckpoints()
    {
        var buffer = Make(prioritized: true, seed: 1);
        AddSteps(buffer, 0, 40);
        byte[] good = Saved(buffer);

        byte[] badMagic = (byte[])good.Clone();
        badMagic[0] ^= 0xFF;
        Assert.That(() => Make(true, 2).Load(new MemoryStream(badMagic)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("bad magic"));

        byte[] badVersion = (byte[])good.Clone();
        badVersion[4] = 9;
        Assert.That(() => Make(true, 2).Load(new MemoryStream(badVersion)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("format version 9"));

        var otherConfig = new ReplayBuffer(Config with { Capacity = 65 }, new PrioritizedSampler(65, new Rng(2)));
        Assert.That(() => otherConfig.Load(new MemoryStream(good)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("Capacity = 64"));

        Assert.That(() => Make(prioritized: false, seed: 2).Load(new MemoryStream(good)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("'prioritized' sampler"));

        Assert.That(() => Make(true, 2).Load(new MemoryStream(good, 0, good.Length / 2)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("truncated"));
        Assert.That(() => Make(true, 2).Load(new MemoryStream(good, 0, good.Length - 3)),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("truncated"));
    }

    [Test]
    public void Load_EmptyBuffer_RoundTrips()
    {
        byte[] empty = Saved(Make(false, 5));
        var restored = Make(false, 6);
        AddSteps(restored, 0, 10);
        restored.Load(new MemoryStream(empty));
        Assert.That(restored.AddCount, Is.Zero);
        Assert.That(restored.IsValidIndex(0), Is.False);
    }
}
