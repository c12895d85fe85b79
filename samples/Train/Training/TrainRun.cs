using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Analysis;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Evaluation;
using MoeScratch.Rl.Running;
using MoeScratch.Train.Cli;
using MoeScratch.Train.Config;
using MoeScratch.Train.Plotting;
using MoeScratch.Train.Progress;

namespace MoeScratch.Train.Training;

/// <summary>How a training session ended.</summary>
/// <param name="RunFolder">The run folder.</param>
/// <param name="Result">The runner's result (for an already complete run: its final counters, no new iteration).</param>
/// <param name="Summary">The summary paragraph (also in summary.txt), or the "already complete" line.</param>
/// <param name="AlreadyComplete">True when the run had already reached its budget and nothing was changed.</param>
public sealed record TrainOutcome(string RunFolder, RunResult Result, string Summary, bool AlreadyComplete = false);

/// <summary>How a session finds its run folder.</summary>
public enum RunMode
{
    /// <summary>A new run in a new folder <c>&lt;out&gt;/&lt;env&gt;__&lt;experiment&gt;__&lt;seed&gt;__&lt;timestamp&gt;</c>.</summary>
    New,

    /// <summary><c>--run-dir</c>: start, resume or report complete, whichever the folder's state calls for.</summary>
    RunDir,

    /// <summary><c>--resume</c>: continue a run that has a checkpoint.</summary>
    Resume,
}

/// <summary>What <c>train</c> was asked to do.</summary>
/// <param name="Config">The resolved config (for an existing run: its config.json with the allowed changes).</param>
/// <param name="Mode">How the folder is found.</param>
/// <param name="Folder">The run folder (<see cref="RunMode.RunDir"/>, <see cref="RunMode.Resume"/>).</param>
public sealed record RunRequest(TrainConfig Config, RunMode Mode = RunMode.New, string? Folder = null);

/// <summary>
/// One training session. The environment and the agent are built before any run folder is created, so a bad
/// environment or network leaves nothing behind. The folder is then locked (<see cref="RunLock"/>: one trainer per
/// run), and, under the lock, the session starts the run, resumes it from its newest intact checkpoint (found by
/// scanning; corrupt ones are skipped with a warning naming them), or reports it complete without touching it. It
/// trains with live progress, checkpoints (also on Ctrl-C/SIGTERM), and ends with the learning-curve PNG and the
/// summary paragraph.
/// </summary>
public static class TrainRun
{
    /// <summary>Files a session writes outside checkpoints/; a run restarted from step 0 deletes them first.</summary>
    private static readonly string[] SessionOutputs = [RunFolder.MetricsFile, RunFolder.AnalysisFile, RunFolder.LearningCurveFile, RunFolder.SummaryFile];

    /// <summary>Runs a session: a new run (<paramref name="resumeFolder"/> null) or <c>--resume</c>.</summary>
    public static TrainOutcome Run(TrainConfig config, string? resumeFolder, string progressMode, TextWriter output, CancellationToken ct) =>
        Run(new RunRequest(config, resumeFolder is null ? RunMode.New : RunMode.Resume, resumeFolder), progressMode, output, ct);

