using MoeScratch.Nn.Checkpoints;

namespace MoeScratch.Rl.Checkpointing;

/// <summary>
/// How a run checkpoint saves and restores an agent's complete state: online and target
/// parameters (safetensors), optimizer moments and step, counters and schedules, the replay buffer with its sampler,
/// the n-step accumulator and every RNG stream the agent owns. <see cref="Agents.IAgent"/> itself stays free of
/// persistence; an agent provides a store (or <see cref="DelegateAgentStateStore"/> wraps its export/import methods).
/// </summary>
public interface IAgentStateStore
{
    /// <summary>Writes the agent's files through <paramref name="writer"/> (plain names; not <c>runner.json</c>,
    /// <c>environment.state</c> or <c>manifest.json</c>, which the run checkpoint uses).</summary>
    void Save(CheckpointDirectoryWriter writer);

    /// <summary>
    /// Restores the agent from the files in <paramref name="directory"/>. Called only after every file's length
    /// and hash were verified against the manifest.
    /// </summary>
    /// <exception cref="InvalidDataException">The files do not describe an agent of this configuration.</exception>
    void Load(string directory);
}

/// <summary>An <see cref="IAgentStateStore"/> built from two delegates.</summary>
/// <param name="save">Writes the agent's files.</param>
/// <param name="load">Restores from a verified checkpoint directory.</param>
public sealed class DelegateAgentStateStore(Action<CheckpointDirectoryWriter> save, Action<string> load) : IAgentStateStore
{
    private readonly Action<CheckpointDirectoryWriter> _save = save ?? throw new ArgumentNullException(nameof(save));
    private readonly Action<string> _load = load ?? throw new ArgumentNullException(nameof(load));

    /// <inheritdoc/>
    public void Save(CheckpointDirectoryWriter writer) => _save(writer);

    /// <inheritdoc/>
    public void Load(string directory) => _load(directory);
}
