using System.Globalization;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Report;

/// <summary>One final score: an (algorithm, task, seed) run, and the rule that made it (shown per run in the report).</summary>
public readonly record struct ScoreRow(string Algorithm, string Task, ulong Seed, double Score, string Rule = "");

/// <summary>One point of a run's learning curve, as a fraction of its budget.</summary>
public readonly record struct CurvePoint(string Algorithm, string Task, ulong Seed, double Step, double Score);

/// <summary>
/// The report's input: final scores and, when known, learning curves. Built from a CSV with columns
/// <c>algorithm,task,seed,score</c> (optionally <c>step</c>: then the rows are curve points and the score of a run is
/// its value at its largest step), or from run folders written by <c>train</c>, scored by their protocol: a run with a
/// final evaluation (the Atari-100k presets, papers P1 Table 1 and Dopamine's <c>DataEfficientAtariRunner</c>) by the
/// mean return of those evaluation episodes; every other run by the mean return of the training episodes of its last
/// iteration, Dopamine's per-iteration average that both papers plot.
/// </summary>
public sealed class ScoreSet
{
    /// <summary>Curve points per run folder (bins of the budget).</summary>
    public const int CurvePoints = 20;

    /// <summary>Final scores.</summary>
    public List<ScoreRow> Scores { get; } = [];

    /// <summary>The algorithm whose per-task mean every score was divided by (<see cref="NormalizeBy"/>), or null.</summary>
    public string? NormalizedBy { get; private set; }

