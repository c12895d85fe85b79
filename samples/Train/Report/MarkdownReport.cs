using System.Globalization;
using System.Text;
using MoeScratch.Rl.Evaluation;

namespace MoeScratch.Train.Report;

/// <summary>Renders <see cref="GroupReport"/>s as a Markdown document (tables of point estimates and 95 % CIs).</summary>
public static class MarkdownReport
{
    /// <summary>Formats the whole report.</summary>
    public static string Render(IReadOnlyList<GroupReport> groups, int replicates, ulong seed, IReadOnlyList<string> plots)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Aggregate results");
        sb.AppendLine();
        sb.AppendLine(Inv($"Stratified bootstrap (rliable): {replicates} replicates for the aggregates, {Math.Min(replicates, ReportAnalysis.SecondaryReplicates)} for profiles, curves and P(X > Y); seed {seed}; 95 % percentile intervals."));
        foreach (GroupReport g in groups)
        {
            sb.AppendLine();
            string kind = g.Normalized ? "human-normalised scores (Dopamine's human/random table)" : "raw returns";
            sb.AppendLine($"## {g.Name}: {kind}");
            sb.AppendLine();
            sb.AppendLine($"Tasks ({g.Tasks.Count}): {string.Join(", ", g.Tasks)}.");
            sb.AppendLine();
            sb.AppendLine("| algorithm | runs | IQM | median | mean | optimality gap |");
            sb.AppendLine("|---|---:|---|---|---|---|");
            foreach (AlgorithmAggregate a in g.Aggregates)
                sb.AppendLine(Inv($"| {a.Algorithm} | {a.Runs} | {Ci(a.Iqm)} | {Ci(a.Median)} | {Ci(a.Mean)} | {(a.OptimalityGap is { } og ? Ci(og) : "n/a (raw)")} |"));
            if (g.Improvements.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("| X | Y | P(X > Y) |");
                sb.AppendLine("|---|---|---|");
                foreach (Improvement p in g.Improvements) sb.AppendLine($"| {p.X} | {p.Y} | {Ci(p.Probability)} |");
            }
            foreach (string note in g.Notes)
            {
                sb.AppendLine();
                sb.AppendLine($"Note: {note}");
            }
        }
        if (plots.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Plots");
            sb.AppendLine();
            foreach (string p in plots) sb.AppendLine($"![{Path.GetFileNameWithoutExtension(p)}]({Path.GetFileName(p)})");
        }
        return sb.ToString();
    }

    /// <summary>"point [lower, upper]" with three significant decimals.</summary>
    public static string Ci(IntervalEstimate e) => Inv($"{e.Point:0.###} [{e.Lower:0.###}, {e.Upper:0.###}]");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
