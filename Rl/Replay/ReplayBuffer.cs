namespace MoeScratch.Rl.Replay;

/// <summary>
/// Dopamine-style circular replay memory (google/dopamine <c>dopamine/tf/replay_memory/circular_replay_buffer.py</c>;
/// as Dopamine's Atari runs size it): each uint8 frame is stored once; stacked states and n-step returns are
/// assembled at sample time from consecutive slots.
/// </summary>
/// <remarks>
/// <para><b>Add protocol.</b> Call <see cref="Add"/> once per agent step, after the environment stepped, with
/// the observation the action was taken in (o_t), the action a_t, the reward r_t that followed, and how the step
/// ended. <c>terminal</c> marks a true MDP end (no bootstrapping); <c>episodeEnd</c> marks a cut by a time limit
/// (bootstrapping stays valid). Either one closes the episode: the next <see cref="Add"/> starts a new one.
/// The final observation after the last step is never stored, as in Dopamine.</para>
/// <para><b>Zero padding.</b> Unlike Dopamine, no blank frames are written at episode starts; every slot carries
/// an episode-start flag and the frames a stack would take from before that start are written as zeros.</para>
/// <para><b>Valid indices.</b> An index (a storage slot) holding transition t can be sampled when (1) its stack
/// does not reach past the oldest stored frame (nor past a frame added after <see cref="StartWithoutHistory"/>),
/// (2) the slots t..t+n−1 of its n-step window are all written (the window does not cross the write cursor) until a
/// terminal cuts it, (3) the window contains no truncated
/// episode end before a terminal (the return would cross the episode boundary and the next state after a
/// truncation is not stored; Dopamine drops these tails too) and (4) without a terminal, the next state's frame
/// t+n is written. Indices stay meaningful only until the next <see cref="Add"/> overwrites their slot: sample,
/// train and update priorities before adding more, as Dopamine does.</para>
/// </remarks>
public sealed partial class ReplayBuffer : IReplayIndexSource
{
    // FlagNoHistory: the slot continues an episode whose earlier frames were never stored (a dataset shard that begins
    // mid-episode), so no stack may reach past it.
    private const byte FlagTerminal = 1, FlagEpisodeEnd = 2, FlagEpisodeStart = 4, FlagNoHistory = 8;
    // Frames live in chunks of at most 256 MiB: a 1M Atari buffer (7 GB) does not fit one .NET array.
    private const int ChunkBytes = 1 << 28;

    private readonly byte[][] _frameChunks;
    private readonly int _framesPerChunk;
    private readonly int[] _actions;
    private readonly float[] _rewards;
    private readonly byte[] _flags;
    private readonly float[] _gammaPowers; // γ^k for k = 0..n (float32, like Dopamine's cumulative discount vector)
    private bool _nextIsEpisodeStart = true;
    private bool _nextHasNoHistory;

