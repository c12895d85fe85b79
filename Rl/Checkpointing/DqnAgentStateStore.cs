using System.Text.Json;
using System.Text.Json.Serialization;
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Checkpointing;

/// <summary>
/// Saves a <see cref="DqnAgent"/> into a run checkpoint through its export/import methods: the online, target and
/// optimizer tensors in <c>agent.safetensors</c>, counters, RNG streams and acting state in <c>agent.json</c>
/// (<see cref="AgentCounters"/>), and the replay memory with its sampler in <c>replay.bin</c>.
/// </summary>
public sealed class DqnAgentStateStore(DqnAgent agent) : IAgentStateStore
{
    /// <summary>File of the tensors.</summary>
    public const string TensorsFile = "agent.safetensors";

    /// <summary>File of the counters.</summary>
    public const string CountersFile = "agent.json";

    /// <summary>File of the replay memory.</summary>
    public const string ReplayFile = "replay.bin";

    private readonly DqnAgent _agent = agent ?? throw new ArgumentNullException(nameof(agent));

    /// <inheritdoc/>
    public void Save(CheckpointDirectoryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        AgentState state = _agent.CaptureState();
        var entries = state.Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => SafeTensorEntry.FromFloats(kv.Key, kv.Value.Shape.ToArray(), kv.Value.ToArray()));
        writer.WriteFile(TensorsFile, SafeTensors.Serialize(entries));
        writer.WriteFile(CountersFile, JsonSerializer.SerializeToUtf8Bytes(state.Counters, AgentCountersJson.Default.AgentCounters));
        writer.WriteFile(ReplayFile, _agent.SaveReplay);
    }

    /// <inheritdoc/>
    public void Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string tensorsPath = Path.Combine(directory, TensorsFile), countersPath = Path.Combine(directory, CountersFile);
        var file = SafeTensors.Load(tensorsPath);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var e in file.Entries)
        {
            if (e.DType != SafeTensorDType.F32)
                throw new InvalidDataException($"'{tensorsPath}': tensor '{e.Name}' is {e.DType}; DqnAgent checkpoints hold F32 tensors only.");
            tensors[e.Name] = Tensor.FromArray(e.ToFloats(), new Shape([.. e.Shape]));
        }
        AgentCounters counters;
        try
        {
            counters = JsonSerializer.Deserialize(File.ReadAllBytes(countersPath), AgentCountersJson.Default.AgentCounters)
                ?? throw new InvalidDataException($"'{countersPath}' holds no agent counters.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{countersPath}': malformed agent counters: {e.Message}", e);
        }
        try
        {
            _agent.RestoreState(new AgentState(tensors, counters));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint '{directory}' does not fit this agent: {e.Message}", e);
        }
        using var replay = File.OpenRead(Path.Combine(directory, ReplayFile));
        _agent.LoadReplay(replay);
    }
}

/// <summary>
/// Source-generated JSON for <see cref="AgentCounters"/>: works in trimmed and file-based apps (where reflection-based
/// System.Text.Json is off) and follows the record when fields are added. NaN losses (before the first update) are
/// written as the "NaN" literal.
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(AgentCounters))]
internal sealed partial class AgentCountersJson : JsonSerializerContext;
