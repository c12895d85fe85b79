using MoeScratch.Rl.Evaluation;

namespace MoeScratch.Train.Report;

/// <summary>Aggregate metrics of one algorithm on one task group, each with a stratified-bootstrap CI.</summary>
public sealed record AlgorithmAggregate(string Algorithm, int Runs, IntervalEstimate Iqm, IntervalEstimate Median,
                                        IntervalEstimate Mean, IntervalEstimate? OptimalityGap);

/// <summary>A performance profile: fraction of runs above each τ, with a pointwise CI band.</summary>
public sealed record Profile(string Algorithm, double[] Taus, IntervalEstimate[] Fractions);

/// <summary>P(X &gt; Y) of one ordered algorithm pair with its CI.</summary>
public sealed record Improvement(string X, string Y, IntervalEstimate Probability);

/// <summary>A sample-efficiency curve: IQM over runs×tasks at each step with a CI band.</summary>
public sealed record EfficiencyCurve(string Algorithm, double[] Steps, IntervalEstimate[] Iqm);

/// <summary>
/// Everything the report shows for one task group. Atari tasks are human-normalised (Dopamine's table) and get an
/// optimality gap with γ = 1; MinAtar (and unknown) tasks are raw returns, for which "optimal" has no
/// meaning, so no gap is reported.
/// </summary>
public sealed record GroupReport(string Name, bool Normalized, IReadOnlyList<string> Tasks, IReadOnlyList<AlgorithmAggregate> Aggregates,
                                 IReadOnlyList<Profile> Profiles, IReadOnlyList<Improvement> Improvements,
                                 IReadOnlyList<EfficiencyCurve> Curves, IReadOnlyList<string> Notes,
                                 IReadOnlyList<ClaimResult>? Claims = null, string? ScoreKind = null);

/// <summary>
/// rliable's analysis (Agarwal et al. 2021) over a <see cref="ScoreSet"/>: per task group, a runs × tasks matrix per
/// algorithm, IQM / median / mean / optimality gap with stratified-bootstrap CIs, performance profiles,
/// pairwise probability of improvement and IQM sample-efficiency curves.
/// </summary>
public static class ReportAnalysis
{
    /// <summary>Replicates used for vector statistics (profiles, curves) and P(improvement), as rliable's examples.</summary>
    public const int SecondaryReplicates = StratifiedBootstrap.ProfileReplicates;

    /// <summary>Analyses the scores.</summary>
    /// <param name="set">Scores and curves.</param>
    /// <param name="replicates">Bootstrap replicates for the aggregate metrics (rliable default 50,000).</param>
    /// <param name="seed">Bootstrap seed (stored in the report so it can be reproduced).</param>
    /// <param name="claims">Claims to test in each group (<see cref="ClaimVerdicts"/>); null: none.</param>
    public static List<GroupReport> Analyse(ScoreSet set, int replicates, ulong seed, IReadOnlyList<Claim>? claims = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (replicates < 1) throw new ArgumentException($"report: --replicates must be ≥ 1, got {replicates}.");
        var groups = new List<GroupReport>();
        foreach (var domain in set.Scores.GroupBy(s => Domain(s.Task)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            groups.Add(AnalyseGroup(domain.Key, [.. domain], set.Curves.Where(c => Domain(c.Task) == domain.Key).ToList(), replicates, seed,
                                    domain.Key == "atari" ? null : set.NormalizedBy, claims ?? []));
        }
        return groups;
    }

    /// <summary>"atari" for tasks with human/random reference scores, "minatar" for MinAtar games, else "other".</summary>
    public static string Domain(string task) =>
        AtariGame(task) is not null ? "atari" : IsMinAtar(task) ? "minatar" : "other";

    /// <summary>The Atari reference-table name of a task ("atari-space_invaders", "Pong", …), or null.</summary>
    public static string? AtariGame(string task)
    {
        string t = task.StartsWith("atari-", StringComparison.OrdinalIgnoreCase) ? task[6..] : task;
        foreach (string candidate in new[] { t, t.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal) })
            if (AtariScores.TryGet(candidate, out _)) return AtariScores.Games.First(g => string.Equals(g, candidate, StringComparison.OrdinalIgnoreCase));
        return null;
    }

    private static bool IsMinAtar(string task)
    {
        string t = task.StartsWith("minatar-", StringComparison.OrdinalIgnoreCase) ? task[8..] : task;
        return Config.Choices.MinAtarGames.Contains(t.ToLowerInvariant());
    }

