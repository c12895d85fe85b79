namespace MoeScratch.Rl.Running;

/// <summary>
/// Where a <see cref="Runner"/> sends its metrics (TensorBoard and CSV, tags grouped by
/// prefix). Sinks also report their write offsets so a checkpoint can record them and a resumed run can drop what
/// a crashed run logged after its last checkpoint.
/// </summary>
public interface IMetricsSink : IDisposable
{
    /// <summary>Logs one scalar, e.g. <c>train/loss</c>, at a training-step x-coordinate.</summary>
    void Scalar(string tag, long step, double value);

    /// <summary>Logs one finished episode.</summary>
    void Episode(EpisodeRecord episode);

    /// <summary>Logs the summary of a finished iteration.</summary>
    void Iteration(IterationStats stats);

    /// <summary>Pushes buffered output to disk (called before each checkpoint).</summary>
    void Flush();

    /// <summary>Write offsets to save in a checkpoint (e.g. CSV rows written, TensorBoard purge step), by key.</summary>
    IReadOnlyDictionary<string, long> Offsets { get; }
}

/// <summary>The fixed tag set of an iteration summary, shared by the CSV and TensorBoard sinks.</summary>
public static class MetricTags
{
    /// <summary>Per-episode return tags, by phase.</summary>
    public static string EpisodeReturn(RunPhase phase) => Prefix(phase) + "/episode_return";

    /// <summary>Per-episode length tags, by phase.</summary>
    public static string EpisodeLength(RunPhase phase) => Prefix(phase) + "/episode_length";

    /// <summary>The iteration summary as (tag, value) pairs in a fixed order. Dopamine's names map to
    /// <c>train/average_return</c> (<c>Train/AverageReturns</c>), <c>train/num_episodes</c>, <c>train/steps_per_second</c>.</summary>
    public static IReadOnlyList<KeyValuePair<string, double>> Flatten(IterationStats s) =>
    [
        new("train/average_return", s.Training.MeanReturn),
        new("train/min_return", s.Training.MinReturn),
        new("train/max_return", s.Training.MaxReturn),
        new("train/average_length", s.Training.MeanLength),
        new("train/num_episodes", s.Training.Episodes),
        new("train/steps", s.Training.Steps),
        new("train/steps_per_second", s.Training.StepsPerSecond),
        new("train/env_steps_per_second", s.Training.EnvStepsPerSecond),
        new("eval/average_return", s.Evaluation.MeanReturn),
        new("eval/average_length", s.Evaluation.MeanLength),
        new("eval/num_episodes", s.Evaluation.Episodes),
        new("eval/steps", s.Evaluation.Steps),
        new("agent/loss", s.Agent.LastLoss),
        new("agent/td_loss", s.Agent.LastTdLoss),
        new("agent/aux_loss", s.Agent.LastAuxLoss),
        new("agent/mean_q", s.Agent.LastMeanQ),
        new("agent/epsilon", s.Agent.Epsilon),
        new("agent/gradient_updates", s.Agent.GradientUpdates),
    ];

    private static string Prefix(RunPhase phase) => phase == RunPhase.Training ? "train" : "eval";
}

/// <summary>Sends everything to several sinks; its offsets are the union of theirs (keys must not collide).</summary>
public sealed class CompositeMetricsSink : IMetricsSink
{
    private readonly IMetricsSink[] _sinks;

    /// <summary>Wraps <paramref name="sinks"/>; disposing the composite disposes them.</summary>
    public CompositeMetricsSink(params IMetricsSink[] sinks)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        if (sinks.Any(s => s is null)) throw new ArgumentException("CompositeMetricsSink: a sink is null.", nameof(sinks));
        _sinks = [.. sinks];
    }

    /// <inheritdoc/>
    public void Scalar(string tag, long step, double value) { foreach (var s in _sinks) s.Scalar(tag, step, value); }

    /// <inheritdoc/>
    public void Episode(EpisodeRecord episode) { foreach (var s in _sinks) s.Episode(episode); }

    /// <inheritdoc/>
    public void Iteration(IterationStats stats) { foreach (var s in _sinks) s.Iteration(stats); }

    /// <inheritdoc/>
    public void Flush() { foreach (var s in _sinks) s.Flush(); }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, long> Offsets
    {
        get
        {
            var all = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var s in _sinks)
            {
                foreach (var kv in s.Offsets)
                {
                    if (!all.TryAdd(kv.Key, kv.Value))
                        throw new InvalidOperationException($"CompositeMetricsSink: two sinks report the offset '{kv.Key}'; give them distinct files.");
                }
            }
            return all;
        }
    }

    /// <inheritdoc/>
    public void Dispose() { foreach (var s in _sinks) s.Dispose(); }
}

/// <summary>Keeps everything in memory: for tests, determinism checks and console summaries.</summary>
public sealed class MemoryMetricsSink : IMetricsSink
{
    /// <summary>Scalars logged through <see cref="Scalar"/>.</summary>
    public List<(string Tag, long Step, double Value)> Scalars { get; } = [];

    /// <summary>Episodes in order.</summary>
    public List<EpisodeRecord> Episodes { get; } = [];

    /// <summary>Iteration summaries in order.</summary>
    public List<IterationStats> Iterations { get; } = [];

    /// <inheritdoc/>
    public void Scalar(string tag, long step, double value) => Scalars.Add((tag, step, value));

    /// <inheritdoc/>
    public void Episode(EpisodeRecord episode) => Episodes.Add(episode);

    /// <inheritdoc/>
    public void Iteration(IterationStats stats) => Iterations.Add(stats);

    /// <inheritdoc/>
    public void Flush() { }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, long> Offsets => new Dictionary<string, long>();

    /// <inheritdoc/>
    public void Dispose() { }
}

/// <summary>Discards everything (the runner's sink when none is given).</summary>
internal sealed class NullMetricsSink : IMetricsSink
{
    public static readonly NullMetricsSink Instance = new();

    public void Scalar(string tag, long step, double value) { }

    public void Episode(EpisodeRecord episode) { }

    public void Iteration(IterationStats stats) { }

    public void Flush() { }

    public IReadOnlyDictionary<string, long> Offsets { get; } = new Dictionary<string, long>();

    public void Dispose() { }
}