    /// <summary>Runs a session.</summary>
    /// <param name="request">Config, mode and folder.</param>
    /// <param name="progressMode">"auto", "rich" or "plain".</param>
    /// <param name="output">Console output for plain progress and the summary.</param>
    /// <param name="ct">Ctrl-C: the runner stops at the next episode boundary and checkpoints.</param>
    /// <exception cref="ArgumentException">Bad config, or one that does not continue the run in the folder.</exception>
    /// <exception cref="InvalidDataException">The run folder cannot be continued (checkpoints all corrupt, config.json
    /// disagreeing with the checkpoint, metrics files shorter than the checkpoint counts).</exception>
    /// <exception cref="RunLockedException">Another live trainer holds the folder.</exception>
    public static TrainOutcome Run(RunRequest request, string progressMode, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        TrainConfig config = request.Config;
        var errors = config.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
        var wall = Stopwatch.StartNew();
        string? folder = request.Folder;
        bool existing = folder is not null && File.Exists(Path.Combine(folder, RunFolder.ConfigFile));
        if (request.Mode == RunMode.Resume && !existing)
            throw new ArgumentException($"--resume: '{folder}' is not a run folder (no {RunFolder.ConfigFile}); start a run there with --run-dir {folder}.");

        RunLock? runLock = null;
        IEnvironment? env = null;
        DqnAgent? agent = null;
        try
        {
            if (existing)
            {
                runLock = RunLock.Acquire(folder!);
                if (runLock.TakeOverMessage is { } note) output.WriteLine(note);
                config = ContinueUnderLock(config, folder!);
                if (Complete(config, folder!) is { } done)
                {
                    string line = string.Create(CultureInfo.InvariantCulture,
                        $"{folder} is already complete: {done.Iteration} of {config.Iterations} iterations, {done.TotalSteps:N0} steps (checkpoint {Path.GetFileName(done.Path)}). Nothing was changed; extend it with a larger --total-steps or --iterations.");
                    output.WriteLine(line);
                    return new TrainOutcome(folder!, new RunResult(StopReason.Completed, done.Iteration, done.TotalSteps, [], done.Path), line, AlreadyComplete: true);
                }
            }
            else
            {
                config = TrainSetup.ResolveDerived(config);
            }
            // Built before a new folder exists: an environment or network that cannot be built leaves no orphan folder.
            env = TrainSetup.CreateEnvironment(config);
            agent = TrainSetup.CreateAgent(config, env);
            if (!existing)
            {
                folder ??= Path.Combine(config.Out, RunFolder.Name(EnvSpec.Parse(config.Env).ShortName, config.ExperimentName, config.Seed, DateTime.UtcNow));
                Directory.CreateDirectory(folder);
                runLock = RunLock.Acquire(folder);
                if (runLock.TakeOverMessage is { } note) output.WriteLine(note);
                if (File.Exists(Path.Combine(folder, RunFolder.ConfigFile)))
                    throw new RunLockedException(runLock.Directory, $"run folder '{runLock.Directory}' was started by another trainer meanwhile; run the command again to continue that run.");
            }
            return Train(config, folder!, existing, request.Mode, env, agent, progressMode, output, wall, ct);
        }
        catch (Exception e) when (ExitCodes.TagRunFolder(e, runLock?.Directory))
        {
            throw; // never reached: the filter only records where a crash log belongs
        }
        finally
        {
            agent?.Dispose();
            env?.Dispose();
            runLock?.Dispose();
        }
    }

    // Under the lock: the config.json on disk now (another session may have extended it meanwhile) must still be
    // continued by this session's config.
    private static TrainConfig ContinueUnderLock(TrainConfig config, string folder)
    {
        string path = Path.Combine(folder, RunFolder.ConfigFile);
        return RunConfigRules.Continue(JsonConfig.Load(path), config, path, iterationsGiven: true);
    }

    // The run's newest checkpoint when it has reached the budget and verifies; null otherwise (train on).
    private static CheckpointSummary? Complete(TrainConfig config, string folder)
    {
        CheckpointSummary? newest = RunCheckpointer.PeekNewest(Path.Combine(folder, RunFolder.CheckpointDir));
        if (newest is null || newest.Iteration < config.Iterations) return null;
        try
        {
            CheckpointManifest.LoadAndVerify(newest.Path);
            return newest;
        }
        catch (InvalidDataException)
        {
            return null; // the resume path reports and skips it
        }
    }

    private static TrainOutcome Train(TrainConfig config, string folder, bool existing, RunMode mode, IEnvironment env, DqnAgent agent,
                                      string progressMode, TextWriter output, Stopwatch wall, CancellationToken ct)
    {
        AgentConfig agentConfig = TrainSetup.Agent(config);
        RunnerConfig runnerConfig = TrainSetup.Runner(config, agentConfig);
        JsonObject manifestConfig = RunConfigRules.ToJson(config);
        var checkpointer = new RunCheckpointer(Path.Combine(folder, RunFolder.CheckpointDir), new AgentStore(agent), config.KeepCheckpoints, manifestConfig);

        LoadedRunCheckpoint? loaded = existing ? Resume(config, folder, mode, checkpointer, env, output) : null;
        string configPath = Path.Combine(folder, RunFolder.ConfigFile);
        if (loaded is null)
        {
            // A new run, or one that stopped before its first checkpoint: start from step 0 with fresh session files.
            foreach (string f in SessionOutputs) File.Delete(Path.Combine(folder, f));
            foreach (string f in Directory.EnumerateFiles(folder, "events.out.tfevents.*")) File.Delete(f);
        }
        if (!existing || JsonConfig.Serialize(JsonConfig.Load(configPath)) != JsonConfig.Serialize(config)) JsonConfig.Save(config, configPath);

        // analysis.csv stays open in a resumed session with probes off, so its checkpointed row count carries on.
        string analysis = Path.Combine(folder, RunFolder.AnalysisFile);
        TrainerSink mine;
        try
        {
            mine = new TrainerSink(Path.Combine(folder, RunFolder.MetricsFile),
                                   config.ProbeEvery > 0 || File.Exists(analysis) ? analysis : null, () => agent.Stats,
                                   config.TotalSteps, config.SummaryEpisodes, loaded?.State.TotalSteps ?? 0, loaded?.Offsets);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{folder}: {e.Message} The metrics files no longer match checkpoint {loaded?.Path}.", e);
        }
        var tensorBoard = new TensorBoardMetricsSink(folder, loaded?.Offsets);
        if (loaded is null) tensorBoard.Writer.AddHyperparameters(Hyperparameters(config, agentConfig));
        using var sink = new CompositeMetricsSink(mine, tensorBoard);
        var runner = new Runner(env, agent, runnerConfig, sink, loaded?.State) { Checkpointer = checkpointer };
        if (config.ProbeEvery > 0)
        {
            runner.Probe = new IterationProbe(config.ProbeEvery, config.ProbeBatch, new ProbeOptions(DormantThreshold: config.DormantTau));
        }

        string title = $"{config.ExperimentName} on {config.Env} (seed {config.Seed})";
        if (loaded is null) output.WriteLine($"Training {title}: {config.TotalSteps:N0} steps in {config.Iterations} iterations → {folder}");
        RunResult result = TrainingProgress.Run(progressMode, title, config.TotalSteps, TimeSpan.FromSeconds(config.LogEverySeconds), output,
            progress =>
            {
                mine.Progress = progress;
                return runner.Run(ct);
            });
        mine.Progress = null; // the progress display has ended; the final evaluation reports its own line
        string metrics = Path.Combine(folder, RunFolder.MetricsFile);
        PhaseStats? final = FinalEvaluation(config, agentConfig, runner, result, metrics, output, ct);
        sink.Flush();
        string summary = Finish(config, folder, result, mine, wall.Elapsed, final);
        output.WriteLine();
        output.WriteLine(summary);
        return new TrainOutcome(folder, result, summary);
    }

