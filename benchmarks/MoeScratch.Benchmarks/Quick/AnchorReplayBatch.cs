using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>Sizes of the network workloads: the anchors' (<see cref="Anchor"/>) or the smoke run's.</summary>
/// <param name="Batch">Replay minibatch (the training steps' batch).</param>
/// <param name="Side">Frame height and width.</param>
/// <param name="Stack">Stacked frames (input channels).</param>
/// <param name="Actions">Width of the Q head.</param>
public sealed record WorkloadSize(int Batch, int Side, int Stack, int Actions)
{
    /// <summary>The anchors': batch 32 of 84×84×4 frames, 18 actions (the full Atari action set).</summary>
    public static WorkloadSize Anchor { get; } = new(32, 84, 4, AnchorNetworks.Actions);

    /// <summary>
    /// <c>--smoke</c>: batch 2 of 12×12×1 frames, 3 actions, for <see cref="SmokeNetworks"/>. 12 leaves 2×2
    /// positions after the smoke convolutions, so the Soft MoE still mixes 4 tokens.
    /// </summary>
    public static WorkloadSize Smoke { get; } = new(2, 12, 1, SmokeNetworks.Actions);

    /// <summary>The harness's <c>minatar</c> group: batch 32 of Breakout's 10×10×4 0/1 frames, 6 actions.</summary>
    public static WorkloadSize MinAtar { get; } = new(32, MinAtarNetworks.Side, MinAtarNetworks.Channels, MinAtarNetworks.Actions);

    /// <summary>Bytes of one frame stack.</summary>
    public int FrameBytes => Side * Side * Stack;

    /// <summary>NHWC shape of <paramref name="batch"/> frame stacks.</summary>
    public Shape Frames(int batch) => new(batch, Side, Side, Stack);
}

/// <summary>
/// A fixed replay minibatch, generated like the anchors' <c>ReplayBatch</c> (Workloads.cs: System.Random(seed),
/// frames by NextBytes, actions Next(actions), rewards Next(3) − 1, terminal with probability 0.02). Everything stays
/// on the host, as in a replay buffer: the trainer uploads it every step, and frames stay bytes so the uint8 →
/// float/255 conversion is inside the timed step, as in the anchor. Layout is NHWC [B, side, side, stack].
/// </summary>
public sealed class AnchorReplayBatch
{
    /// <summary>Builds the batch.</summary>
    /// <param name="size">Sizes.</param>
    /// <param name="seed">System.Random seed.</param>
    /// <param name="binary">MinAtar cells: each byte b becomes 1 when b &lt; 26 (about 10% set), else 0, as the
    /// harness's binary batch; the bytes are drawn in its NCHW order and stored NHWC, so both hold the same frames.</param>
    public AnchorReplayBatch(WorkloadSize size, int seed, bool binary = false)
    {
        ArgumentNullException.ThrowIfNull(size);
        var rng = new Random(seed);
        Size = size;
        States = Frames(rng, size, binary);
        NextStates = Frames(rng, size, binary);
        Actions = new float[size.Batch];
        for (int i = 0; i < size.Batch; i++) Actions[i] = rng.Next(size.Actions);
        Rewards = new float[size.Batch];
        for (int i = 0; i < size.Batch; i++) Rewards[i] = rng.Next(3) - 1;
        NotDone = new float[size.Batch];
        for (int i = 0; i < size.Batch; i++) NotDone[i] = rng.NextDouble() < 0.02 ? 0f : 1f;
    }

    private static byte[] Frames(Random rng, WorkloadSize size, bool binary)
    {
        var b = new byte[size.Batch * size.FrameBytes];
        rng.NextBytes(b);
        if (!binary) return b; // random bytes: the layout does not matter
        int hw = size.Side * size.Side, c = size.Stack;
        var nhwc = new byte[b.Length];
        for (int i = 0; i < size.Batch; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int p = 0; p < hw; p++) nhwc[(i * hw + p) * c + ch] = (byte)(b[(i * c + ch) * hw + p] < 26 ? 1 : 0);
            }
        }
        return nhwc;
    }

    /// <summary>The sizes it was built for.</summary>
    public WorkloadSize Size { get; }

    /// <summary>Batch size.</summary>
    public int Batch => Size.Batch;

    /// <summary>uint8 states [B, side, side, stack].</summary>
    public byte[] States { get; }

    /// <summary>uint8 next states.</summary>
    public byte[] NextStates { get; }

    /// <summary>Action indices [B] (float-coded, as Gather takes them).</summary>
    public float[] Actions { get; }

    /// <summary>Rewards [B].</summary>
    public float[] Rewards { get; }

    /// <summary>1 − terminal [B].</summary>
    public float[] NotDone { get; }
}
