using System.CommandLine;
using MoeScratch.Train.Cli;
using MoeScratch.Train.Plotting;

namespace MoeScratch.Train.Report;

/// <summary>
/// <c>report</c>: aggregate run folders or a <c>algorithm,task,seed,score</c> CSV into rliable statistics
/// (Agarwal et al. 2021), a Markdown table and PNG plots.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Run folders, folders of run folders, or CSV files with columns algorithm,task,seed,score[,step].",
            Arity = ArgumentArity.OneOrMore,
        };
        var replicates = OptionFactory.Integer("--replicates", "Bootstrap replicates for the aggregates. [default: 50000]", 1, 10_000_000);
        var seed = OptionFactory.Integer("--seed", "Bootstrap seed. [default: 0]", 0);
        var lastEpisodes = OptionFactory.Integer("--last-episodes",
            "Run folders: score a run by the mean of its last n training returns. [default: the run's protocol: its final " +
            "evaluation (der, drq-eps), else the mean training return of its last iteration]", 1, 1_000_000);
        var output = OptionFactory.Text("--output", "Folder for report.md, scores.csv and the PNGs. [default: report]", "dir");
        var unfinished = new Option<bool>("--include-unfinished") { Description = "Also report unfinished runs, at their current progress (they are always listed)." };
        var normalizeBy = OptionFactory.Text("--normalize-by", "Divide each non-Atari task's scores by this algorithm's mean score on it (MinAtar has no human reference), so IQMs, profiles and the optimality gap share one unit. [default: raw returns]", "algorithm");
        var claimsFile = OptionFactory.Text("--claims", "A JSON array of {\"claim\", \"x\", \"y\", \"expect\": better|not-better|not-worse}: adds a Claims table (IQM difference, P(X > Y), verdict).", "claims.json");
        inputs.Validators.Add(r =>
        {
            foreach (var t in r.Tokens.Where(t => t.Value.StartsWith("--", StringComparison.Ordinal)))
                r.AddError($"unknown option '{t.Value}' for 'report'; valid options: --replicates, --seed, --last-episodes, --output, --include-unfinished, --normalize-by, --claims.");
        });
        var cmd = new Command("report", "Aggregate runs into IQM, median, mean and optimality gap with 95% stratified-bootstrap CIs, profiles, " +
                                        "P(improvement), plots and scores.csv. Each (preset, env, network, seed) counts once; unfinished runs are listed, not scored. " + ExitCodes.HelpText);
        cmd.Arguments.Add(inputs);
        foreach (Option o in new Option[] { replicates, seed, lastEpisodes, output, unfinished, normalizeBy, claimsFile }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            string outDir = pr.GetValue(output) ?? "report";
            int reps = (int)(pr.GetValue(replicates) ?? Rl.Evaluation.StratifiedBootstrap.DefaultReplicates);
            ulong s = (ulong)(pr.GetValue(seed) ?? 0);
            int? last = (int?)pr.GetValue(lastEpisodes);
            IReadOnlyList<Claim>? claims = pr.GetValue(claimsFile) is string cf ? Claim.Load(cf) : null;
            string md = Run(pr.GetValue(inputs)!, outDir, reps, s, last, out _, pr.GetValue(unfinished), pr.InvocationConfiguration.Error,
                            pr.GetValue(normalizeBy), claims);
            pr.InvocationConfiguration.Output.WriteLine(md);
            pr.InvocationConfiguration.Output.WriteLine($"Wrote {Path.Combine(outDir, "report.md")}, the plots{(File.Exists(Path.Combine(outDir, ScoresCsv.FileName)) ? $" and {ScoresCsv.FileName}" : "")} in {outDir}/.");
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>Runs the whole report and returns the Markdown text; <paramref name="groups"/> holds the numbers.</summary>
    /// <param name="includeUnfinished">Also score unfinished runs at their current progress (they are listed either way).</param>
    /// <param name="log">Receives the warnings (duplicate runs resolved, unreadable folders); null discards them.</param>
    /// <param name="normalizeBy">Divide each task's scores by this algorithm's mean there before the analysis (null: none).</param>
    /// <param name="claims">Claims to test (a "Claims" table in report.md); null: none.</param>
    public static string Run(IReadOnlyList<string> inputs, string outDir, int replicates, ulong seed, int? lastEpisodes, out List<GroupReport> groups,
                             bool includeUnfinished = false, TextWriter? log = null, string? normalizeBy = null, IReadOnlyList<Claim>? claims = null)
    {
        RunInventory inventory = RunInventory.Scan(inputs, includeUnfinished);
        foreach (string w in inventory.Warnings) log?.WriteLine($"warning: {w}");
        if (inventory.Inputs.Count == 0)
        {
            throw new ArgumentException($"report: no finished run to report; {inventory.Unfinished.Count} unfinished: " +
                                        $"{string.Join("; ", inventory.Unfinished.Select(r => $"{r.Path} ({r.Progress})"))}. Pass --include-unfinished to report them at their current progress.");
        }
        ScoreSet set = ScoreSet.Load(inventory.Inputs, lastEpisodes);
        foreach (var repeated in set.Scores.GroupBy(r => (r.Algorithm, r.Task, r.Seed)).Where(g => g.Count() > 1))
        {
            throw new ArgumentException($"report: algorithm '{repeated.Key.Algorithm}', task '{repeated.Key.Task}', seed {repeated.Key.Seed} appears " +
                                        $"{repeated.Count()} times in the inputs; each run must appear once (remove the repeated CSV rows or inputs).");
        }
        // Scores and scores.csv stay in the runs' own units; the analysis may divide them by a reference algorithm.
        ScoreSet analysed = normalizeBy is null ? set : set.NormalizeBy(normalizeBy);
        groups = ReportAnalysis.Analyse(analysed, replicates, seed, claims);
        Directory.CreateDirectory(outDir);
        var plots = new List<string>();
        foreach (GroupReport g in groups)
        {
            string bars = Path.Combine(outDir, $"iqm_{g.Name}.png");
            Plots.AggregateBars(bars, g);
            plots.Add(bars);
            string prof = Path.Combine(outDir, $"profiles_{g.Name}.png");
            Plots.Profiles(prof, g);
            plots.Add(prof);
            if (g.Curves.Count > 0)
            {
                string curves = Path.Combine(outDir, $"sample_efficiency_{g.Name}.png");
                Plots.EfficiencyCurves(curves, g);
                plots.Add(curves);
            }
        }
        // Per-game learning curves in each game's own returns (the raw set, not the normalised one).
        foreach (string task in set.Curves.Select(c => c.Task).Distinct().Order(StringComparer.Ordinal))
        {
            string game = Path.Combine(outDir, $"curves_{Config.RunFolder.Sanitize(task)}.png");
            Plots.GameCurves(game, task, set.Curves);
            plots.Add(game);
        }
        // scores.csv lists finished run folders; a report of CSV inputs alone writes none, and never over an input.
        string scoresPath = Path.GetFullPath(Path.Combine(outDir, ScoresCsv.FileName));
        if (inventory.Included.Any(r => r.Finished) && !inputs.Any(i => Path.GetFullPath(i) == scoresPath))
            ScoresCsv.Write(scoresPath, inventory, set);
        var runNotes = inventory.FoldersFound > 0 ? inventory.Describe(includeUnfinished).ToList() : [];
        string analyses = AnalysisSummary.Render(AnalysisSummary.Load(inventory.Included));
        string md = MarkdownReport.Render(groups, replicates, seed, plots, set.Scores, runNotes, analyses);
        File.WriteAllText(Path.Combine(outDir, "report.md"), md);
        return md;
    }
}
