using System.Text.Json;
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Tensors;

namespace MoeScratch.Train.Training;

/// <summary>
/// Saves a <see cref="DqnAgent"/> into a run checkpoint: online, target and optimizer tensors
/// in <c>agent.safetensors</c>, counters and RNG states in <c>agent.json</c>, the replay memory with its sampler in
/// <c>replay.bin</c>. The run checkpoint's manifest hashes all three. With <c>loadReplay: false</c> (evaluation, which
/// never samples it) the replay memory is neither read nor hashed: gigabytes for an Atari run.
/// </summary>
internal sealed class AgentStore(DqnAgent agent, bool loadReplay = true) : IAgentStateStore
{
    // The latest-loss fields are NaN before the first update; JSON has no NaN literal without this.
    private static readonly JsonSerializerOptions s_json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public const string TensorsFile = "agent.safetensors", CountersFile = "agent.json", ReplayFile = "replay.bin";

    public void Save(CheckpointDirectoryWriter writer)
    {
        AgentState state = agent.CaptureState();
        var entries = state.Tensors.Select(kv => SafeTensorEntry.FromFloats(kv.Key, kv.Value.Shape.ToArray(), kv.Value.ToArray()));
        writer.WriteFile(TensorsFile, SafeTensors.Serialize(entries));
        writer.WriteFile(CountersFile, JsonSerializer.SerializeToUtf8Bytes(state.Counters, s_json));
        writer.WriteFile(ReplayFile, agent.SaveReplay);
    }

    public void Load(string directory)
    {
        SafeTensorsFile file = SafeTensors.Load(Path.Combine(directory, TensorsFile));
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (SafeTensorEntry e in file.Entries) tensors[e.Name] = Tensor.FromArray(e.ToFloats(), new Shape([.. e.Shape]));
        AgentCounters counters = JsonSerializer.Deserialize<AgentCounters>(File.ReadAllBytes(Path.Combine(directory, CountersFile)), s_json)
                                 ?? throw new InvalidDataException($"{Path.Combine(directory, CountersFile)}: holds JSON null, expected the agent counters.");
        agent.RestoreState(new AgentState(tensors, counters));
        if (!loadReplay) return;
        using FileStream replay = File.OpenRead(Path.Combine(directory, ReplayFile));
        agent.LoadReplay(replay);
    }
}