    /// <summary>
    /// A copy with every score and curve point of a task divided by <paramref name="reference"/>'s mean final score on
    /// that task: MinAtar games have no human reference and their returns differ in scale by an order of magnitude
    /// (Breakout ≈ 10, Space Invaders ≈ 30 after 250k steps), so IQMs across games need a common unit. The reference
    /// then scores 1 on average on every task; the optimality gap becomes the shortfall below it.
    /// </summary>
    /// <exception cref="ArgumentException">The reference is missing on a task, or its mean there is not positive.</exception>
    public ScoreSet NormalizeBy(string reference)
    {
        var means = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string task in Scores.Select(r => r.Task).Distinct())
        {
            var own = Scores.Where(r => r.Task == task && r.Algorithm == reference).Select(r => r.Score).ToList();
            if (own.Count == 0)
                throw new ArgumentException($"--normalize-by: '{reference}' has no run on {task}; normalize by an algorithm that ran every task (algorithms: {string.Join(", ", Scores.Select(r => r.Algorithm).Distinct().Order(StringComparer.Ordinal))}).");
            double mean = own.Average();
            if (!(mean > 0)) throw new ArgumentException($"--normalize-by: '{reference}' averages {mean:G4} on {task}; a reference must score above 0 on every task.");
            means[task] = mean;
        }
        var set = new ScoreSet { NormalizedBy = reference };
        set.Scores.AddRange(Scores.Select(r => r with { Score = r.Score / means[r.Task] }));
        set.Curves.AddRange(Curves.Select(c => c with { Score = c.Score / means[c.Task] }));
        return set;
    }

    /// <summary>Learning-curve points (may be empty).</summary>
    public List<CurvePoint> Curves { get; } = [];

    /// <summary>Loads every input: CSV files, run folders, or folders of run folders.</summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="lastEpisodes">When set, run folders are scored by the mean of their last n training returns
    /// instead of their protocol's rule.</param>
    /// <exception cref="ArgumentException">An input that is neither; a malformed CSV (the message names the line).</exception>
    public static ScoreSet Load(IEnumerable<string> inputs, int? lastEpisodes = null)
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

    /// <summary>
    /// Adds a CSV of <c>algorithm,task,seed,score[,step]</c> rows (header required, any column order), or a
    /// <see cref="ScoresCsv"/> file written by an earlier report (its header starts <c>preset,env,network</c>).
    /// </summary>
    public void AddCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new ArgumentException($"{path}: empty; expected a header algorithm,task,seed,score.");
        string[] header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        if (header.Take(ScoresCsv.FixedColumns.Count).SequenceEqual(ScoresCsv.FixedColumns))
        {
            AddScoresCsv(path, lines, header);
            return;
        }
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
            var (seed, score) = SeedAndScore(path, n + 1, f[s], f[v]);
            if (st < 0)
            {
                Scores.Add(new ScoreRow(f[a], f[t], seed, score, $"score column of {Path.GetFileName(path)}"));
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
            Scores.Add(new ScoreRow(last.Algorithm, last.Task, last.Seed, last.Score,
                                    string.Create(CultureInfo.InvariantCulture, $"score at the last step ({last.Step:G}) of {Path.GetFileName(path)}")));
        }
    }

    /// <summary>A CSV row's seed (a non-negative integer) and score (a finite number), or an error naming the line.</summary>
    private static (ulong Seed, double Score) SeedAndScore(string path, int line, string seedField, string scoreField)
    {
        if (!ulong.TryParse(seedField, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed))
            throw new ArgumentException($"{path}:{line}: seed '{seedField}' is not a non-negative integer.");
        if (!double.TryParse(scoreField, NumberStyles.Float, CultureInfo.InvariantCulture, out double score) || !double.IsFinite(score))
            throw new ArgumentException($"{path}:{line}: score '{scoreField}' is not a finite number.");
        return (seed, score);
    }

    // scores.csv: algorithm = preset-network (the experiment name of a sweep's run), the per-iteration training means
    // as curve points at the end of each iteration (training steps, spread evenly over the run's steps).
    private void AddScoresCsv(string path, string[] lines, string[] header)
    {
        int iterations = header.Length - ScoresCsv.FixedColumns.Count;
        for (int n = 1; n < lines.Length; n++)
        {
            if (string.IsNullOrWhiteSpace(lines[n])) continue;
            string[] f = lines[n].Split(',').Select(x => x.Trim()).ToArray();
            if (f.Length != header.Length) throw new ArgumentException($"{path}:{n + 1}: {f.Length} fields but the header has {header.Length}.");
            var (seed, score) = SeedAndScore(path, n + 1, f[3], f[5]);
            if (!double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double steps) || !(steps > 0))
                throw new ArgumentException($"{path}:{n + 1}: steps '{f[4]}' is not a positive number.");
            string algorithm = $"{f[0]}-{f[2]}";
            Scores.Add(new ScoreRow(algorithm, f[1], seed, score, $"score column of {Path.GetFileName(path)}"));
            // Shorter runs leave the trailing columns empty; an interior empty cell is an iteration that ended no episode.
            int ran = Enumerable.Range(0, iterations).LastOrDefault(i => f[6 + i].Length > 0, -1) + 1;
            for (int i = 0; i < iterations; i++)
            {
                if (f[6 + i].Length == 0) continue;
                if (!double.TryParse(f[6 + i], NumberStyles.Float, CultureInfo.InvariantCulture, out double mean))
                    throw new ArgumentException($"{path}:{n + 1}: {header[6 + i]} '{f[6 + i]}' is not a number.");
                Curves.Add(new CurvePoint(algorithm, f[1], seed, steps * (i + 1) / ran, mean));
            }
        }
    }

    /// <summary>Adds one run folder: algorithm = experiment, task = environment, score by <see cref="RunScore"/>, plus its
    /// learning curve.</summary>
    public void AddRunFolder(string dir, int? lastEpisodes = null)
    {
        TrainConfig cfg = JsonConfig.Load(Path.Combine(dir, RunFolder.ConfigFile));
        List<EpisodeRow> rows = MetricsCsv.Read(Path.Combine(dir, RunFolder.MetricsFile));
        var (score, rule) = RunScore(cfg, rows, dir, lastEpisodes);
        string task = EnvSpec.Parse(cfg.Env).ShortName;
        Scores.Add(new ScoreRow(cfg.ExperimentName, task, cfg.Seed, score, rule));
        var (xs, ys) = MetricsCsv.Curve(rows, cfg.TotalSteps, CurvePoints);
        for (int i = 0; i < xs.Length; i++)
            if (!double.IsNaN(ys[i])) Curves.Add(new CurvePoint(cfg.ExperimentName, task, cfg.Seed, xs[i], ys[i]));
    }

    /// <summary>
    /// A run's score and the rule behind it. A run with a final evaluation (<see cref="TrainSetup.FinalEvalEpisodes"/>,
    /// logged as evaluation episodes after its last iteration) scores their mean; otherwise the mean training return of
    /// its last iteration; <paramref name="lastEpisodes"/> overrides both with the mean of the last n training returns.
    /// </summary>
    /// <exception cref="ArgumentException">The run has no episode to score yet, or fewer final evaluation episodes than
    /// its protocol plays.</exception>
    public static (double Score, string Rule) RunScore(TrainConfig cfg, IReadOnlyList<EpisodeRow> rows, string dir, int? lastEpisodes = null)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(rows);
        var train = rows.Where(r => r.Phase == "train").ToList();
        int finalEval = TrainSetup.FinalEvalEpisodes(cfg);
        if (lastEpisodes is null && finalEval > 0)
        {
            var final = rows.Where(r => r.Phase == "eval" && r.Iteration >= cfg.Iterations).TakeLast(finalEval).ToList();
            if (final.Count < finalEval)
            {
                throw new ArgumentException(
                    $"report: run folder '{dir}' ({cfg.Preset}) is scored by its final evaluation of {finalEval} episodes but has " +
                    $"{final.Count}: the run has not finished (continue it with train --resume {dir}), or pass --last-episodes.");
            }
            return (final.Average(r => r.Return), string.Create(CultureInfo.InvariantCulture,
                $"final evaluation: mean of {finalEval} episodes at ε_eval after {final[0].TotalSteps:N0} training steps"));
        }
        if (train.Count == 0) throw new ArgumentException($"report: run folder '{dir}' has no finished training episode yet.");
        if (lastEpisodes is int n)
        {
            return (MetricsCsv.RecentMean(rows, n), string.Create(CultureInfo.InvariantCulture,
                $"mean of the last {Math.Min(n, train.Count)} training episodes (--last-episodes)"));
        }
        long last = train.Max(r => r.Iteration);
        var episodes = train.Where(r => r.Iteration == last).ToList();
        return (episodes.Average(r => r.Return), string.Create(CultureInfo.InvariantCulture,
            $"mean return of the {episodes.Count} training episodes of iteration {last + 1} of {cfg.Iterations}" +
            $"{(last + 1 < cfg.Iterations ? " (unfinished run)" : "")}, Dopamine's per-iteration average"));
    }
}
