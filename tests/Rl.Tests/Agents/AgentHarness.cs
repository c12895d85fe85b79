using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using MoeScratch.Nn;
using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Agents;

/// <summary>
/// Plays the runner's role in agent tests: a fake environment with random frames (the first byte echoes the last
/// action, so the data depends on what the agent did), random rewards in {−1, 0, 1}, random terminals and a
/// time-limit truncation. Clone() continues the identical stream (for resume tests).
/// </summary>
internal sealed class FakeEnvLoop
{
    private readonly int _frameBytes;
    private readonly int _episodeLength;
    private Rng _rng;
    private int _t;
    private bool _inEpisode;

    public FakeEnvLoop(int frameBytes, ulong seed, int episodeLength = 25)
    {
        _frameBytes = frameBytes;
        _episodeLength = episodeLength;
        _rng = new Rng(seed);
    }

    public int Episodes { get; private set; }

    public FakeEnvLoop Clone() => new(_frameBytes, 0, _episodeLength)
    {
        _rng = _rng.Clone(), _t = _t, _inEpisode = _inEpisode, Episodes = Episodes,
    };

    /// <summary>Drives <paramref name="steps"/> agent calls; returns the agent's LastLoss after each.</summary>
    public List<float> Run(IAgent agent, int steps)
    {
        var losses = new List<float>(steps);
        var frame = new byte[_frameBytes];
        int action = 0;
        for (int s = 0; s < steps; s++)
        {
            if (!_inEpisode)
            {
                Fill(frame, 0);
                agent.BeginEpisode(frame);
                _inEpisode = true;
                _t = 0;
            }
            else
            {
                _t++;
                float reward = _rng.NextInt(3) - 1;
                bool terminal = _rng.NextInt(12) == 0;
                if (terminal || _t >= _episodeLength)
                {
                    agent.EndEpisode(reward, terminal);
                    _inEpisode = false;
                    Episodes++;
                }
                else
                {
                    Fill(frame, action);
                    action = agent.Step(reward, frame);
                }
            }
            losses.Add(agent.Stats.LastLoss);
        }
        return losses;
    }

    private void Fill(byte[] frame, int action)
    {
        for (int i = 0; i < frame.Length; i++) frame[i] = (byte)_rng.NextInt(2);
        frame[0] = (byte)action;
    }
}

internal static class AgentHarness
{
    /// <summary>MinAtar-shaped frames [5, 5, 2] (scale 1) and Atari-shaped [6, 6, 1] (scale 1/255) for tests.</summary>
    public static readonly int[] MinAtarFrame = [5, 5, 2], AtariFrame = [6, 6, 1];

    /// <summary>
    /// A preset shrunk to test size: min replay 8 (+ n, so that some complete n-step windows exist when training
    /// starts), batch 4, capacity 256, a <see cref="SmallNetwork"/> of width 8 with the preset's head.
    /// </summary>
    public static AgentConfig Tiny(AgentConfig preset) => preset with
    {
        MinReplayHistory = 8 + (preset.UpdateHorizon > 1 ? preset.UpdateHorizon : 0),
        BatchSize = 4,
        ReplayCapacity = 256,
        NetworkFactory = SmallNetwork(8, preset.Head),
        UpdatePeriod = 1,
        TargetUpdatePeriod = 5,
        EpsilonDecayPeriod = 20,
        LearningRate = 1e-3f,
    };

    /// <summary>MinAtar conv (16@3×3) → Dense(width) (noisy with noisy heads) → head: small enough for unit tests.</summary>
    public static QNetworkFactory SmallNetwork(int width, HeadOptions head) => (shape, actions, init, noise) =>
    {
        var encoder = new MinAtarEncoder(shape[2], init);
        int features = encoder.OutputShape(new Shape(1, shape[0], shape[1], shape[2])).Count;
        var torso = new DenseTorso(features, width, init, head.Noisy, noise);
        return new QNetwork(encoder, torso, new RainbowHead(width, actions, head, init, noise));
    };

    public static DqnAgent Create(AgentConfig config, int[] frame, ulong seed = 42) =>
        new(config, frame, 3, frame[2] == 1 ? 1f / 255f : 1f, seed);

    public static Dictionary<string, float[]> Snapshot(Module m) =>
        m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    /// <summary>
    /// One hash of everything a run's future depends on: parameters, Adam moments and other named tensors, the RNG
    /// streams, and the replay memory with its sampler state (RNG, priorities).
    /// </summary>
    public static ulong StateHash(DqnAgent agent)
    {
        var h = new XxHash3();
        var state = agent.CaptureState();
        foreach (var (name, t) in state.Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            h.Append(Encoding.UTF8.GetBytes(name));
            h.Append(MemoryMarshal.AsBytes(t.ToArray().AsSpan()));
        }
        foreach (var (name, rng) in state.Counters.RngStates.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            h.Append(Encoding.UTF8.GetBytes(name + rng));
        }
        using var ms = new MemoryStream();
        agent.SaveReplay(ms);
        h.Append(ms.ToArray());
        return h.GetCurrentHashAsUInt64();
    }

    public static bool SameWeights(Module a, Module b)
    {
        var x = Snapshot(a);
        var y = Snapshot(b);
        return x.All(kv => kv.Value.AsSpan().SequenceEqual(y[kv.Key]));
    }
}
