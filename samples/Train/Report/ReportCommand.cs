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
        var lastEpisodes = OptionFactory.Integer("--last-episodes", "Run folders: a run's score is the mean of its last n training returns. [default: 100]", 1, 1_000_000);
        var output = OptionFactory.Text("--output", "Folder for report.md and the PNGs. [default: report]", "dir");
        inputs.Validators.Add(r =>
        {
            foreach (var t in r.Tokens.Where(t => t.Value.StartsWith("--", StringComparison.Ordinal)))
                r.AddError($"unknown option '{t.Value}' for 'report'; valid options: --replicates, --seed, --last-episodes, --output.");
        });
        var cmd = new Command("report", "Aggregate runs into IQM, median, mean and optimality gap with 95% stratified-bootstrap CIs, profiles, P(improvement) and plots.");
        cmd.Arguments.Add(inputs);
        foreach (Option o in new Option[] { replicates, seed, lastEpisodes, output }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            string outDir = pr.GetValue(output) ?? "report";
            int reps = (int)(pr.GetValue(replicates) ?? Rl.Evaluation.StratifiedBootstrap.DefaultReplicates);
            ulong s = (ulong)(pr.GetValue(seed) ?? 0);
            int last = (int)(pr.GetValue(lastEpisodes) ?? 100);
            string md = Run(pr.GetValue(inputs)!, outDir, reps, s, last, out _);
            pr.InvocationConfiguration.Output.WriteLine(md);
            pr.InvocationConfiguration.Output.WriteLine($"Wrote {Path.Combine(outDir, "report.md")} and the plots in {outDir}/.");
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>Runs the whole report and returns the Markdown text; <paramref name="groups"/> holds the numbers.</summary>
    public static string Run(IReadOnlyList<string> inputs, string outDir, int replicates, ulong seed, int lastEpisodes, out List<GroupReport> groups)
    {
        ScoreSet set = ScoreSet.Load(inputs, lastEpisodes);
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
        string md = MarkdownReport.Render(groups, replicates, seed, plots);
        File.WriteAllText(Path.Combine(outDir, "report.md"), md);
        return md;
    }
}
