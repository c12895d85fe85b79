using System.CommandLine;
using System.Globalization;
using MoeScratch.Train.Cli;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Sweep;

/// <summary>
/// <c>sweep</c>: expand presets × envs × networks × seeds (from flags, or a <c>--protocol</c> file whose axes typed
/// flags replace) into <c>train --run-dir</c> jobs, one run folder each; run them locally k at a time, or write a
/// Slurm array script; print the <c>report</c> command that aggregates the results. Running the same sweep again
/// continues unfinished runs and skips finished ones.
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
        var protocol = OptionFactory.Text("--protocol", "A JSON study protocol: presets, envs, networks, seeds, total_steps and a 'train' object of further train flags (docs/runs-and-sweeps.md). Axes typed here replace the file's.", "file.json");
        var presets = Many("--presets", "Agent presets.", ["minatar-dqn"]);
        var envs = Many("--envs", "Environments (minatar:<game> or atari:<rom>).", ["minatar:breakout"]);
        var networks = Many("--networks", $"Network specs: {NetworkSpec.Forms}.", ["baseline", "softmoe:4"]);
        var seeds = new Option<ulong[]>("--seeds")
        {
            Description = "Seeds. [default: 0 1 2]",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [0UL, 1UL, 2UL],
        };
        var totalSteps = OptionFactory.Integer("--total-steps", "Training steps per run (default: the protocol's, else train's).", 1);
        var outDir = OptionFactory.Text("--out", "Runs root: each job's run folder is <out>/<preset>__<env>__<network>__<seed>. [default: runs]", "dir");
        var parallel = OptionFactory.Integer("--parallel", "Local jobs at a time; Slurm: the array throttle %k. [default: 1]", 1, 256);
        var threads = OptionFactory.Integer("--threads", "Kernel threads per job [default: local, cores / --parallel; Slurm, the task's allocated CPUs].", 1, 1024);
        var slurm = OptionFactory.Text("--slurm", "Write a Slurm job-array script to this path instead of running.", "script.sh");
        var app = OptionFactory.Text("--app", "Slurm: the trainer the jobs run, MoeScratch.Train.dll or its apphost, on a shared file system [default: this app]; $MOESCRATCH_TRAIN_APP overrides it when a job runs.", "path");
        var dotnet = OptionFactory.Text("--dotnet", "Slurm: the dotnet executable on the nodes [default: found when the job runs: $MOESCRATCH_DOTNET, PATH, $DOTNET_ROOT].", "path");
        var cpus = OptionFactory.Integer("--cpus-per-task", "Slurm: CPUs per task, which each job uses as --threads. [default: 1]", 1, 1024);
        var time = OptionFactory.Text("--time", "Slurm: time limit per task. [default: 24:00:00]", "d-hh:mm:ss");
        var grace = OptionFactory.Integer("--grace", "Slurm: seconds before the time limit at which a task checkpoints and requeues itself. [default: 600]", 30, 65_535);
        var sbatch = new Option<string[]>("--sbatch")
        {
            Description = "Slurm: a further #SBATCH option without its dashes, e.g. --sbatch partition=cpu --sbatch mem=8G.",
            AllowMultipleArgumentsPerToken = false,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the jobs and exit." };
        var cmd = new Command("sweep", "Run presets × envs × networks × seeds as `train --run-dir` jobs locally k at a time, or write a Slurm array script. " + ExitCodes.HelpText + " A local sweep exits 1 when a job failed or was interrupted (its log says why; running the sweep again continues it).");
        foreach (Option o in new Option[] { protocol, presets, envs, networks, seeds, totalSteps, outDir, parallel, threads, slurm, app, dotnet, cpus, time, grace, sbatch, dryRun })
            cmd.Options.Add(o);
        cmd.SetAction(async (pr, ct) =>
        {
            TextWriter o = pr.InvocationConfiguration.Output;
            bool G(Option option) => OptionFactory.Given(pr, option);
            string? protocolPath = pr.GetValue(protocol);
            SweepProtocol file = protocolPath is null ? new SweepProtocol() : SweepProtocol.Load(protocolPath);
            string source = protocolPath ?? "--protocol";
            bool local = pr.GetValue(slurm) is null;
            // Slurm jobs start in whatever folder sbatch was called from: their run folders are absolute paths.
            string runs = pr.GetValue(outDir) ?? "runs";
            if (!local) runs = Path.GetFullPath(runs);
            int k = (int)(pr.GetValue(parallel) ?? 1);

            var common = new List<string>();
            if (pr.GetValue(totalSteps) is long steps) common.AddRange(["--total-steps", steps.ToString(CultureInfo.InvariantCulture)]);
            else common.AddRange(file.BudgetArguments());
            common.AddRange(file.TrainArguments(TrainFlagKeys(), source));
            // Local jobs run side by side: each gets its share of the cores (kernel threads spin between kernels).
            // Slurm jobs take theirs from the allocation when they run (SlurmScript).
            int? jobThreads = (int?)pr.GetValue(threads) ?? (local && k > 1 ? LocalThreads(k) : null);
            if (local && jobThreads is int n) common.AddRange(["--threads", n.ToString(CultureInfo.InvariantCulture)]);

            List<SweepJob> jobs = SweepPlan.Expand(
                G(presets) || file.Presets is null ? pr.GetValue(presets)! : file.Presets,
                G(envs) || file.Envs is null ? pr.GetValue(envs)! : file.Envs,
                G(networks) || file.Networks is null ? pr.GetValue(networks)! : file.Networks,
                G(seeds) || file.Seeds is null ? pr.GetValue(seeds)! : file.Seeds,
                runs, common);
            CheckTrainArguments(jobs[0], source);
            IReadOnlyList<string> self = LocalSweepRunner.SelfCommand();
            string reportCmd = ReportCommandLine(self, runs);
            if (pr.GetValue(dryRun))
            {
                foreach (SweepJob j in jobs) o.WriteLine($"[{j.Index}] {string.Join(" ", j.Arguments.Select(SlurmScript.Quote))}");
                o.WriteLine($"{jobs.Count} jobs. Aggregate with: {reportCmd}");
                return ExitCodes.Success;
            }
            if (pr.GetValue(slurm) is string scriptPath)
            {
                var options = new SlurmOptions(Path.GetFullPath(pr.GetValue(app) ?? self[^1]), Path.GetFullPath(Path.Combine(runs, "slurm-logs")))
                {
                    Dotnet = pr.GetValue(dotnet),
                    MaxConcurrent = G(parallel) ? k : null,
                    CpusPerTask = (int)(pr.GetValue(cpus) ?? 1),
                    Threads = jobThreads,
                    TimeLimit = pr.GetValue(time) ?? "24:00:00",
                    GraceSeconds = (int)(pr.GetValue(grace) ?? 600),
                    Extra = pr.GetValue(sbatch) ?? [],
                };
                string script = SlurmScript.Render(jobs, options);
                Directory.CreateDirectory(options.LogDir);
                await File.WriteAllTextAsync(scriptPath, script, ct).ConfigureAwait(false);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(scriptPath, File.GetUnixFileMode(scriptPath) | UnixFileMode.UserExecute);
                o.WriteLine($"Wrote {scriptPath} ({jobs.Count} array tasks, one run folder each under {runs}/). Submit with: sbatch {SlurmScript.Quote(scriptPath)}");
                o.WriteLine("Submitting it again continues unfinished runs; finished ones exit at once.");
                o.WriteLine($"When the array has finished, aggregate with: {reportCmd}");
                return ExitCodes.Success;
            }
            string logs = Path.Combine(runs, "sweep-logs");
            o.WriteLine($"Running {jobs.Count} jobs, {k} at a time; logs in {logs}/.");
            var results = await LocalSweepRunner.RunAsync(jobs, self, logs, k,
                r => o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{r.Job.Index + 1}/{jobs.Count}] {r.Job.Env} {r.Job.Preset} {r.Job.Network} seed {r.Job.Seed}: exit {r.ExitCode} after {r.Wall.TotalSeconds:F0} s ({r.LogPath})")),
                ct).ConfigureAwait(false);
            int failed = results.Count(r => r.ExitCode != 0);
            o.WriteLine($"{results.Count - failed} of {jobs.Count} jobs succeeded{(failed > 0 ? $", {failed} failed or were interrupted (see their logs; running the sweep again continues them)" : "")}{(results.Count < jobs.Count ? $", {jobs.Count - results.Count} not started (cancelled)" : "")}.");
            o.WriteLine($"Aggregate with: {reportCmd}");
            return failed > 0 || results.Count < jobs.Count ? ExitCodes.Failure : ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>Kernel threads per local job when <paramref name="parallel"/> jobs share this machine's cores.</summary>
    public static int LocalThreads(int parallel) => Math.Max(1, Environment.ProcessorCount / parallel);

    /// <summary>The shell command that aggregates the sweep's runs.</summary>
    public static string ReportCommandLine(IReadOnlyList<string> app, string runs) =>
        string.Join(" ", app.Select(SlurmScript.Quote)) + " report " + SlurmScript.Quote(runs) + " --output " + SlurmScript.Quote(Path.Combine(runs, "report"));

    // snake_case names of train's flags, for the protocol's "train" object.
    private static List<string> TrainFlagKeys() =>
        [.. new TrainOptions().All.Select(o => o.Name[2..].Replace('-', '_')), "threads", "progress"];

    // A job's arguments parse as train's would, and give a valid config: bad protocol values fail here, once, not in
    // every job.
    private static void CheckTrainArguments(SweepJob job, string source)
    {
        var options = new TrainOptions();
        var train = new Command("train");
        options.AddTo(train);
        train.Options.Add(TrainCommand.ThreadsOption());
        System.CommandLine.ParseResult pr = train.Parse(job.Arguments.Skip(1).ToArray());
        var problems = CliApp.DescribeErrors(pr).Select(e => e.Replace("error: ", "", StringComparison.Ordinal)).ToList();
        if (problems.Count == 0)
        {
            TrainConfig c = options.Apply(pr, new TrainConfig());
            problems.AddRange(c.Validate());
        }
        if (problems.Count > 0) throw new ArgumentException($"{source}: the jobs' train settings are not valid: {string.Join(" ", problems)}");
    }
}