    /// <summary>Allocates all storage up front.</summary>
    /// <exception cref="ArgumentException">An invalid <paramref name="config"/> (see <see cref="ReplayConfig.Validate"/>).</exception>
    public ReplayBuffer(ReplayConfig config, ISampler sampler)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(sampler);
        config.Validate();
        sampler.Bind(config.Capacity);
        Config = config;
        Sampler = sampler;
        int n = config.Capacity, frame = config.FrameBytes;
        _framesPerChunk = Math.Max(1, Math.Min(n, ChunkBytes / frame));
        int chunks = (n + _framesPerChunk - 1) / _framesPerChunk;
        _frameChunks = new byte[chunks][];
        for (int c = 0; c < chunks; c++)
        {
            _frameChunks[c] = new byte[(long)Math.Min(_framesPerChunk, n - c * _framesPerChunk) * frame];
        }
        _actions = new int[n];
        _rewards = new float[n];
        _flags = new byte[n];
        _gammaPowers = new float[config.UpdateHorizon + 1];
        for (int k = 0; k <= config.UpdateHorizon; k++) _gammaPowers[k] = (float)Math.Pow(config.Gamma, k);
    }

    /// <summary>The configuration this buffer was built with.</summary>
    public ReplayConfig Config { get; }

    /// <summary>The sampler that <see cref="SampleIndices"/> uses.</summary>
    public ISampler Sampler { get; }

    /// <inheritdoc/>
    public int Capacity => Config.Capacity;

    /// <summary>
    /// Agent steps added since construction (not capped at the capacity). Unlike Dopamine's TF buffer, no blank
    /// padding transitions are counted, so this equals the number of <see cref="Add"/> calls.
    /// </summary>
    public long AddCount { get; private set; }

    /// <summary>Transitions currently stored, min(AddCount, Capacity).</summary>
    public int Count => (int)Math.Min(AddCount, Capacity);

    /// <summary>The slot the next <see cref="Add"/> writes.</summary>
    public int Cursor => (int)(AddCount % Capacity);

    /// <summary>Bytes this configuration needs; see <see cref="ReplayMemoryReport"/>.</summary>
    public static ReplayMemoryReport EstimateMemory(ReplayConfig config, bool prioritized) =>
        ReplayMemoryReport.For(config, prioritized);

    /// <summary>Stores one agent step (see the add protocol in the class remarks).</summary>
    /// <param name="frame">o_t, H·W·C bytes in HWC order.</param>
    /// <param name="action">a_t, taken in o_t.</param>
    /// <param name="reward">r_t, received after a_t (already clipped if the agent clips).</param>
    /// <param name="terminal">The step ended the MDP episode: no bootstrapping past it.</param>
    /// <param name="episodeEnd">The episode was cut here (time limit) without being terminal.</param>
    /// <exception cref="ArgumentException">Wrong frame size, negative action or non-finite reward.</exception>
    public void Add(ReadOnlySpan<byte> frame, int action, float reward, bool terminal, bool episodeEnd)
    {
        if (frame.Length != Config.FrameBytes)
        {
            throw new ArgumentException(
                $"ReplayBuffer.Add: the frame has {frame.Length} bytes but the config expects " +
                $"{Config.Height}×{Config.Width}×{Config.Channels} = {Config.FrameBytes}.", nameof(frame));
        }
        if (action < 0)
        {
            throw new ArgumentException($"ReplayBuffer.Add: action {action} must be ≥ 0.", nameof(action));
        }
        if (!float.IsFinite(reward))
        {
            throw new ArgumentException($"ReplayBuffer.Add: reward {reward} must be finite.", nameof(reward));
        }
        int slot = Cursor;
        frame.CopyTo(Frame(slot));
        _actions[slot] = action;
        _rewards[slot] = reward;
        byte flags = _nextIsEpisodeStart ? FlagEpisodeStart : _nextHasNoHistory ? FlagNoHistory : (byte)0;
        if (terminal) flags |= FlagTerminal | FlagEpisodeEnd;
        else if (episodeEnd) flags |= FlagEpisodeEnd;
        _flags[slot] = flags;
        _nextIsEpisodeStart = terminal || episodeEnd;
        _nextHasNoHistory = false;
        AddCount++;
        Sampler.OnAdd(slot);
    }

    /// <summary>
    /// Makes the next <see cref="Add"/> continue an episode whose earlier frames are not stored (a DQN Replay Dataset
    /// shard that begins mid-episode): its frame is no episode start, and no stack may reach before it, so it and the
    /// next StackSize − 2 transitions are not sampleable as stack ends. Call it right before that Add; it is not saved
    /// with the buffer.
    /// </summary>
    public void StartWithoutHistory()
    {
        _nextIsEpisodeStart = false;
        _nextHasNoHistory = true;
    }

    /// <inheritdoc/>
    public bool IsValidIndex(int index)
    {
        if ((uint)index >= (uint)Capacity || AddCount == 0) return false;
        long t = GlobalOf(index);
        return t >= 0 && IsValidGlobal(t);
    }

    /// <summary>Draws a batch of valid indices through <see cref="Sampler"/>; see <see cref="ISampler.Sample"/>.</summary>
    public void SampleIndices(Span<int> indices, Span<float> probabilities) =>
        Sampler.Sample(this, indices, probabilities);

    /// <summary>Forwards per-sample losses to the sampler (prioritized: priority = √(loss + 1e-10)).</summary>
    public void UpdatePriorities(ReadOnlySpan<int> indices, ReadOnlySpan<float> losses) =>
        Sampler.UpdatePriorities(indices, losses);

    /// <summary>The global add number stored in <paramref name="slot"/>, or −1 if the slot was never written.</summary>
    private long GlobalOf(int slot)
    {
        if (AddCount <= Capacity) return slot < AddCount ? slot : -1;
        return AddCount - 1 - ((AddCount - 1 - slot) % Capacity);
    }

    private int Slot(long t) => (int)(t % Capacity);

    private bool IsValidGlobal(long t)
    {
        long oldest = AddCount - Count;
        if (t < oldest || t >= AddCount) return false;
        // (1) The stack reaches back StackSize−1 frames unless an episode start stops it first; it may not pass a
        // frame whose history was never stored.
        long j = t;
        for (int k = 1; k < Config.StackSize; k++)
        {
            byte f = _flags[Slot(j)];
            if ((f & FlagEpisodeStart) != 0) break;
            if ((f & FlagNoHistory) != 0) return false;
            j--;
            if (j < oldest) return false;
        }
        // (2)–(4) The n-step window.
        for (int k = 0; k < Config.UpdateHorizon; k++)
        {
            long g = t + k;
            if (g >= AddCount) return false;
            byte f = _flags[Slot(g)];
            if ((f & FlagTerminal) != 0) return true;
            if ((f & FlagEpisodeEnd) != 0) return false;
        }
        return t + Config.UpdateHorizon < AddCount;
    }

    private Span<byte> Frame(int slot)
    {
        int frame = Config.FrameBytes;
        int chunk = slot / _framesPerChunk;
        return _frameChunks[chunk].AsSpan((slot - chunk * _framesPerChunk) * frame, frame);
    }
}
