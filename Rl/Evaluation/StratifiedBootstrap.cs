using MoeScratch.Tensors;

namespace MoeScratch.Rl.Evaluation;

/// <summary>A point estimate with a bootstrap confidence interval.</summary>
/// <param name="Point">The statistic on the original data.</param>
/// <param name="Lower">Lower percentile bound.</param>
/// <param name="Upper">Upper percentile bound.</param>
public readonly record struct IntervalEstimate(double Point, double Lower, double Upper);

/// <summary>
/// Stratified bootstrap confidence intervals (Agarwal et al. 2021; rliable `library.py` with arch's
/// StratifiedIIDBootstrap): each replicate resamples runs with replacement independently within each task
/// (strata = tasks, the task set stays fixed), recomputes the statistic, and the interval is the percentile
/// interval (numpy linear interpolation) at the given confidence. Seeded with <see cref="Rng"/>, so results are
/// reproducible; store the seed and replicate count with the results.
/// </summary>
public sealed class StratifiedBootstrap
{
    /// <summary>rliable's default replicate count for aggregate metrics.</summary>
    public const int DefaultReplicates = 50_000;

    /// <summary>rliable's replicate count in its performance-profile and probability-of-improvement examples.</summary>
    public const int ProfileReplicates = 2_000;

    /// <summary>Creates a bootstrap.</summary>
    /// <param name="seed">Seed of the resampling RNG.</param>
    /// <param name="replicates">Bootstrap replicates (default 50,000).</param>
    /// <param name="confidence">Two-sided confidence level (default 0.95: 2.5th and 97.5th percentiles).</param>
    public StratifiedBootstrap(ulong seed, int replicates = DefaultReplicates, double confidence = 0.95)
    {
        if (replicates < 1) throw new ArgumentException($"replicates must be ≥ 1, got {replicates}.", nameof(replicates));
        if (confidence is <= 0 or >= 1) throw new ArgumentException($"confidence must be in (0, 1), got {confidence}.", nameof(confidence));
        Seed = seed;
        Replicates = replicates;
        Confidence = confidence;
    }

    /// <summary>RNG seed.</summary>
    public ulong Seed { get; }

    /// <summary>Replicate count.</summary>
    public int Replicates { get; }

    /// <summary>Confidence level.</summary>
    public double Confidence { get; }

    /// <summary>Interval for a scalar statistic of a runs × tasks matrix, e.g. <see cref="Metrics.InterquartileMean"/>.</summary>
    public IntervalEstimate Estimate(double[,] scores, Func<double[,], double> statistic)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        return Estimate(scores, s => [statistic(s)])[0];
    }

    /// <summary>Intervals for a vector statistic (e.g. a performance profile over many τ), one per component.</summary>
    public IntervalEstimate[] Estimate(double[,] scores, Func<double[,], double[]> statistic)
    {
        Metrics.CheckShape(scores);
        ArgumentNullException.ThrowIfNull(statistic);
        var rng = new Rng(Seed);
        var sample = new double[scores.GetLength(0), scores.GetLength(1)];
        return Run(statistic(scores), () =>
        {
            Resample(scores, sample, rng);
            return statistic(sample);
        });
    }

    /// <summary>
    /// Interval for a two-sample statistic such as <see cref="Metrics.ProbabilityOfImprovement"/>: X and Y runs are
    /// resampled independently within each task (rliable's StratifiedIndependentBootstrap).
    /// </summary>
    public IntervalEstimate Estimate(double[,] x, double[,] y, Func<double[,], double[,], double> statistic)
    {
        Metrics.CheckShape(x);
        Metrics.CheckShape(y);
        ArgumentNullException.ThrowIfNull(statistic);
        var rng = new Rng(Seed);
        var sx = new double[x.GetLength(0), x.GetLength(1)];
        var sy = new double[y.GetLength(0), y.GetLength(1)];
        return Run([statistic(x, y)], () =>
        {
            Resample(x, sx, rng);
            Resample(y, sy, rng);
            return [statistic(sx, sy)];
        })[0];
    }

    /// <summary>Fills <paramref name="sample"/> by drawing, for each task independently, runs with replacement.</summary>
    internal static void Resample(double[,] scores, double[,] sample, Rng rng)
    {
        int runs = scores.GetLength(0), tasks = scores.GetLength(1);
        for (int t = 0; t < tasks; t++)
            for (int r = 0; r < runs; r++)
                sample[r, t] = scores[rng.NextInt(runs), t];
    }

    private IntervalEstimate[] Run(double[] point, Func<double[]> replicate)
    {
        var reps = new double[point.Length][];
        for (int k = 0; k < point.Length; k++) reps[k] = new double[Replicates];
        for (int b = 0; b < Replicates; b++)
        {
            double[] v = replicate();
            if (v.Length != point.Length)
                throw new InvalidOperationException($"Statistic returned {v.Length} values on a replicate but {point.Length} on the data.");
            for (int k = 0; k < v.Length; k++) reps[k][b] = v[k];
        }
        double tail = (1 - Confidence) / 2 * 100;
        var result = new IntervalEstimate[point.Length];
        for (int k = 0; k < point.Length; k++)
        {
            Array.Sort(reps[k]);
            result[k] = new IntervalEstimate(point[k], Percentile(reps[k], tail), Percentile(reps[k], 100 - tail));
        }
        return result;
    }

    /// <summary>numpy.percentile with linear interpolation over an already sorted array.</summary>
    public static double Percentile(double[] sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0) throw new ArgumentException("percentile of an empty set is undefined.", nameof(sorted));
        double pos = percent / 100 * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
