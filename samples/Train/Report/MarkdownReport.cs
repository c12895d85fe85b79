using System.Globalization;
using System.Text;
using MoeScratch.Rl.Evaluation;

namespace MoeScratch.Train.Report;

/// <summary>Renders <see cref="GroupReport"/>s as a Markdown document (tables of point estimates and 95 % CIs).</summary>
public static class MarkdownReport
{
    /// <summary>Formats the whole report.</summary>
    /// <param name="groups">The analysed task groups.</param>
    /// <param name="replicates">Bootstrap replicates of the aggregates.</param>
    /// <param name="seed">Bootstrap seed.</param>
    /// <param name="plots">PNG files to link.</param>
    /// <param name="scores">When given, listed per run with the rule that scored each.</param>
    /// <param name="runs">Lines about the run folders (counts, unfinished runs, warnings), shown under "Runs"; may be empty.</param>
    public static string Render(IReadOnlyList<GroupReport> groups, int replicates, ulong seed, IReadOnlyList<string> plots,
                                IReadOnlyList<ScoreRow>? scores = null, IReadOnlyList<string>? runs = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Aggregate results");
        sb.AppendLine();
        sb.AppendLine(Inv($"Stratified bootstrap (rliable, papers.md §9): {replicates} replicates for the aggregates, {Math.Min(replicates, ReportAnalysis.SecondaryReplicates)} for profiles, curves and P(X > Y); seed {seed}; 95 % percentile intervals."));
        if (runs is { Count: > 0 })
        {
            sb.AppendLine();
            sb.AppendLine("## Runs");
            sb.AppendLine();
            foreach (string line in runs) sb.AppendLine(line);
        }
        foreach (GroupReport g in groups)
        {
            sb.AppendLine();
            string kind = g.Normalized ? "human-normalised scores (papers.md §10)" : "raw returns";
            sb.AppendLine($"## {g.Name}: {kind}");
            sb.AppendLine();
            sb.AppendLine($"Tasks ({g.Tasks.Count}): {string.Join(", ", g.Tasks)}.");
            sb.AppendLine();
            sb.AppendLine("| algorithm | runs | IQM | median | mean | optimality gap |");
            sb.AppendLine("|---|---:|---|---|---|---|");
            foreach (AlgorithmAggregate a in g.Aggregates)
                sb.AppendLine(Inv($"| {a.Algorithm} | {a.Runs}{(a.Runs == 1 ? " (degenerate CI)" : "")} | {Ci(a.Iqm)} | {Ci(a.Median)} | {Ci(a.Mean)} | {(a.OptimalityGap is { } og ? Ci(og) : "n/a (raw)")} |"));
            var single = g.Aggregates.Where(a => a.Runs == 1).Select(a => a.Algorithm).ToList();
            if (single.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine($"Warning: {string.Join(", ", single)} {(single.Count == 1 ? "has" : "have")} one run per task: the bootstrap can only resample that " +
                              "run, so the interval is degenerate (zero width) and says nothing about seed-to-seed variation. Run more seeds.");
            }
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
        if (scores is { Count: > 0 })
        {
            sb.AppendLine();
            sb.AppendLine("## Scores per run");
            sb.AppendLine();
            sb.AppendLine("| algorithm | task | seed | score | rule |");
            sb.AppendLine("|---|---|---:|---:|---|");
            var ordered = scores.OrderBy(r => r.Algorithm, StringComparer.Ordinal)
                                .ThenBy(r => r.Task, StringComparer.Ordinal).ThenBy(r => r.Seed);
            foreach (ScoreRow r in ordered)
                sb.AppendLine(Inv($"| {r.Algorithm} | {r.Task} | {r.Seed} | {r.Score:0.###} | {r.Rule} |"));
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
