using System.Globalization;

namespace MoeScratch.Train.Training;

/// <summary>One row of a run's <c>metrics.csv</c>: a finished episode.</summary>
/// <param name="Phase">"train" or "eval".</param>
/// <param name="Iteration">Iteration the episode belongs to.</param>
/// <param name="TotalSteps">Training agent steps taken when the episode ended (the x-axis of learning curves).</param>
/// <param name="Return">Undiscounted, unclipped episode return.</param>
/// <param name="Length">Episode length in agent steps.</param>
public readonly record struct EpisodeRow(string Phase, long Iteration, long TotalSteps, double Return, long Length);

/// <summary>
/// The layout of <c>metrics.csv</c> (one row per finished episode; the learning curve and the report's final scores
/// are read back from it) and its reader.
/// </summary>
public static class MetricsCsv
{
    /// <summary>Column names, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["phase", "iteration", "episode", "total_steps", "return", "length", "loss", "epsilon", "steps_per_second", "wall_seconds"];

    /// <summary>Reads the episode rows of a metrics file.</summary>
    /// <exception cref="InvalidDataException">The header lacks a needed column or a number does not parse; the message
    /// names the file, the line and the column.</exception>
    public static List<EpisodeRow> Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{path}: empty file; expected a header with {string.Join(",", Columns)}.");
        string[] header = lines[0].Split(',');
        int Col(string name)
        {
            int i = Array.IndexOf(header, name);
            return i >= 0 ? i : throw new InvalidDataException($"{path}: the header has no '{name}' column; expected {string.Join(",", Columns)}.");
        }
        int phase = Col("phase"), iter = Col("iteration"), steps = Col("total_steps"), ret = Col("return"), len = Col("length");
        var rows = new List<EpisodeRow>(lines.Length - 1);
        for (int n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0) continue;
            string[] f = lines[n].Split(',');
            if (f.Length != header.Length) throw new InvalidDataException($"{path}:{n + 1}: {f.Length} fields, the header has {header.Length}.");
            rows.Add(new EpisodeRow(f[phase], ParseLong(f[iter], n, "iteration"), ParseLong(f[steps], n, "total_steps"),
                                    ParseDouble(f[ret], n, "return"), ParseLong(f[len], n, "length")));
        }
        return rows;

        long ParseLong(string s, int line, string col) =>
            long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v
                : throw new InvalidDataException($"{path}:{line + 1}: column '{col}' holds '{s}', not an integer.");
        double ParseDouble(string s, int line, string col) =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
                : throw new InvalidDataException($"{path}:{line + 1}: column '{col}' holds '{s}', not a number.");
    }

    /// <summary>
    /// The learning curve: mean training return of the episodes ending in each of <paramref name="points"/> equal
    /// step bins over [0, <paramref name="totalSteps"/>]; bins without an episode repeat the previous value (NaN before
    /// the first episode). Returns (bin end step, mean return).
    /// </summary>
    public static (double[] Steps, double[] Returns) Curve(IReadOnlyList<EpisodeRow> rows, long totalSteps, int points)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        var sums = new double[points];
        var counts = new int[points];
        long span = Math.Max(1, totalSteps);
        foreach (EpisodeRow r in rows)
        {
            if (r.Phase != "train") continue;
            int bin = (int)Math.Clamp((r.TotalSteps - 1) * points / span, 0, points - 1);
            sums[bin] += r.Return;
            counts[bin]++;
        }
        var xs = new double[points];
        var ys = new double[points];
        double last = double.NaN;
        for (int b = 0; b < points; b++)
        {
            xs[b] = (double)span * (b + 1) / points;
            if (counts[b] > 0) last = sums[b] / counts[b];
            ys[b] = last;
        }
        return (xs, ys);
    }

    /// <summary>Mean return of the last <paramref name="episodes"/> training episodes (NaN when there are none).</summary>
    public static double RecentMean(IReadOnlyList<EpisodeRow> rows, int episodes)
    {
        var train = rows.Where(r => r.Phase == "train").TakeLast(episodes).ToList();
        return train.Count == 0 ? double.NaN : train.Average(r => r.Return);
    }
}
