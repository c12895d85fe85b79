using MoeScratch.Rl.Logging;

namespace MoeScratch.Rl.Running;

/// <summary>
/// Writes scalars to a TensorBoard event file through <see cref="TensorBoardWriter"/>. Its offset is the purge step:
/// one past the largest step logged. A resumed run opens a new event file and writes a session-start event at the
/// saved purge step, which makes TensorBoard drop events a crashed run logged after its checkpoint.
/// </summary>
public sealed class TensorBoardMetricsSink : IMetricsSink
{
    /// <summary>Offset key of the purge step.</summary>
    public const string PurgeStepKey = "tensorboard/purge_step";

    private readonly TensorBoardWriter _writer;
    private long _purgeStep;

    /// <summary>Opens an event file in <paramref name="directory"/>.</summary>
    /// <param name="directory">Run directory.</param>
    /// <param name="resumeOffsets">Offsets of the checkpoint being resumed, or null for a fresh run.</param>
    /// <param name="clock">Wall clock in Unix seconds (tests inject one); null = system clock.</param>
    public TensorBoardMetricsSink(string directory, IReadOnlyDictionary<string, long>? resumeOffsets = null, Func<double>? clock = null)
    {
        _writer = new TensorBoardWriter(directory, clock);
        if (resumeOffsets is not null && resumeOffsets.TryGetValue(PurgeStepKey, out long purge))
        {
            _purgeStep = purge;
            _writer.AddSessionStart(purge);
        }
    }

    /// <summary>Path of the event file.</summary>
    public string FilePath => _writer.FilePath;

    /// <summary>The underlying writer, e.g. for a hyperparameter text summary.</summary>
    public TensorBoardWriter Writer => _writer;

    /// <inheritdoc/>
    public void Scalar(string tag, long step, double value)
    {
        _writer.AddScalar(tag, (float)value, step);
        _purgeStep = Math.Max(_purgeStep, step + 1);
    }

    /// <inheritdoc/>
    public void Episode(EpisodeRecord e)
    {
        Scalar(MetricTags.EpisodeReturn(e.Phase), e.TotalSteps, e.Return);
        Scalar(MetricTags.EpisodeLength(e.Phase), e.TotalSteps, e.Length);
    }

    /// <inheritdoc/>
    public void Iteration(IterationStats stats)
    {
        // NaN entries (no update yet) and the eval/ group of an iteration without evaluation are skipped, so
        // TensorBoard shows no flat zero line for a phase that never ran.
        bool evaluated = stats.Evaluation.Episodes > 0;
        foreach (var kv in MetricTags.Flatten(stats))
        {
            if (double.IsNaN(kv.Value) || (!evaluated && kv.Key.StartsWith("eval/", StringComparison.Ordinal))) continue;
            Scalar(kv.Key, stats.TotalSteps, kv.Value);
        }
    }

    /// <inheritdoc/>
    public void Flush() => _writer.Flush();

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, long> Offsets => new Dictionary<string, long> { [PurgeStepKey] = _purgeStep };

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();
}