    private static GroupReport AnalyseGroup(string domain, List<ScoreRow> rows, List<CurvePoint> curves, int replicates, ulong seed,
                                            string? normalizedBy, IReadOnlyList<Claim> claims)
    {
        // Atari: human-normalised here. Other groups: raw returns, or already divided by a reference algorithm's mean
        // (ScoreSet.NormalizeBy), which gives them a common scale and an optimality gap (shortfall below the reference).
        bool human = domain == "atari";
        bool normalized = human || normalizedBy is not null;
        var notes = new List<string>();
        var tasks = rows.Select(r => r.Task).Distinct().Order(StringComparer.Ordinal).ToList();
        var algorithms = rows.Select(r => r.Algorithm).Distinct().Order(StringComparer.Ordinal).ToList();
        var matrices = new Dictionary<string, double[,]>();
        foreach (string alg in algorithms)
        {
            double[,]? m = Matrix(rows.Where(r => r.Algorithm == alg).ToList(), tasks, human, out string? note);
            if (note is not null) notes.Add($"{alg}: {note}");
            if (m is not null) matrices[alg] = m;
        }
        var main = new StratifiedBootstrap(seed, replicates);
        var secondary = new StratifiedBootstrap(seed, Math.Min(replicates, SecondaryReplicates));
        var aggregates = matrices.Select(kv => new AlgorithmAggregate(kv.Key, kv.Value.GetLength(0),
            main.Estimate(kv.Value, Metrics.InterquartileMean), main.Estimate(kv.Value, Metrics.Median),
            main.Estimate(kv.Value, Metrics.Mean), normalized ? main.Estimate(kv.Value, s => Metrics.OptimalityGap(s)) : null)).ToList();

        double[] taus = ProfileTaus(human, matrices.Values);
        var profiles = matrices.Select(kv => new Profile(kv.Key, taus, secondary.Estimate(kv.Value, s => Metrics.RunScoreDistribution(s, taus)))).ToList();

        var improvements = new List<Improvement>();
        var names = matrices.Keys.ToList();
        for (int i = 0; i < names.Count; i++)
            for (int j = i + 1; j < names.Count; j++)
                improvements.Add(new Improvement(names[i], names[j], secondary.Estimate(matrices[names[i]], matrices[names[j]], Metrics.ProbabilityOfImprovement)));

        var effCurves = new List<EfficiencyCurve>();
        foreach (string alg in matrices.Keys)
        {
            var pts = curves.Where(c => c.Algorithm == alg).ToList();
            var steps = new List<double>();
            var iqms = new List<IntervalEstimate>();
            foreach (var at in pts.GroupBy(c => c.Step).OrderBy(g => g.Key))
            {
                var asRows = at.Select(c => new ScoreRow(c.Algorithm, c.Task, c.Seed, c.Score)).ToList();
                double[,]? m = Matrix(asRows, tasks, human, out _);
                if (m is null) continue;
                steps.Add(at.Key);
                iqms.Add(secondary.Estimate(m, Metrics.InterquartileMean));
            }
            if (steps.Count > 0) effCurves.Add(new EfficiencyCurve(alg, [.. steps], [.. iqms]));
        }
        var claimResults = claims.Select(c => ClaimVerdicts.Evaluate(c, matrices.GetValueOrDefault(c.X), matrices.GetValueOrDefault(c.Y), secondary)).ToList();
        string kind = human ? "human-normalised scores (P1 §4, Appendix: (score − random) / (human − random))"
            : normalizedBy is not null ? $"returns divided by {normalizedBy}'s mean return on the same task"
            : "raw returns";
        return new GroupReport(domain, normalized, tasks, aggregates, profiles, improvements, effCurves, notes, claimResults, kind);
    }

    /// <summary>
    /// The τ grid of the performance profiles. Human-normalised Atari scores use rliable's Atari grid,
    /// τ ∈ linspace(0, 8, 81) (google-research/rliable, the Atari 200M example of Agarwal et al. 2021), so profiles are
    /// comparable across reports; raw returns, which have no common scale, use 51 points from the lowest to the highest
    /// score in the group.
    /// </summary>
    internal static double[] ProfileTaus(bool normalized, IEnumerable<double[,]> matrices)
    {
        if (normalized) return Enumerable.Range(0, 81).Select(i => i / 10.0).ToArray();
        var all = matrices.SelectMany(m => m.Cast<double>()).ToList();
        if (all.Count == 0) return [];
        double lo = all.Min();
        double hi = Math.Max(lo + 1e-9, all.Max());
        return Enumerable.Range(0, 51).Select(i => lo + (hi - lo) * i / 50).ToArray();
    }

    /// <summary>
    /// Runs × tasks matrix of one algorithm (runs ordered by seed within each task). rliable needs a rectangle: when
    /// tasks have different run counts the matrix keeps the smallest count and <paramref name="note"/> says so; an
    /// algorithm missing a task gets no matrix.
    /// </summary>
    internal static double[,]? Matrix(List<ScoreRow> rows, IReadOnlyList<string> tasks, bool normalized, out string? note)
    {
        note = null;
        var perTask = tasks.Select(t => rows.Where(r => r.Task == t).OrderBy(r => r.Seed).Select(r => r.Score).ToArray()).ToList();
        var missing = tasks.Where((t, i) => perTask[i].Length == 0).ToList();
        if (missing.Count > 0)
        {
            note = $"no runs on {string.Join(", ", missing)}; left out of this group's comparison.";
            return null;
        }
        int runs = perTask.Min(p => p.Length);
        if (perTask.Any(p => p.Length != runs)) note = $"tasks have {string.Join("/", perTask.Select(p => p.Length))} runs; using the first {runs} seeds of each.";
        var m = new double[runs, tasks.Count];
        for (int t = 0; t < tasks.Count; t++)
        {
            string? game = normalized ? AtariGame(tasks[t]) : null;
            for (int r = 0; r < runs; r++) m[r, t] = game is null ? perTask[t][r] : AtariScores.Normalize(game, perTask[t][r]);
        }
        return m;
    }
}
