namespace MoeScratch.Rl.Evaluation;

/// <summary>
/// rliable's aggregate metrics (Agarwal et al. 2021; google-research/rliable `metrics.py`). Every score matrix is
/// <b>runs × tasks</b> (<c>scores[run, task]</c>), the layout rliable uses; bootstrapping the wrong axis gives
/// intervals with no variance (rliable issue #20).
/// </summary>
public static class Metrics
{
    /// <summary>
    /// Interquartile mean: the 25 % trimmed mean of all runs×tasks scores pooled (scipy
    /// <c>trim_mean(scores, 0.25, axis=None)</c>): drop ⌊0.25·n⌋ scores from each end, average the rest.
    /// </summary>
    public static double InterquartileMean(double[,] scores) => TrimMean(Flatten(scores), 0.25);

    /// <summary>Mean over tasks of the per-task mean across runs.</summary>
    public static double Mean(double[,] scores) => PerTaskMeans(scores).Average();

    /// <summary>Median over tasks of the per-task mean across runs (average of the two middle values for even counts).</summary>
    public static double Median(double[,] scores) => MedianOf(PerTaskMeans(scores));

    /// <summary>Optimality gap: γ − mean(min(score, γ)) over all scores; γ = 1 for human-normalized scores.</summary>
    public static double OptimalityGap(double[,] scores, double gamma = 1.0)
    {
        CheckShape(scores);
        double sum = 0;
        foreach (double s in scores) sum += Math.Min(s, gamma);
        return gamma - sum / scores.Length;
    }

    /// <summary>
    /// Performance profile (run-score distribution): for each threshold τ, the fraction of all runs×tasks scores
    /// strictly above τ (rliable `_run_score_distribution`).
    /// </summary>
    public static double[] RunScoreDistribution(double[,] scores, IReadOnlyList<double> taus)
    {
        CheckShape(scores);
        ArgumentNullException.ThrowIfNull(taus);
        var result = new double[taus.Count];
        for (int t = 0; t < taus.Count; t++)
        {
            int above = 0;
            foreach (double s in scores) if (s > taus[t]) above++;
            result[t] = (double)above / scores.Length;
        }
        return result;
    }

    /// <summary>
    /// The "average score distribution" variant of the performance profile: for each τ, the fraction of tasks whose
    /// mean score over runs is strictly above τ.
    /// </summary>
    public static double[] AverageScoreDistribution(double[,] scores, IReadOnlyList<double> taus)
    {
        double[] means = PerTaskMeans(scores);
        var asRow = new double[1, means.Length];
        for (int t = 0; t < means.Length; t++) asRow[0, t] = means[t];
        return RunScoreDistribution(asRow, taus);
    }

    /// <summary>
    /// Probability of improvement P(X &gt; Y): per task, the Mann–Whitney U statistic (alternative "greater") over
    /// N_x·N_y, i.e. the fraction of (x run, y run) pairs with x &gt; y, ties counting ½ (0.5 when the two run
    /// columns are identical); then averaged over tasks. X and Y may have different run counts, not task counts.
    /// </summary>
    public static double ProbabilityOfImprovement(double[,] x, double[,] y)
    {
        CheckShape(x);
        CheckShape(y);
        int tasks = x.GetLength(1);
        if (y.GetLength(1) != tasks)
            throw new ArgumentException($"X has {tasks} tasks but Y has {y.GetLength(1)}; both must be runs × the same tasks.", nameof(y));
        int nx = x.GetLength(0), ny = y.GetLength(0);
        double total = 0;
        for (int t = 0; t < tasks; t++)
        {
            double u = 0;
            for (int i = 0; i < nx; i++)
                for (int j = 0; j < ny; j++)
                    u += x[i, t] > y[j, t] ? 1.0 : x[i, t] == y[j, t] ? 0.5 : 0.0;
            total += u / ((double)nx * ny);
        }
        return total / tasks;
    }

    /// <summary>
    /// scipy.stats.trim_mean semantics: sort, cut ⌊proportion·n⌋ values from each end, average the rest.
    /// </summary>
    public static double TrimMean(ReadOnlySpan<double> values, double proportionToCut)
    {
        if (values.Length == 0) throw new ArgumentException("trim_mean of an empty set is undefined.", nameof(values));
        if (proportionToCut is < 0 or >= 0.5)
            throw new ArgumentException($"proportionToCut must be in [0, 0.5), got {proportionToCut}.", nameof(proportionToCut));
        var sorted = values.ToArray();
        Array.Sort(sorted);
        int cut = (int)(proportionToCut * sorted.Length);
        double sum = 0;
        for (int i = cut; i < sorted.Length - cut; i++) sum += sorted[i];
        return sum / (sorted.Length - 2 * cut);
    }

    /// <summary>Per-task mean over runs (length = tasks).</summary>
    public static double[] PerTaskMeans(double[,] scores)
    {
        CheckShape(scores);
        int runs = scores.GetLength(0), tasks = scores.GetLength(1);
        var means = new double[tasks];
        for (int t = 0; t < tasks; t++)
        {
            double s = 0;
            for (int r = 0; r < runs; r++) s += scores[r, t];
            means[t] = s / runs;
        }
        return means;
    }

    /// <summary>numpy-style median (mean of the two middle values for an even count).</summary>
    public static double MedianOf(ReadOnlySpan<double> values)
    {
        if (values.Length == 0) throw new ArgumentException("median of an empty set is undefined.", nameof(values));
        var sorted = values.ToArray();
        Array.Sort(sorted);
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m]);
    }

    internal static double[] Flatten(double[,] scores)
    {
        CheckShape(scores);
        var flat = new double[scores.Length];
        int k = 0;
        foreach (double s in scores) flat[k++] = s;
        return flat;
    }

    internal static void CheckShape(double[,] scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.GetLength(0) == 0 || scores.GetLength(1) == 0)
            throw new ArgumentException($"Score matrix is {scores.GetLength(0)} runs × {scores.GetLength(1)} tasks; it needs at least one of each.", nameof(scores));
    }
}
