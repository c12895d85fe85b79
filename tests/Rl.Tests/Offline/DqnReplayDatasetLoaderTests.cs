using MoeScratch.Rl.Offline;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;
using static MoeScratch.Rl.Tests.Offline.NpyTestFiles;

namespace MoeScratch.Rl.Tests.Offline;

/// <summary>
/// Issue 16.4: DQN Replay Dataset shards are dumps of Dopamine's circular buffer, which writes stack_size − 1 all-zero
/// padding transitions before every episode. The shards here are written by the test in that layout.
/// </summary>
public class DqnReplayDatasetLoaderTests
{
    private const char Pad = 'p', Step = 's', Terminal = 't';
    private string _dir = "";

    [SetUp]
    public void SetUp() => System.IO.Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "dqnrd-load-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => System.IO.Directory.Delete(_dir, true);

    /// <summary>
    /// Writes shard 0 from a layout string: 'p' a zero padding transition (zero 2×2 frame, action 0, reward 0), 's' a
    /// real step (every pixel = its index + 1, action 1, reward 1), 't' a real terminal step.
    /// </summary>
    private void WriteShard(string layout)
    {
        int n = layout.Length;
        var frames = new byte[n * 4];
        for (int i = 0; i < n; i++)
            if (layout[i] != Pad) frames.AsSpan(i * 4, 4).Fill((byte)(i + 1));
        void Write(string name, byte[] npy) => File.WriteAllBytes(Path.Combine(_dir, DqnReplayDatasetReader.FileName(name, 0)), Gzip(npy));
        Write("observation", Npy("|u1", $"({n}, 2, 2)", frames));
        Write("action", Npy("<i4", $"({n},)", Bytes(layout.Select(c => c == Pad ? 0 : 1).ToArray())));
        Write("reward", Npy("<f4", $"({n},)", Bytes(layout.Select(c => c == Pad ? 0f : 1f).ToArray())));
        Write("terminal", Npy("|u1", $"({n},)", layout.Select(c => (byte)(c == Terminal ? 1 : 0)).ToArray()));
    }

    private static ReplayBuffer Buffer() => new(
        new ReplayConfig { Capacity = 64, Height = 2, Width = 2, Channels = 1, StackSize = 4, UpdateHorizon = 1, BatchSize = 4 },
        new UniformSampler(new Rng(0)));

    /// <summary>The newest frame (last channel of pixel 0) of the state at each index, and its action.</summary>
    private static (byte Frame, int Action)[] StateEnds(ReplayBuffer buffer, int[] indices)
    {
        int b = indices.Length, state = buffer.Config.StateBytes;
        var states = new byte[b * state];
        var actions = new int[b];
        buffer.FillBatch(indices, states, actions, new float[b], new float[b], new byte[b * state]);
        return [.. Enumerable.Range(0, b).Select(i => (states[(i * state) + 3], actions[i]))];
    }

    [Test]
    public void Padding_IsDropped_AndTheNextRealFrameStartsAnEpisode()
    {
        // Two episodes as Dopamine stores them: padding, 5 steps ending in a terminal, padding, 4 steps.
        WriteShard("ppp" + "sssst" + "ppp" + "ssss");
        var buffer = Buffer();
        Assert.That(DqnReplayDatasetLoader.Fill(buffer, _dir, 0), Is.EqualTo(9));
        Assert.That(buffer.Count, Is.EqualTo(9), "only the 9 real transitions are stored");
        int[] valid = [.. Enumerable.Range(0, 64).Where(buffer.IsValidIndex)];
        Assert.That(valid, Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }), "every real transition but the shard's last (no next state)");
        var ends = StateEnds(buffer, valid);
        Assert.That(ends.Select(e => e.Action), Has.All.EqualTo(1), "no padding transition is sampleable");
        Assert.That(ends.Select(e => (int)e.Frame), Is.EqualTo(new[] { 4, 5, 6, 7, 8, 12, 13, 14 }));

        // The second episode's first state is its own frame behind zeros, not frames of the first episode.
        var states = new byte[buffer.Config.StateBytes];
        buffer.FillBatch([5], states, new int[1], new float[1], new float[1], new byte[buffer.Config.StateBytes]);
        Assert.That(states.Take(4), Is.EqualTo(new byte[] { 0, 0, 0, 12 }));
    }

    [Test]
    public void AShardThatBeginsMidEpisode_CannotEndStacksInItsFirstStackMinusOneEntries()
    {
        // A wrapped buffer's dump starts wherever the cursor left it: here inside an episode.
        WriteShard("ssst" + "ppp" + "sss");
        var buffer = Buffer();
        Assert.That(DqnReplayDatasetLoader.Fill(buffer, _dir, 0), Is.EqualTo(7));
        Assert.That(Enumerable.Range(0, 3).Select(buffer.IsValidIndex), Has.All.False, "their earlier frames are not in the shard");
        Assert.That(buffer.IsValidIndex(3), Is.True, "the fourth entry has a full stack inside the shard");
        Assert.That(StateEnds(buffer, [3]).Single(), Is.EqualTo(((byte)4, 1)));
        Assert.That(Enumerable.Range(4, 2).Select(buffer.IsValidIndex), Has.All.True, "after the padding an episode starts");
    }

    [Test]
    public void MaxTransitions_CountsRealTransitions()
    {
        WriteShard("ppp" + "sst" + "ppp" + "sss");
        var buffer = Buffer();
        Assert.That(DqnReplayDatasetLoader.Fill(buffer, _dir, 0, maxTransitions: 4), Is.EqualTo(4));
        Assert.That(buffer.Count, Is.EqualTo(4));
        int[] valid = [.. Enumerable.Range(0, 64).Where(buffer.IsValidIndex)];
        Assert.That(StateEnds(buffer, valid).Select(e => ((int)e.Frame, e.Action)), Is.EqualTo(new[] { (4, 1), (5, 1), (6, 1) }),
                    "the four real transitions, the last one ending the load");
    }
}