    /// <summary>
    /// The one evaluation after training (the Atari-100k protocol's 100 episodes at ε_eval; Dopamine's
    /// <c>DataEfficientAtariRunner</c>), logged as evaluation episodes after the last iteration; <c>report</c> scores the
    /// run from them. A checkpoint follows a complete evaluation, so a resumed run keeps it and is not evaluated twice;
    /// an interrupted one is dropped with the rows after the last checkpoint and runs again on resume.
    /// </summary>
    private static PhaseStats? FinalEvaluation(TrainConfig config, AgentConfig agent, Runner runner, RunResult result, string metricsPath,
                                               TextWriter output, CancellationToken ct)
    {
        int episodes = TrainSetup.FinalEvalEpisodes(config);
        if (episodes == 0 || result.Reason != StopReason.Completed) return null;
        runner.Sink.Flush();
        if (MetricsCsv.Read(metricsPath).Count(r => r.Phase == "eval" && r.Iteration >= config.Iterations) >= episodes) return null;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Final evaluation: {episodes} episodes at ε = {agent.EpsilonEval} …"));
        PhaseStats stats = runner.Evaluate(episodes, ct);
        if (stats.Episodes == episodes) runner.Checkpointer?.Save(runner);
        return stats;
    }

    // The newest intact checkpoint of an existing run, checked against config.json; null when the run stopped before
    // its first checkpoint and may start again (--run-dir).
    private static LoadedRunCheckpoint? Resume(TrainConfig config, string folder, RunMode mode, RunCheckpointer checkpointer, IEnvironment env, TextWriter output)
    {
        // Before any state is loaded: a config.json edited by hand would build an agent that cannot take the checkpoint.
        if (RunCheckpointer.PeekNewest(checkpointer.Directory) is { Config: JsonObject saved } newest)
        {
            var diffs = RunConfigRules.Differences(RunConfigRules.ToJson(config), saved);
            if (diffs.Count > 0)
            {
                throw new InvalidDataException(
                    $"{Path.Combine(folder, RunFolder.ConfigFile)} disagrees with checkpoint {newest.Path} on " +
                    $"{string.Join(", ", diffs.Select(d => $"{d.Key} ({d.A} in config.json, {d.B} in the checkpoint)"))}; the checkpoint's " +
                    "manifest.json holds the run's config under extra.config: restore config.json from it.");
            }
        }
        LoadedRunCheckpoint? loaded = checkpointer.LoadNewestValid(env, out IReadOnlyList<string> skipped);
        foreach (string reason in skipped) output.WriteLine($"warning: skipped a checkpoint that cannot be used: {reason}");
        if (loaded is null)
        {
            string what = skipped.Count == 0 ? "has no checkpoint yet" : $"has {skipped.Count} checkpoint(s), none intact";
            if (mode == RunMode.Resume || skipped.Count > 0)
            {
                throw new InvalidDataException(skipped.Count == 0
                    ? $"--resume: '{folder}' {what} (it stopped before the end of its first iteration); `train --run-dir {folder}` starts it again from step 0."
                    : $"'{folder}' {what} (see the warnings above); move {checkpointer.Directory} aside to start the run again from step 0.");
            }
            output.WriteLine($"Starting {folder} again from step 0: it {what} (it stopped before the end of its first iteration).");
            return null;
        }
        if (skipped.Count > 0) output.WriteLine($"warning: using the newest intact checkpoint, {Path.GetFileName(loaded.Path)}; {skipped.Count} newer one(s) skipped.");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Resuming {folder} from {Path.GetFileName(loaded.Path)} (iteration {loaded.State.Iteration} of {config.Iterations}, {loaded.State.TotalSteps:N0} steps)."));
        return loaded;
    }

