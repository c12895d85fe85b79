using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Rl.Envs;
using MoeScratch.Rl.Running;

namespace MoeScratch.Rl.Checkpointing;

/// <summary>What <see cref="RunCheckpointer.Load"/> restored.</summary>
/// <param name="Path">The checkpoint directory.</param>
/// <param name="State">Runner counters and iteration progress: pass to the <see cref="Runner"/> constructor.</param>
/// <param name="Offsets">Logger offsets: pass to the metrics sinks' constructors before building the runner.</param>
/// <param name="Manifest">The verified manifest (its <c>extra</c> holds the configs).</param>
public sealed record LoadedRunCheckpoint(string Path, RunnerState State, IReadOnlyDictionary<string, long> Offsets, CheckpointManifest Manifest);

/// <summary>What <see cref="RunCheckpointer.PeekNewest"/> read about a checkpoint without loading or verifying it.</summary>
/// <param name="Path">The checkpoint directory.</param>
/// <param name="Iteration">Iterations completed when it was written.</param>
/// <param name="TotalSteps">Training agent steps when it was written.</param>
/// <param name="Config">The resolved configuration stored in its manifest (<c>extra.config</c>), or null.</param>
public sealed record CheckpointSummary(string Path, int Iteration, long TotalSteps, JsonObject? Config);

/// <summary>
/// Run checkpoints: each is an atomic directory <c>ckpt-&lt;iteration&gt;-&lt;steps&gt;/</c>
/// (<see cref="AtomicDirectory"/>) holding the agent's files (<see cref="IAgentStateStore"/>: tensors, optimizer,
/// replay buffer with its sampler and RNGs), <c>environment.state</c> when the environment is an
/// <see cref="IStatefulEnvironment"/>, <c>runner.json</c> (counters, iteration progress, logger offsets) and a
/// <c>manifest.json</c> with the format version, the configs and every file's length and XxHash3. A
/// <c>latest</c> file names the newest checkpoint and is replaced atomically; only the newest
/// <see cref="Keep"/> checkpoints stay on disk.
/// </summary>
/// <remarks>
/// Without an environment state, a resume starts the next episode with a seed derived from the run seed (see
/// <see cref="RunnerState.NeedsEnvironmentReseed"/>): the run continues at an episode boundary but is not
/// bit-identical to an uninterrupted one. MinAtar games are stateful and resume exactly.
/// </remarks>
public sealed class RunCheckpointer
{
    /// <summary>Name of the pointer file to the newest checkpoint.</summary>
    public const string LatestFileName = "latest";

    /// <summary>Name of the runner state file.</summary>
    public const string RunnerFileName = "runner.json";

    /// <summary>Name of the environment state file.</summary>
    public const string EnvironmentFileName = "environment.state";

    /// <summary>Version of the run-checkpoint layout (runner.json and the file set); bump on any change.</summary>
    public const int FormatVersion = 1;

    /// <summary>Prefix of checkpoint directory names.</summary>
    public const string Prefix = "ckpt-";

    private readonly IAgentStateStore _agent;
    private readonly JsonObject? _config;

    /// <summary>Creates a checkpointer over <paramref name="directory"/>, deleting leftovers of interrupted writes.</summary>
    /// <param name="directory">Where checkpoints go (created if needed).</param>
    /// <param name="agent">Saves and restores the agent.</param>
    /// <param name="keep">Checkpoints kept (≥ 1); older ones are deleted after each save.</param>
    /// <param name="config">Resolved configuration (agent, environment, seed) stored in every manifest.</param>
    /// <param name="cleanupLeftovers">Delete leftovers of interrupted writes. Only the process that owns the run (holds
    /// its <see cref="RunLock"/>) may: a reader such as an evaluation would delete a live trainer's checkpoint in progress.</param>
    public RunCheckpointer(string directory, IAgentStateStore agent, int keep = 4, JsonObject? config = null, bool cleanupLeftovers = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(agent);
        if (keep < 1) throw new ArgumentException($"RunCheckpointer: keep = {keep} must be ≥ 1.", nameof(keep));
        Directory = System.IO.Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
        if (cleanupLeftovers) AtomicFile.CleanupLeftovers(Directory);
        _agent = agent;
        Keep = keep;
        _config = config;
    }

    /// <summary>The checkpoint root directory.</summary>
    public string Directory { get; }

    /// <summary>How many checkpoints are kept.</summary>
    public int Keep { get; }

