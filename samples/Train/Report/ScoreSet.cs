using System.Globalization;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Report;

/// <summary>One final score: an (algorithm, task, seed) run.</summary>
public readonly record struct ScoreRow(string Algorithm, string Task, ulong Seed, double Score);

/// <summary>One point of a run's learning curve, as a fraction of its budget.</summary>
public readonly record struct CurvePoint(string Algorithm, string Task, ulong Seed, double Step, double Score);

/// <summary>
/// The report's input: final scores and, when known, learning curves. Built from a CSV with columns
/// <c>algorithm,task,seed,score</c> (optionally <c>step</c>: then the rows are curve points and the score of a run is
/// its value at its largest step), or from run folders written by <c>train</c>.
/// </summary>
public sealed class ScoreSet
{
    /// <summary>Curve points per run folder (bins of the budget).</summary>
    public const int CurvePoints = 20;

    /// <summary>Final scores.</summary>
    public List<ScoreRow> Scores { get; } = [];

    /// <summary>Learning-curve points (may be empty).</summary>
    public List<CurvePoint> Curves { get; } = [];

    /// <summary>Loads every input: CSV files, run folders, or folders of run folders.</summary>
    /// <exception cref="ArgumentException">An input that is neither; a malformed CSV (the message names the line).</exception>
    public static ScoreSet Load(IEnumerable<string> inputs, int lastEpisodes = 100)
    {
        var set = new ScoreSet();
        foreach (string input in inputs)
        {
            if (File.Exists(input)) set.AddCsv(input);
            else if (Directory.Exists(input))
            {
                var runs = IsRunFolder(input) ? [input]
                    : Directory.EnumerateDirectories(input, "*", SearchOption.AllDirectories).Where(IsRunFolder).Order(StringComparer.Ordinal).ToList();
                if (runs.Count == 0)
                    throw new ArgumentException($"report: '{input}' holds no run folder (a folder with {RunFolder.ConfigFile} and {RunFolder.MetricsFile}).");
                foreach (string run in runs) set.AddRunFolder(run, lastEpisodes);
            }
            else throw new ArgumentException($"report: input '{input}' is neither a CSV file nor a folder.");
        }
        if (set.Scores.Count == 0) throw new ArgumentException("report: the inputs hold no scores.");
        return set;
    }

    private static bool IsRunFolder(string dir) =>
        File.Exists(Path.Combine(dir, RunFolder.ConfigFile)) && File.Exists(Path.Combine(dir, RunFolder.MetricsFile));

    /// <summary>Adds a CSV of <c>algorithm,task,seed,score[,step]</c> rows (header required, any column order).</summary>
    public void AddCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new ArgumentException($"{path}: empty; expected a header algorithm,task,seed,score.");
        string[] header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int Col(string name, bool required = true)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0 && required)
                throw new ArgumentException($"{path}: the header '{lines[0]}' has no '{name}' column; expected algorithm,task,seed,score (and optionally step).");
            return i;
        }
        int a = Col("algorithm"), t = Col("task"), s = Col("seed"), v = Col("score"), st = Col("step", required: false);
        var curve = new List<CurvePoint>();
        for (int n = 1; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            string[] f = lines[n].Split(',').Select(x => x.Trim()).ToArray();
            if (f.Length != header.Length) throw new ArgumentException($"{path}:{n + 1}: {f.Length} fields but the header has {header.Length}.");
            if (!ulong.TryParse(f[s], NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed))
                throw new ArgumentException($"{path}:{n + 1}: seed '{f[s]}' is not a non-negative integer.");
            if (!double.TryParse(f[v], NumberStyles.Float, CultureInfo.InvariantCulture, out double score) || !double.IsFinite(score))
                throw new ArgumentException($"{path}:{n + 1}: score '{f[v]}' is not a finite number.");
            if (st < 0)
            {
                Scores.Add(new ScoreRow(f[a], f[t], seed, score));
                continue;
            }
            if (!double.TryParse(f[st], NumberStyles.Float, CultureInfo.InvariantCulture, out double step))
                throw new ArgumentException($"{path}:{n + 1}: step '{f[st]}' is not a number.");
            curve.Add(new CurvePoint(f[a], f[t], seed, step, score));
        }
        Curves.AddRange(curve);
        foreach (var run in curve.GroupBy(p => (p.Algorithm, p.Task, p.Seed)))
        {
            CurvePoint last = run.MaxBy(p => p.Step);
            Scores.Add(new ScoreRow(last.Algorithm, last.Task, last.Seed, last.Score));
        }
    }

    /// <summary>Adds one run folder: algorithm = experiment, task = environment, score = mean of the last
    /// <paramref name="lastEpisodes"/> training returns, plus its learning curve.</summary>
    public void AddRunFolder(string dir, int lastEpisodes)
    {
        TrainConfig cfg = JsonConfig.Load(Path.Combine(dir, RunFolder.ConfigFile));
        List<EpisodeRow> rows = MetricsCsv.Read(Path.Combine(dir, RunFolder.MetricsFile));
        double score = MetricsCsv.RecentMean(rows, lastEpisodes);
        if (double.IsNaN(score)) throw new ArgumentException($"report: run folder '{dir}' has no finished training episode yet.");
        string task = EnvSpec.Parse(cfg.Env).ShortName;
        Scores.Add(new ScoreRow(cfg.ExperimentName, task, cfg.Seed, score));
        var (xs, ys) = MetricsCsv.Curve(rows, cfg.TotalSteps, CurvePoints);
        for (int i = 0; i < xs.Length; i++)
            if (!double.IsNaN(ys[i])) Curves.Add(new CurvePoint(cfg.ExperimentName, task, cfg.Seed, xs[i], ys[i]));
    }
}
