namespace MoeScratch.Rl.Replay;

/// <summary>
/// Shape and maths of a <see cref="ReplayBuffer"/>. Defaults are Dopamine's Atari DQN settings
/// (P1 Table 2: capacity 1M, 84×84×1 frames stacked ×4, n = 1, γ = 0.99, batch 32).
/// </summary>
public sealed record ReplayConfig
{
    /// <summary>Number of transitions (single frames) kept; the oldest is overwritten first.</summary>
    public int Capacity { get; init; } = 1_000_000;

    /// <summary>Frame height H.</summary>
    public int Height { get; init; } = 84;

    /// <summary>Frame width W.</summary>
    public int Width { get; init; } = 84;

    /// <summary>Channels C of one frame (1 for grayscale Atari, up to 10 for MinAtar).</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Frames stacked into one state along the channel axis (4 for Atari, 1 for MinAtar).</summary>
    public int StackSize { get; init; } = 4;

    /// <summary>n of the n-step return (1 for DQN, 3 for Rainbow, 10 for DER).</summary>
    public int UpdateHorizon { get; init; } = 1;

    /// <summary>Discount γ per agent step.</summary>
    public float Gamma { get; init; } = 0.99f;

    /// <summary>The agent's batch size; only used to check that the capacity is large enough.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Bytes of one frame, H·W·C.</summary>
    public int FrameBytes => Height * Width * Channels;

    /// <summary>Bytes of one stacked state [H, W, StackSize·C].</summary>
    public int StateBytes => FrameBytes * StackSize;

    /// <summary>Checks every field; called by the <see cref="ReplayBuffer"/> constructor before allocating.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it and the fix.</exception>
    public void Validate()
    {
        Positive(Height, nameof(Height));
        Positive(Width, nameof(Width));
        Positive(Channels, nameof(Channels));
        Positive(StackSize, nameof(StackSize));
        Positive(UpdateHorizon, nameof(UpdateHorizon));
        Positive(BatchSize, nameof(BatchSize));
        Positive(Capacity, nameof(Capacity));
        if (!(Gamma >= 0f && Gamma <= 1f))
        {
            throw new ArgumentException($"ReplayConfig.Gamma = {Gamma} must lie in [0, 1].");
        }
        long state = (long)Height * Width * Channels * StackSize;
        if (state > int.MaxValue / 2)
        {
            throw new ArgumentException(
                $"ReplayConfig: a stacked state of {Height}×{Width}×{Channels}×{StackSize} = {state} bytes is too " +
                "large for one batch row; use smaller frames or a smaller StackSize.");
        }
        // Dopamine refuses a capacity that cannot hold the stack and the n-step window
        // (circular_replay_buffer.py); we also require room for one batch, as the brief asks.
        long needed = (long)BatchSize + UpdateHorizon + StackSize;
        if (Capacity < needed)
        {
            throw new ArgumentException(
                $"ReplayConfig.Capacity = {Capacity} is too small: it must be at least BatchSize ({BatchSize}) + " +
                $"UpdateHorizon ({UpdateHorizon}) + StackSize ({StackSize}) = {needed}. Raise Capacity or lower " +
                "the others.");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"ReplayConfig.{name} = {value} must be positive.");
        }
    }
}
