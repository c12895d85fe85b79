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
    /// <param name="analyses">A Markdown section placed after the claims (<see cref="AnalysisSummary.Render"/>); null or empty: none.</param>
    public static string Render(IReadOnlyList<GroupReport> groups, int replicates, ulong seed, IReadOnlyList<string> plots,
                                IReadOnlyList<ScoreRow>? scores = null, IReadOnlyList<string>? runs = null, string? analyses = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Aggregate results");
        sb.AppendLine();
        sb.AppendLine(Inv($"Stratified bootstrap (rliable, Agarwal et al. 2021): {replicates} replicates for the aggregates, {Math.Min(replicates, ReportAnalysis.SecondaryReplicates)} for profiles, curves and P(X > Y); seed {seed}; 95 % percentile intervals."));
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
            string kind = g.ScoreKind ?? (g.Normalized ? "human-normalised scores" : "raw returns");
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
        var claims = groups.SelectMany(g => (g.Claims ?? []).Select(c => (Group: g.Name, Result: c))).ToList();
        if (claims.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Claims");
            sb.AppendLine();
            sb.AppendLine(Inv($"Verdicts on the 95 % CI of IQM(X) − IQM(Y), with a margin δ = {ClaimVerdicts.MarginFraction:P0} of |IQM(Y)|: `better` is reproduced when the CI is above 0 and contradicted when below; `not-better` is reproduced when the CI stays below δ and contradicted when it is above 0; `not-worse` is reproduced when the CI stays above −δ and contradicted when it is below −δ. Anything else is inconclusive at this budget."));
            sb.AppendLine();
            sb.AppendLine("| claim | group | X vs Y | expect | IQM(X) − IQM(Y) | P(X > Y) | verdict |");
            sb.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var (group, r) in claims)
                sb.AppendLine($"| {r.Claim.Text} | {group} | {r.Claim.X} vs {r.Claim.Y} | {r.Claim.Expect} | {(r.Difference is { } d ? Ci(d) : "–")} | {(r.Improvement is { } p ? Ci(p) : "–")} | {r.Verdict} |");
        }
        if (!string.IsNullOrEmpty(analyses))
        {
            sb.AppendLine();
            sb.Append(analyses);
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
