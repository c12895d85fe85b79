using System.Diagnostics;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Logging;
using MoeScratch.Rl.Running;
using MoeScratch.Train.Config;
using MoeScratch.Train.Progress;

namespace MoeScratch.Train.Training;

/// <summary>
/// The trainer's own sink: one <c>metrics.csv</c> row per episode (<see cref="MetricsCsv.Columns"/>), the live
/// progress display, and, when an analysis path is given, one <c>analysis.csv</c> row per scalar
/// (<see cref="RunFolder.AnalysisFile"/>; the runner's only scalars are the analysis probes). Its offsets (rows
/// written per file) go into each checkpoint so a resumed run drops rows written after the checkpoint it continues
/// from (bit-exact resume).
/// </summary>
internal sealed class TrainerSink : IMetricsSink
{
    public const string OffsetKey = "csv/metrics.csv", AnalysisOffsetKey = "csv/analysis.csv";

    /// <summary>Columns of analysis.csv (long format).</summary>
    public static readonly IReadOnlyList<string> AnalysisColumns = ["total_steps", "tag", "value"];

    private readonly CsvMetricsWriter _csv;
    private readonly CsvMetricsWriter? _analysis;
    private readonly Func<AgentStats> _agentStats;
    private readonly long _totalSteps;
    private readonly int _recentCount;
    private readonly Queue<double> _recent = new();
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly long _startSteps;
    private long _episodes;

    /// <summary>Opens <paramref name="path"/> and <paramref name="analysisPath"/> (appending and trimming to the
    /// checkpoint's rows on resume).</summary>
    /// <param name="analysisPath">Where scalars go; null (probes off) ignores them.</param>
    public TrainerSink(string path, string? analysisPath, Func<AgentStats> agentStats, long totalSteps, int recentCount,
                       long startSteps, IReadOnlyDictionary<string, long>? resumeOffsets)
    {
        _csv = Open(path, MetricsCsv.Columns, OffsetKey, resumeOffsets);
        if (analysisPath is not null) _analysis = Open(analysisPath, AnalysisColumns, AnalysisOffsetKey, resumeOffsets);
        _agentStats = agentStats;
        _totalSteps = totalSteps;
        _recentCount = recentCount;
        _startSteps = startSteps;
        Steps = startSteps; // so steps/s counts this session's steps only, and is 0 (not negative) before its first episode
        if (resumeOffsets is not null)
        {
            var train = MetricsCsv.Read(path).Where(r => r.Phase == "train").ToList();
            _episodes = train.Count;
            foreach (EpisodeRow r in train.TakeLast(recentCount)) Remember(r.Return);
        }
    }

    /// <summary>Where progress goes (set once the display exists).</summary>
    public IProgressSink? Progress { get; set; }

    /// <summary>Latest training steps seen.</summary>
    public long Steps { get; private set; }

    /// <summary>Mean of the recent training returns (NaN before the first episode).</summary>
    public double RecentReturn => _recent.Count == 0 ? double.NaN : _recent.Average();

    /// <summary>Steps per second in this session.</summary>
    public double StepsPerSecond => _wall.Elapsed.TotalSeconds > 0 ? (Steps - _startSteps) / _wall.Elapsed.TotalSeconds : 0;

    public void Scalar(string tag, long step, double value) => _analysis?.WriteRow(step, tag, value);

    public void Episode(EpisodeRecord e)
    {
        AgentStats a = _agentStats();
        Steps = e.TotalSteps;
        if (e.Phase == RunPhase.Training)
        {
            _episodes++;
            Remember(e.Return);
        }
        _csv.WriteRow(e.Phase == RunPhase.Training ? "train" : "eval", e.Iteration, e.Index, e.TotalSteps, e.Return, e.Length,
                      float.IsNaN(a.LastLoss) ? null : a.LastLoss, a.Epsilon, StepsPerSecond, _wall.Elapsed.TotalSeconds);
        Progress?.Report(new ProgressSnapshot(e.TotalSteps, _totalSteps, StepsPerSecond, RecentReturn, _episodes, a.LastLoss, a.Epsilon));
    }

    public void Iteration(IterationStats stats) => Flush();

    public void Flush()
    {
        _csv.Flush();
        _analysis?.Flush();
    }

    public IReadOnlyDictionary<string, long> Offsets
    {
        get
        {
            var offsets = new Dictionary<string, long> { [OffsetKey] = _csv.RowCount };
            if (_analysis is not null) offsets[AnalysisOffsetKey] = _analysis.RowCount;
            return offsets;
        }
    }

    public void Dispose()
    {
        _csv.Dispose();
        _analysis?.Dispose();
    }

    // A checkpoint written before the file existed counts 0 rows (no key); a missing file is created.
    private static CsvMetricsWriter Open(string path, IReadOnlyList<string> columns, string key, IReadOnlyDictionary<string, long>? resume) =>
        resume is null
            ? new CsvMetricsWriter(path, columns, flushEvery: 50)
            : new CsvMetricsWriter(path, columns, append: true, keepRows: resume.TryGetValue(key, out long k) ? k : 0, flushEvery: 50);

    private void Remember(double value)
    {
        _recent.Enqueue(value);
        while (_recent.Count > _recentCount) _recent.Dequeue();
    }
}
