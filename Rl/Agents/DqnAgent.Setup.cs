using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>Construction helpers: the replay memory and the networks, each checked against the config.</summary>
public sealed partial class DqnAgent
{
    private ReplayBuffer NewReplay(AgentConfig config)
    {
        ISampler sampler = config.Prioritized
            ? new PrioritizedSampler(config.ReplayCapacity, _sampleRng)
            : new UniformSampler(_sampleRng);
        return new ReplayBuffer(new ReplayConfig
        {
            Capacity = config.ReplayCapacity,
            Height = _height,
            Width = _width,
            Channels = _channels,
            StackSize = config.StackSize,
            UpdateHorizon = config.UpdateHorizon,
            Gamma = config.Gamma,
            BatchSize = config.BatchSize,
        }, sampler);
    }

    private ReplayBuffer CheckReplay(ReplayBuffer replay, AgentConfig config)
    {
        var r = replay.Config;
        string expectedKind = config.Prioritized ? "prioritized" : "uniform";
        if (r.Height != _height || r.Width != _width || r.Channels != _channels || r.StackSize != config.StackSize ||
            r.UpdateHorizon != config.UpdateHorizon || r.Gamma != config.Gamma || replay.Sampler.Kind != expectedKind)
        {
            throw new ArgumentException(
                $"DqnAgent: the replay memory ([{r.Height}, {r.Width}, {r.Channels}] × stack {r.StackSize}, n {r.UpdateHorizon}, " +
                $"γ {r.Gamma}, {replay.Sampler.Kind}) does not match the agent ([{_height}, {_width}, {_channels}] × stack " +
                $"{config.StackSize}, n {config.UpdateHorizon}, γ {config.Gamma}, {expectedKind}); build it from the same config.");
        }
        return replay;
    }

    private QNetwork BuildChecked(Rng init, Rng noise)
    {
        var net = Config.BuildNetwork(ObservationShape, ActionCount, init, noise);
        if (net.Actions != ActionCount || net.Head.Options != Config.Head)
        {
            throw new ArgumentException(
                $"DqnAgent: the network has {net.Actions} actions and head {net.Head.Options}, but the agent expects " +
                $"{ActionCount} actions and head {Config.Head}; build the network with AgentConfig.Head.");
        }
        return net;
    }
}
