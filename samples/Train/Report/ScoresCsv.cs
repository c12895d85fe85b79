using System.Globalization;
using MoeScratch.Rl.Logging;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Report;

/// <summary>
/// <c>scores.csv</c>, written by <c>report</c> next to report.md: one row per finished run folder with
/// <c>preset, env, network, seed, steps, score</c> and then <c>train_return_&lt;i&gt;</c>, the mean training return of
/// each iteration i (0-based, as in metrics.csv; empty when an iteration ended no episode). <c>network</c> is the
/// network tag of the run folder names (<see cref="RunNames.NetworkTag"/>), <c>env</c> the task name, <c>steps</c>
/// the training steps of the final checkpoint and <c>score</c> the run's score in the report (<see cref="ScoreSet"/>).
/// Unfinished runs are never written, even when the report includes them.
/// </summary>
public static class ScoresCsv
{
    /// <summary>File name in the report folder.</summary>
    public const string FileName = "scores.csv";

    /// <summary>The fixed leading columns.</summary>
    public static IReadOnlyList<string> FixedColumns { get; } = ["preset", "env", "network", "seed", "steps", "score"];

    /// <summary>Writes the file for the finished runs of <paramref name="inventory"/>; returns the rows written.</summary>
    public static int Write(string path, RunInventory inventory, ScoreSet scores)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(scores);
        var rows = new List<object?[]>();
        int iterations = 0;
        foreach (RunEntry run in inventory.Included.Where(r => r.Finished).OrderBy(r => r.Path, StringComparer.Ordinal))
        {
            var (algorithm, task, seed) = run.Key;
            ScoreRow score = scores.Scores.Single(s => s.Algorithm == algorithm && s.Task == task && s.Seed == seed);
            var perIteration = MetricsCsv.Read(Path.Combine(run.Path, RunFolder.MetricsFile))
                                         .Where(r => r.Phase == "train" && r.Iteration < run.Iteration)
                                         .GroupBy(r => r.Iteration).ToDictionary(g => g.Key, g => g.Average(r => r.Return));
            var means = Enumerable.Range(0, run.Iteration).Select(i => perIteration.TryGetValue(i, out double m) ? (object?)m : null);
            iterations = Math.Max(iterations, run.Iteration);
            rows.Add([run.Config.Preset, task, RunNames.NetworkTag(run.Config), seed, run.Steps, score.Score, .. means]);
        }
        if (rows.Count == 0) return 0;
        var columns = FixedColumns.Concat(Enumerable.Range(0, iterations).Select(i => string.Create(CultureInfo.InvariantCulture, $"train_return_{i}"))).ToList();
        using var csv = new CsvMetricsWriter(path, columns);
        foreach (object?[] row in rows) csv.WriteRow([.. row, .. Enumerable.Repeat<object?>(null, columns.Count - row.Length)]);
        return rows.Count;
    }
}
