using System.Runtime.InteropServices;
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Rl.Agents;

namespace MoeScratch.Rl.Offline;

/// <summary>
/// Collects a run's transitions in Dopamine's replay layout (one frame o_t, action a_t, reward r_t and terminal flag
/// per agent step, the final frame of an episode not stored) and writes them as a DQN Replay Dataset checkpoint
/// (<see cref="WriteCheckpoint"/>): <c>$store$_&lt;name&gt;_ckpt.&lt;N&gt;.gz</c> for observation, action, reward and
/// terminal, which <see cref="DqnReplayDatasetReader"/> reads, plus <c>$store$_episode_end_ckpt.&lt;N&gt;.gz</c> marking
/// time-limit truncations (not in Dopamine's files; <see cref="DqnReplayDatasetLoader"/> uses it when present).
/// </summary>
public sealed class TransitionRecorder
{
    /// <summary>Name of the extra truncation array.</summary>
    public const string EpisodeEndArray = "episode_end";

    private readonly MemoryStream _frames = new();
    private readonly List<int> _actions = [];
    private readonly List<float> _rewards = [];
    private readonly List<byte> _terminals = [];
    private readonly List<byte> _episodeEnds = [];

    /// <summary>Creates a recorder for frames of shape [H, W, C] (C = 1 is written as (N, H, W), like Atari).</summary>
    public TransitionRecorder(IReadOnlyList<int> frameShape)
    {
        ArgumentNullException.ThrowIfNull(frameShape);
        if (frameShape.Count != 3 || frameShape.Any(d => d < 1))
            throw new ArgumentException($"TransitionRecorder: frame shape [{string.Join(", ", frameShape)}] must be [H, W, C] with positive sizes.", nameof(frameShape));
        FrameShape = [.. frameShape];
        FrameBytes = frameShape[0] * frameShape[1] * frameShape[2];
    }

    /// <summary>Frame shape [H, W, C].</summary>
    public IReadOnlyList<int> FrameShape { get; }

    /// <summary>Bytes per frame.</summary>
    public int FrameBytes { get; }

    /// <summary>Transitions recorded since the last <see cref="WriteCheckpoint"/>.</summary>
    public int Count => _actions.Count;

    /// <summary>Records one agent step (the <see cref="Replay.ReplayBuffer.Add"/> protocol).</summary>
    public void Add(ReadOnlySpan<byte> frame, int action, float reward, bool terminal, bool episodeEnd)
    {
        if (frame.Length != FrameBytes)
            throw new ArgumentException($"TransitionRecorder.Add: frame has {frame.Length} bytes, expected {FrameBytes} for [{string.Join(", ", FrameShape)}].", nameof(frame));
        _frames.Write(frame);
        _actions.Add(action);
        _rewards.Add(reward);
        _terminals.Add(terminal ? (byte)1 : (byte)0);
        _episodeEnds.Add(terminal || episodeEnd ? (byte)1 : (byte)0);
    }

    /// <summary>
    /// Writes the recorded transitions as checkpoint <paramref name="checkpoint"/> in <paramref name="directory"/> and
    /// clears the recorder. Each file is written atomically and the observation file last, so
    /// <see cref="DqnReplayDatasetReader.AvailableCheckpoints"/> never lists a half-written checkpoint.
    /// </summary>
    public void WriteCheckpoint(string directory, int checkpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(checkpoint);
        long n = Count;
        Write("action", NpyDType.Int32, [n], MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_actions)).ToArray());
        Write("reward", NpyDType.Float32, [n], MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_rewards)).ToArray());
        Write("terminal", NpyDType.UInt8, [n], [.. _terminals]);
        Write(EpisodeEndArray, NpyDType.UInt8, [n], [.. _episodeEnds]);
        long[] obsShape = FrameShape[2] == 1 ? [n, FrameShape[0], FrameShape[1]] : [n, FrameShape[0], FrameShape[1], FrameShape[2]];
        Write("observation", NpyDType.UInt8, obsShape, _frames.ToArray());
        _frames.SetLength(0);
        _actions.Clear();
        _rewards.Clear();
        _terminals.Clear();
        _episodeEnds.Clear();

        void Write(string name, NpyDType dtype, long[] shape, byte[] data) =>
            AtomicFile.Write(Path.Combine(directory, DqnReplayDatasetReader.FileName(name, checkpoint)), s => NpyWriter.WriteGzip(s, dtype, shape, data));
    }
}

/// <summary>
/// Wraps an agent and records the transitions it is trained on (evaluation episodes are skipped) into a
/// <see cref="TransitionRecorder"/>, without changing what the agent sees or does.
/// </summary>
public sealed class RecordingAgent(IAgent inner, TransitionRecorder recorder) : IAgent
{
    private readonly IAgent _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly TransitionRecorder _recorder = recorder ?? throw new ArgumentNullException(nameof(recorder));
    private byte[]? _frame;
    private int _action;

    /// <summary>The recorder.</summary>
    public TransitionRecorder Recorder => _recorder;

    /// <inheritdoc/>
    public int ActionCount => _inner.ActionCount;

    /// <inheritdoc/>
    public bool EvalMode { get => _inner.EvalMode; set => _inner.EvalMode = value; }

    /// <inheritdoc/>
    public AgentStats Stats => _inner.Stats;

    /// <inheritdoc/>
    public int BeginEpisode(ReadOnlySpan<byte> frame) => Remember(frame, _inner.BeginEpisode(frame));

    /// <inheritdoc/>
    public int Step(float reward, ReadOnlySpan<byte> frame)
    {
        Record(reward, terminal: false, episodeEnd: false);
        return Remember(frame, _inner.Step(reward, frame));
    }

    /// <inheritdoc/>
    public void EndEpisode(float reward, bool terminal)
    {
        Record(reward, terminal, episodeEnd: true);
        _frame = null;
        _inner.EndEpisode(reward, terminal);
    }

    /// <inheritdoc/>
    public void Dispose() => _inner.Dispose();

    private int Remember(ReadOnlySpan<byte> frame, int action)
    {
        _frame = frame.ToArray();
        _action = action;
        return action;
    }

    private void Record(float reward, bool terminal, bool episodeEnd)
    {
        if (_frame is not null && !_inner.EvalMode) _recorder.Add(_frame, _action, reward, terminal, episodeEnd);
    }
}