    private static string Finish(TrainConfig config, string folder, RunResult result, TrainerSink sink, TimeSpan wall, PhaseStats? final)
    {
        List<EpisodeRow> rows = MetricsCsv.Read(Path.Combine(folder, RunFolder.MetricsFile));
        double recent = MetricsCsv.RecentMean(rows, config.SummaryEpisodes);
        int recentCount = Math.Min(config.SummaryEpisodes, rows.Count(r => r.Phase == "train"));
        double? random = RandomReturn(config);
        var (xs, ys) = MetricsCsv.Curve(rows, config.TotalSteps, 40);
        string png = Path.Combine(folder, RunFolder.LearningCurveFile);
        Plots.LearningCurve(png, xs, ys, random, $"{config.ExperimentName} on {config.Env}, seed {config.Seed}");
        string versus = random is { } r
            ? string.Create(CultureInfo.InvariantCulture, $" against {r:F2} for the uniform random policy")
            : "";
        string status = result.Reason == StopReason.Cancelled
            ? $"Interrupted after {result.TotalSteps:N0} of {config.TotalSteps:N0} steps; checkpoint {result.LastCheckpoint ?? "(none)"}. Continue with: train --run-dir {folder}."
            : string.Create(CultureInfo.InvariantCulture, $"Trained {result.TotalSteps:N0} steps over {result.IterationsCompleted} iterations.");
        string evaluated = final is { } f
            ? string.Create(CultureInfo.InvariantCulture, $"The final evaluation's {f.Episodes} episodes returned {f.MeanReturn:F2} on average. ")
            : "";
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"{status} The mean return of the last {recentCount} training episodes was {recent:F2}{versus}. " +
            $"{evaluated}" +
            $"This session ran at {sink.StepsPerSecond:F0} agent steps/s (training included) and took {wall.TotalSeconds:F0} s of wall time. " +
            $"Files are in {folder}: config.json, metrics.csv, {(config.ProbeEvery > 0 ? RunFolder.AnalysisFile + ", " : "")}" +
            $"the TensorBoard event file, checkpoints/ and {RunFolder.LearningCurveFile}.");
        File.WriteAllText(Path.Combine(folder, RunFolder.SummaryFile), summary + Environment.NewLine);
        return summary;
    }

    /// <summary>
    /// The uniform random policy's mean return: measured on MinAtar (200 episodes, Young &amp; Tian 2019), the
    /// reference table for known Atari games (Dopamine's human/random table), otherwise unknown.
    /// </summary>
    public static double? RandomReturn(TrainConfig config)
    {
        EnvSpec spec = EnvSpec.Parse(config.Env);
        if (spec.Kind == EnvKind.MinAtar) return RandomPolicyBaseline.Measure(spec.Target, 200, config.Seed ^ 0x52414E44UL).MeanReturn;
        string? game = Report.ReportAnalysis.AtariGame(spec.ShortName);
        return game is not null && AtariScores.TryGet(game, out AtariReference reference) ? reference.Random : null;
    }

    private static IEnumerable<KeyValuePair<string, string>> Hyperparameters(TrainConfig c, AgentConfig a)
    {
        var node = JsonNode.Parse(JsonConfig.Serialize(c))!.AsObject();
        foreach (var kv in node) yield return new(kv.Key, kv.Value?.ToJsonString() ?? "null");
        yield return new("agent.learning_rate", a.LearningRate.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.batch_size", a.BatchSize.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.min_replay_history", a.MinReplayHistory.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.replay_capacity", a.ReplayCapacity.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.target_update_period", a.TargetUpdatePeriod.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.epsilon_decay_period", a.EpsilonDecayPeriod.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.update_period", a.UpdatePeriod.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.stack_size", a.StackSize.ToString(CultureInfo.InvariantCulture));
        yield return new("agent.gamma", a.Gamma.ToString(CultureInfo.InvariantCulture));
    }
}