    /// <summary>Checkpoint directories under <paramref name="directory"/>, oldest first (complete or not).</summary>
    public static IReadOnlyList<string> List(string directory) =>
        !System.IO.Directory.Exists(directory) ? [] :
        [.. System.IO.Directory.EnumerateDirectories(directory, Prefix + "*")
            .Where(d => !System.IO.Path.GetFileName(d).Contains(AtomicFile.TempMarker, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    /// <summary>The newest checkpoint named by the <c>latest</c> file, or null when there is none.</summary>
    public static string? Latest(string directory)
    {
        string pointer = System.IO.Path.Combine(directory, LatestFileName);
        if (!File.Exists(pointer)) return null;
        string name = File.ReadAllText(pointer).Trim();
        return System.IO.Path.Combine(directory, name);
    }

    /// <summary>
    /// The newest checkpoint under <paramref name="directory"/> whose manifest exists and whose <c>runner.json</c> parses,
    /// found by scanning (not through <c>latest</c>, which a crash may leave missing or one checkpoint behind); null
    /// when there is none. Cheap: nothing is hashed or loaded, so a checkpoint this names may still fail
    /// <see cref="Load"/>'s verification (use <see cref="LoadNewestValid"/> to resume).
    /// </summary>
    public static CheckpointSummary? PeekNewest(string directory)
    {
        foreach (string dir in List(directory).Reverse())
        {
            string manifestPath = System.IO.Path.Combine(dir, CheckpointManifest.FileName);
            string runnerPath = System.IO.Path.Combine(dir, RunnerFileName);
            if (!File.Exists(manifestPath) || !File.Exists(runnerPath)) continue;
            try
            {
                CheckpointManifest manifest = CheckpointManifest.Parse(File.ReadAllText(manifestPath), manifestPath);
                JsonObject? state = JsonNode.Parse(File.ReadAllText(runnerPath))?["state"]?.AsObject();
                if (state is null) continue;
                RunnerState s = RunnerState.FromJson(state, runnerPath);
                return new CheckpointSummary(dir, s.Iteration, s.TotalSteps, manifest.Extra?["config"]?.AsObject());
            }
            catch (Exception e) when (e is InvalidDataException or JsonException or InvalidOperationException or IOException)
            {
                // Unreadable: an older checkpoint may still serve.
            }
        }
        return null;
    }

    /// <summary>
    /// Writes a checkpoint of <paramref name="runner"/>'s current state and returns its directory. The runner only
    /// calls this between episodes, so no mid-episode state is ever needed. The sink is flushed first so the
    /// recorded offsets match what is on disk.
    /// </summary>
    public string Save(Runner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        runner.Sink.Flush();
        RunnerState s = runner.State;
        string name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{s.Iteration:D6}-{s.TotalSteps:D12}");
        string target = System.IO.Path.Combine(Directory, name);
        var offsets = new JsonObject();
        foreach (var kv in runner.Sink.Offsets.OrderBy(kv => kv.Key, StringComparer.Ordinal)) offsets[kv.Key] = kv.Value;
        bool stateful = runner.Environment is IStatefulEnvironment;
        var runnerJson = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["environment"] = runner.Environment.Id,
            ["environment_state"] = stateful,
            ["state"] = s.ToJson(),
            ["logger_offsets"] = offsets,
        };
        var extra = new JsonObject
        {
            ["kind"] = "moescratch-run",
            ["run_format_version"] = FormatVersion,
            ["iteration"] = s.Iteration,
            ["total_steps"] = s.TotalSteps,
            ["environment"] = runner.Environment.Id,
            ["runner_config"] = runner.Config.ToJson(),
            ["config"] = _config?.DeepClone(),
            ["library_version"] = typeof(RunCheckpointer).Assembly.GetName().Version?.ToString(),
        };
        AtomicDirectory.Write(target, w =>
        {
            _agent.Save(w);
            if (runner.Environment is IStatefulEnvironment env) w.WriteFile(EnvironmentFileName, env.SaveState());
            w.WriteFile(RunnerFileName, System.Text.Encoding.UTF8.GetBytes(runnerJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        }, extra);
        AtomicFile.WriteAllText(System.IO.Path.Combine(Directory, LatestFileName), name);
        Prune(name);
        return target;
    }

    /// <summary>
    /// Verifies a checkpoint (every file's length and hash) and only then restores the agent and the environment
    /// (the environment, which holds an RNG, last, as torchrl's RunCheckpointer restores RNGs last).
    /// </summary>
    /// <param name="environment">The environment to restore (must have the checkpoint's id).</param>
    /// <param name="path">A checkpoint directory; null means the one named by <c>latest</c>.</param>
    /// <param name="unusedFiles">Files of the checkpoint the agent store will not read (e.g. the replay memory when
    /// only evaluating): their presence and length are checked but they are not hashed, which for an Atari replay
    /// memory saves reading gigabytes.</param>
    /// <exception cref="InvalidDataException">Missing, truncated or corrupted file (the message names it), or a
    /// checkpoint of another environment.</exception>
    public LoadedRunCheckpoint Load(IEnvironment environment, string? path = null, IReadOnlyCollection<string>? unusedFiles = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        path ??= Latest(Directory) ?? throw new InvalidDataException($"No checkpoint to resume in '{Directory}': the '{LatestFileName}' file is missing.");
        if (!System.IO.Directory.Exists(path)) throw new InvalidDataException($"Checkpoint directory '{path}' does not exist.");
        CheckpointManifest manifest = CheckpointManifest.LoadAndVerify(path, unusedFiles);
        string runnerPath = System.IO.Path.Combine(path, RunnerFileName);
        if (!manifest.Files.Any(f => f.Name == RunnerFileName))
            throw new InvalidDataException($"Checkpoint '{path}': the manifest does not cover {RunnerFileName}; this is not a run checkpoint.");
        JsonObject runnerJson;
        try
        {
            runnerJson = JsonNode.Parse(File.ReadAllText(runnerPath))?.AsObject() ?? throw new InvalidDataException($"{runnerPath} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{runnerPath}: malformed JSON: {e.Message}", e);
        }
        int version = runnerJson["format_version"]?.GetValue<int>() ?? throw new InvalidDataException($"{runnerPath}: lacks 'format_version'.");
        if (version != FormatVersion)
            throw new InvalidDataException($"{runnerPath}: run checkpoint format version {version}; this build reads version {FormatVersion}.");
        string envId = runnerJson["environment"]?.GetValue<string>() ?? throw new InvalidDataException($"{runnerPath}: lacks 'environment'.");
        if (envId != environment.Id)
            throw new InvalidDataException($"Checkpoint '{path}' was written for environment '{envId}' but the run uses '{environment.Id}'.");
        RunnerState state = RunnerState.FromJson(runnerJson["state"]?.AsObject() ?? throw new InvalidDataException($"{runnerPath}: lacks 'state'."), runnerPath);
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var kv in runnerJson["logger_offsets"]?.AsObject() ?? [])
            offsets[kv.Key] = kv.Value?.GetValue<long>() ?? throw new InvalidDataException($"{runnerPath}: offset '{kv.Key}' is null.");

        _agent.Load(path);
        bool hasEnvState = manifest.Files.Any(f => f.Name == EnvironmentFileName);
        if (hasEnvState && environment is IStatefulEnvironment env)
        {
            try
            {
                env.RestoreState(File.ReadAllBytes(System.IO.Path.Combine(path, EnvironmentFileName)));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Checkpoint file '{System.IO.Path.Combine(path, EnvironmentFileName)}': {e.Message}", e);
            }
        }
        else
        {
            state.NeedsEnvironmentReseed = true;
        }
        return new LoadedRunCheckpoint(path, state, offsets, manifest);
    }

    /// <summary>
    /// Loads the newest checkpoint that verifies, skipping corrupted or incomplete ones ("fall back
    /// to the previous checkpoint"); returns null when none exists. <paramref name="skipped"/> lists each skipped
    /// checkpoint with the reason, for the log.
    /// </summary>
    public LoadedRunCheckpoint? LoadNewestValid(IEnvironment environment, out IReadOnlyList<string> skipped, IReadOnlyCollection<string>? unusedFiles = null)
    {
        var reasons = new List<string>();
        skipped = reasons;
        foreach (string dir in List(Directory).Reverse())
        {
            try
            {
                return Load(environment, dir, unusedFiles);
            }
            catch (InvalidDataException e)
            {
                reasons.Add(e.Message);
            }
        }
        return null;
    }

    private void Prune(string newest)
    {
        var all = List(Directory);
        int excess = all.Count - Keep;
        foreach (string dir in all.Take(Math.Max(0, excess)))
        {
            if (System.IO.Path.GetFileName(dir) == newest) continue;
            // Renamed first, so a process killed mid-delete leaves a temp leftover (deleted at the next start), not a
            // half-deleted checkpoint under a valid name.
            string doomed = dir + AtomicFile.TempMarker + "pruned-" + Guid.NewGuid().ToString("N");
            System.IO.Directory.Move(dir, doomed);
            System.IO.Directory.Delete(doomed, recursive: true);
        }
    }
}
