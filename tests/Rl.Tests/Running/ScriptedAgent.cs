using System.IO.Hashing;
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Running;

/// <summary>
/// A small but stateful test agent: random actions from its own RNG, a replay buffer filled with Dopamine's add
/// protocol, and a weight vector "trained" from sampled transitions, so that its parameter hash depends on every
/// RNG stream, the replay contents and the sampler state. It records every call for protocol checks and
/// implements <see cref="IAgentStateStore"/> for checkpoint tests.
/// </summary>
internal sealed class ScriptedAgent : IAgent, IAgentStateStore
{
    private readonly Rng _rng;
    private readonly float[] _weights = new float[16];
    private byte[]? _lastFrame;
    private int _lastAction;
    private long _envSteps, _updates;
    private float _lastLoss = float.NaN;

    public ScriptedAgent(int actionCount, IReadOnlyList<int> frameShape, ulong seed, int replayCapacity = 256)
    {
        ActionCount = actionCount;
        _rng = Rng.ForStream(seed, 7);
        var config = new ReplayConfig
        {
            Capacity = replayCapacity, Height = frameShape[0], Width = frameShape[1], Channels = frameShape[2],
            StackSize = 1, UpdateHorizon = 1, BatchSize = 8,
        };
        Replay = new ReplayBuffer(config, new UniformSampler(Rng.ForStream(seed, 8)));
    }

    public int ActionCount { get; }

    public bool EvalMode { get; set; }

    public ReplayBuffer Replay { get; }

    /// <summary>Every call: ("begin"|"step"|"end", reward, terminal, eval mode).</summary>
    public List<(string Call, float Reward, bool Terminal, bool Eval)> Calls { get; } = [];

    /// <summary>Fired after each Step (tests cancel from here).</summary>
    public Action<ScriptedAgent>? OnStep { get; set; }

    public bool RecordCalls { get; set; } = true;

    /// <summary>Whether Store triggers sampling (off: the sampler RNG is never touched).</summary>
    public bool Learn { get; set; } = true;

    public AgentStats Stats => new(_envSteps, _updates, _lastLoss, _lastLoss, 0f, _weights[0], 0.1f);

    public int BeginEpisode(ReadOnlySpan<byte> frame)
    {
        if (RecordCalls) Calls.Add(("begin", 0f, false, EvalMode));
        return Act(frame);
    }

    public int Step(float reward, ReadOnlySpan<byte> frame)
    {
        if (RecordCalls) Calls.Add(("step", reward, false, EvalMode));
        Store(reward, terminal: false, episodeEnd: false);
        int a = Act(frame);
        OnStep?.Invoke(this);
        return a;
    }

    public void EndEpisode(float reward, bool terminal)
    {
        if (RecordCalls) Calls.Add(("end", reward, terminal, EvalMode));
        Store(reward, terminal, episodeEnd: true);
        _lastFrame = null;
    }

    private int Act(ReadOnlySpan<byte> frame)
    {
        _lastFrame = frame.ToArray();
        _lastAction = _rng.NextInt(ActionCount);
        return _lastAction;
    }

    private void Store(float reward, bool terminal, bool episodeEnd)
    {
        if (EvalMode || _lastFrame is null) return;
        Replay.Add(_lastFrame, _lastAction, reward, terminal, episodeEnd);
        _envSteps++;
        if (Learn && _envSteps % 4 == 0 && Replay.Count > 32) Train();
    }

    private void Train()
    {
        var idx = new int[8];
        var p = new float[8];
        Replay.SampleIndices(idx, p);
        float loss = 0;
        foreach (int i in idx)
        {
            int k = i % _weights.Length;
            float delta = 0.01f * (i % 5) - 0.1f * _weights[k];
            _weights[k] += delta;
            loss += delta * delta;
        }
        _lastLoss = loss;
        _updates++;
    }

    /// <summary>XxHash3 of the weights and the replay buffer's complete state.</summary>
    public ulong ParameterHash()
    {
        var h = new XxHash3();
        h.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_weights.AsSpan()));
        using var ms = new MemoryStream();
        Replay.Save(ms);
        h.Append(ms.ToArray());
        h.Append(_rng.SaveState());
        return h.GetCurrentHashAsUInt64();
    }

    public void Save(CheckpointDirectoryWriter writer)
    {
        writer.WriteFile("agent.safetensors", SafeTensors.Serialize([SafeTensorEntry.FromFloats("weights", [_weights.Length], _weights)]));
        writer.WriteFile("agent.bin", s =>
        {
            using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(_rng.SaveState());
            w.Write(_envSteps);
            w.Write(_updates);
            w.Write(_lastLoss);
        });
        writer.WriteFile("replay.bin", Replay.Save);
    }

    public void Load(string directory)
    {
        var st = SafeTensors.Load(Path.Combine(directory, "agent.safetensors"));
        st["weights"].ToFloats().CopyTo(_weights, 0);
        using (var r = new BinaryReader(File.OpenRead(Path.Combine(directory, "agent.bin"))))
        {
            _rng.RestoreState(r.ReadBytes(Rng.StateSize));
            _envSteps = r.ReadInt64();
            _updates = r.ReadInt64();
            _lastLoss = r.ReadSingle();
        }
        using var fs = File.OpenRead(Path.Combine(directory, "replay.bin"));
        Replay.Load(fs);
    }

    public void Dispose() { }
}
