using System.CommandLine;
using System.Globalization;
using MoeScratch.Train.Cli;

namespace MoeScratch.Train.Sweep;

/// <summary>
/// <c>sweep</c>: expand presets × envs × networks × seeds into <c>train</c> jobs; run them locally k at a time, or
/// write a Slurm array script; print the <c>report</c> command that aggregates the results.
/// </summary>
internal static class SweepCommand
{
    public static Command Create()
    {
        Option<string[]> Many(string name, string desc, string[] def) => new(name)
        {
            Description = $"{desc} [default: {string.Join(" ", def)}]",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => def,
        };
        var presets = Many("--presets", "Agent presets.", ["minatar-dqn"]);
        var envs = Many("--envs", "Environments (minatar:<game> or atari:<rom>).", ["minatar:breakout"]);
        var networks = Many("--networks", "Network variants: name, name:<experts> (MoE) or name:x<k> (dense).", ["baseline", "softmoe:4"]);
        var seeds = new Option<ulong[]>("--seeds")
        {
            Description = "Seeds. [default: 0 1 2]",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [0UL, 1UL, 2UL],
        };
        var totalSteps = OptionFactory.Integer("--total-steps", "Training steps per run (default: train's).", 1);
        var outDir = OptionFactory.Text("--out", "Runs root for every job. [default: runs]", "dir");
        var parallel = OptionFactory.Integer("--parallel", "Local jobs at a time. [default: 1]", 1, 256);
        var slurm = OptionFactory.Text("--slurm", "Write a Slurm job-array script to this path instead of running.", "script.sh");
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the jobs and exit." };
        var cmd = new Command("sweep", "Run presets × envs × networks × seeds locally k at a time, or write a Slurm array script.");
        foreach (Option o in new Option[] { presets, envs, networks, seeds, totalSteps, outDir, parallel, slurm, dryRun }) cmd.Options.Add(o);
        cmd.SetAction(async (pr, ct) =>
        {
            TextWriter o = pr.InvocationConfiguration.Output;
            string runs = pr.GetValue(outDir) ?? "runs";
            var common = new List<string> { "--out", runs };
            if (pr.GetValue(totalSteps) is long steps) common.AddRange(["--total-steps", steps.ToString(CultureInfo.InvariantCulture)]);
            int k = (int)(pr.GetValue(parallel) ?? 1);
            // Local jobs run side by side: each gets its share of the cores (kernel threads spin between kernels).
            if (k > 1 && pr.GetValue(slurm) is null) common.AddRange(["--threads", LocalThreads(k).ToString(CultureInfo.InvariantCulture)]);
            List<SweepJob> jobs = SweepPlan.Expand(pr.GetValue(presets)!, pr.GetValue(envs)!, pr.GetValue(networks)!, pr.GetValue(seeds)!, common);
            IReadOnlyList<string> app = LocalSweepRunner.SelfCommand();
            string reportCmd = ReportCommandLine(app, runs);
            if (pr.GetValue(dryRun))
            {
                foreach (SweepJob j in jobs) o.WriteLine($"[{j.Index}] {string.Join(" ", j.Arguments.Select(SlurmScript.Quote))}");
                o.WriteLine($"{jobs.Count} jobs. Aggregate with: {reportCmd}");
                return 0;
            }
            if (pr.GetValue(slurm) is string scriptPath)
            {
                string script = SlurmScript.Render(jobs, app, Path.Combine(runs, "slurm-logs"), (int?)pr.GetValue(parallel));
                Directory.CreateDirectory(Path.Combine(runs, "slurm-logs"));
                await File.WriteAllTextAsync(scriptPath, script, ct).ConfigureAwait(false);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(scriptPath, File.GetUnixFileMode(scriptPath) | UnixFileMode.UserExecute);
                o.WriteLine($"Wrote {scriptPath} ({jobs.Count} array tasks). Submit with: sbatch {SlurmScript.Quote(scriptPath)}");
                o.WriteLine($"When the array has finished, aggregate with: {reportCmd}");
                return 0;
            }
            o.WriteLine($"Running {jobs.Count} jobs, {k} at a time; logs in {Path.Combine(runs, "sweep-logs")}/.");
            var results = await LocalSweepRunner.RunAsync(jobs, app, Path.Combine(runs, "sweep-logs"), k,
                r => o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{r.Job.Index + 1}/{jobs.Count}] {r.Job.Env} {r.Job.Preset} {r.Job.Network} seed {r.Job.Seed}: exit {r.ExitCode} after {r.Wall.TotalSeconds:F0} s ({r.LogPath})")),
                ct).ConfigureAwait(false);
            int failed = results.Count(r => r.ExitCode != 0);
            o.WriteLine($"{results.Count - failed} of {jobs.Count} jobs succeeded{(failed > 0 ? $", {failed} failed (see their logs)" : "")}{(results.Count < jobs.Count ? $", {jobs.Count - results.Count} not started (cancelled)" : "")}.");
            o.WriteLine($"Aggregate with: {reportCmd}");
            return failed > 0 || results.Count < jobs.Count ? 1 : 0;
        });
        return cmd;
    }

    /// <summary>Kernel threads per local job when <paramref name="parallel"/> jobs share this machine's cores.</summary>
    public static int LocalThreads(int parallel) => Math.Max(1, Environment.ProcessorCount / parallel);

    /// <summary>The shell command that aggregates the sweep's runs.</summary>
    public static string ReportCommandLine(IReadOnlyList<string> app, string runs) =>
        string.Join(" ", app.Select(SlurmScript.Quote)) + " report " + SlurmScript.Quote(runs) + " --output " + SlurmScript.Quote(Path.Combine(runs, "report"));
}
