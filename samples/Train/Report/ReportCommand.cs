using System.CommandLine;
using MoeScratch.Train.Cli;
using MoeScratch.Train.Plotting;

namespace MoeScratch.Train.Report;

/// <summary>
/// <c>report</c>: aggregate run folders or a <c>algorithm,task,seed,score</c> CSV into rliable statistics
/// (papers.md §9), a Markdown table and PNG plots.
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
        inputs.Validators.Add(r =>
        {
            foreach (var t in r.Tokens.Where(t => t.Value.StartsWith("--", StringComparison.Ordinal)))
                r.AddError($"unknown option '{t.Value}' for 'report'; valid options: --replicates, --seed, --last-episodes, --output, --include-unfinished.");
        });
        var cmd = new Command("report", "Aggregate runs into IQM, median, mean and optimality gap with 95% stratified-bootstrap CIs, profiles, " +
                                        "P(improvement), plots and scores.csv. Each (preset, env, network, seed) counts once; unfinished runs are listed, not scored. " + ExitCodes.HelpText);
        cmd.Arguments.Add(inputs);
        foreach (Option o in new Option[] { replicates, seed, lastEpisodes, output, unfinished }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            string outDir = pr.GetValue(output) ?? "report";
            int reps = (int)(pr.GetValue(replicates) ?? Rl.Evaluation.StratifiedBootstrap.DefaultReplicates);
            ulong s = (ulong)(pr.GetValue(seed) ?? 0);
            int? last = (int?)pr.GetValue(lastEpisodes);
            string md = Run(pr.GetValue(inputs)!, outDir, reps, s, last, out _, pr.GetValue(unfinished), pr.InvocationConfiguration.Error);
            pr.InvocationConfiguration.Output.WriteLine(md);
            pr.InvocationConfiguration.Output.WriteLine($"Wrote {Path.Combine(outDir, "report.md")}, the plots{(File.Exists(Path.Combine(outDir, ScoresCsv.FileName)) ? $" and {ScoresCsv.FileName}" : "")} in {outDir}/.");
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>Runs the whole report and returns the Markdown text; <paramref name="groups"/> holds the numbers.</summary>
    /// <param name="includeUnfinished">Also score unfinished runs at their current progress (they are listed either way).</param>
    /// <param name="log">Receives the warnings (duplicate runs resolved, unreadable folders); null discards them.</param>
    public static string Run(IReadOnlyList<string> inputs, string outDir, int replicates, ulong seed, int? lastEpisodes, out List<GroupReport> groups,
                             bool includeUnfinished = false, TextWriter? log = null)
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
        groups = ReportAnalysis.Analyse(set, replicates, seed);
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
        int scored = ScoresCsv.Write(Path.Combine(outDir, ScoresCsv.FileName), inventory, set);
        if (scored == 0) File.Delete(Path.Combine(outDir, ScoresCsv.FileName));
        var runNotes = inventory.FoldersFound > 0 ? inventory.Describe(includeUnfinished).ToList() : [];
        string md = MarkdownReport.Render(groups, replicates, seed, plots, set.Scores, runNotes);
        File.WriteAllText(Path.Combine(outDir, "report.md"), md);
        return md;
    }
}
