using MoeScratch.Rl.Logging;

namespace MoeScratch.Rl.Running;

/// <summary>
/// Writes <c>episodes.csv</c>, <c>iterations.csv</c> and <c>scalars.csv</c> into a run directory through
/// <see cref="CsvMetricsWriter"/>. On resume it reopens the files in append mode keeping only the rows counted
/// in the checkpoint's offsets, so rows a crashed run wrote after its last checkpoint disappear.
/// </summary>
public sealed class CsvMetricsSink : IMetricsSink
{
    /// <summary>Offset key prefix; the full key is <c>csv/&lt;file name&gt;</c>.</summary>
    public const string OffsetPrefix = "csv/";

    private static readonly string[] EpisodeColumns = ["phase", "iteration", "episode", "total_steps", "return", "length", "truncated"];
    private static readonly string[] ScalarColumns = ["tag", "step", "value"];

    private readonly CsvMetricsWriter _episodes, _iterations, _scalars;

    /// <summary>Opens the three files in <paramref name="directory"/>.</summary>
    /// <param name="directory">Run directory (created if needed).</param>
    /// <param name="resumeOffsets">Offsets from the checkpoint being resumed, or null for a fresh run (files are replaced).</param>
    /// <exception cref="InvalidOperationException">Resuming and a file is missing rows the checkpoint counted, or has other columns.</exception>
    public CsvMetricsSink(string directory, IReadOnlyDictionary<string, long>? resumeOffsets = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        string[] iterationColumns = ["iteration", "total_steps", .. MetricTags.Flatten(default).Select(kv => kv.Key)];
        _episodes = Open("episodes.csv", EpisodeColumns);
        _iterations = Open("iterations.csv", iterationColumns);
        _scalars = Open("scalars.csv", ScalarColumns);

        CsvMetricsWriter Open(string name, string[] columns)
        {
            string path = Path.Combine(directory, name);
            if (resumeOffsets is null) return new CsvMetricsWriter(path, columns);
            // A file that did not exist at checkpoint time has 0 rows recorded (or no key at all).
            long keep = resumeOffsets.TryGetValue(OffsetPrefix + name, out long k) ? k : 0;
            if (!File.Exists(path) && keep == 0) return new CsvMetricsWriter(path, columns);
            if (!File.Exists(path))
                throw new InvalidOperationException($"Resuming: '{path}' is missing but the checkpoint counted {keep} rows in it; restore the file or start a new run directory.");
            return new CsvMetricsWriter(path, columns, append: true, keepRows: keep);
        }
    }

    /// <inheritdoc/>
    public void Scalar(string tag, long step, double value) => _scalars.WriteRow(tag, step, value);

    /// <inheritdoc/>
    public void Episode(EpisodeRecord e) =>
        _episodes.WriteRow(e.Phase == RunPhase.Training ? "train" : "eval", e.Iteration, e.Index, e.TotalSteps, e.Return, e.Length, e.Truncated);

    /// <inheritdoc/>
    public void Iteration(IterationStats stats)
    {
        var values = new List<object?> { stats.Iteration, stats.TotalSteps };
        values.AddRange(MetricTags.Flatten(stats).Select(kv => (object?)(double.IsNaN(kv.Value) ? null : kv.Value)));
        _iterations.WriteRow([.. values]);
    }

    /// <inheritdoc/>
    public void Flush()
    {
        _episodes.Flush();
        _iterations.Flush();
        _scalars.Flush();
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, long> Offsets => new Dictionary<string, long>(StringComparer.Ordinal)
    {
        [OffsetPrefix + "episodes.csv"] = _episodes.RowCount,
        [OffsetPrefix + "iterations.csv"] = _iterations.RowCount,
        [OffsetPrefix + "scalars.csv"] = _scalars.RowCount,
    };

    /// <inheritdoc/>
    public void Dispose()
    {
        _episodes.Dispose();
        _iterations.Dispose();
        _scalars.Dispose();
    }
}
