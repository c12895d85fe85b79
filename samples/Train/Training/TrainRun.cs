using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Analysis;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Evaluation;
using MoeScratch.Rl.Running;
using MoeScratch.Train.Config;
using MoeScratch.Train.Plotting;
using MoeScratch.Train.Progress;

namespace MoeScratch.Train.Training;

/// <summary>How a training session ended.</summary>
/// <param name="RunFolder">The run folder.</param>
/// <param name="Result">The runner's result.</param>
/// <param name="Summary">The summary paragraph (also in summary.txt).</param>
public sealed record TrainOutcome(string RunFolder, RunResult Result, string Summary);

/// <summary>
/// One training session: creates (or resumes) the run folder, writes config.json, builds environment, agent and
/// runner, trains with live progress, checkpoints (also on Ctrl-C), and ends with the learning-curve PNG and the
/// summary paragraph.
/// </summary>
public static class TrainRun
{
    /// <summary>Runs a session.</summary>
    /// <param name="config">Resolved config (validated here).</param>
    /// <param name="resumeFolder">A run folder to continue, or null for a new run.</param>
    /// <param name="progressMode">"auto", "rich" or "plain".</param>
    /// <param name="output">Console output for plain progress and the summary.</param>
    /// <param name="ct">Ctrl-C: the runner stops at the next episode boundary and checkpoints.</param>
    public static TrainOutcome Run(TrainConfig config, string? resumeFolder, string progressMode, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = config.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, errors));
        var wall = Stopwatch.StartNew();
        if (resumeFolder is null) config = TrainSetup.ResolveDerived(config);
        string folder = resumeFolder ?? Path.Combine(config.Out,
            RunFolder.Name(EnvSpec.Parse(config.Env).ShortName, config.ExperimentName, config.Seed, DateTime.UtcNow));
        Directory.CreateDirectory(folder);
        JsonConfig.Save(config, Path.Combine(folder, RunFolder.ConfigFile));

        using IEnvironment env = TrainSetup.CreateEnvironment(config);
        AgentConfig agentConfig = TrainSetup.Agent(config);
        using DqnAgent agent = TrainSetup.CreateAgent(config, env);
        RunnerConfig runnerConfig = TrainSetup.Runner(config, agentConfig);
        var manifestConfig = JsonNode.Parse(JsonConfig.Serialize(config))!.AsObject();
        var checkpointer = new RunCheckpointer(Path.Combine(folder, RunFolder.CheckpointDir), new AgentStore(agent), config.KeepCheckpoints, manifestConfig);

        LoadedRunCheckpoint? loaded = null;
        if (resumeFolder is not null)
        {
            if (RunCheckpointer.Latest(checkpointer.Directory) is null)
                throw new ArgumentException($"--resume: '{resumeFolder}' has no complete checkpoint in {checkpointer.Directory}; start a new run instead.");
            loaded = checkpointer.Load(env);
            output.WriteLine($"Resuming {folder} from {Path.GetFileName(loaded.Path)} (iteration {loaded.State.Iteration}, {loaded.State.TotalSteps} steps).");
        }

        // analysis.csv stays open in a resumed session with probes off, so its checkpointed row count carries on.
        string analysis = Path.Combine(folder, RunFolder.AnalysisFile);
        var mine = new TrainerSink(Path.Combine(folder, RunFolder.MetricsFile),
                                   config.ProbeEvery > 0 || File.Exists(analysis) ? analysis : null, () => agent.Stats,
                                   config.TotalSteps, config.SummaryEpisodes, loaded?.State.TotalSteps ?? 0, loaded?.Offsets);
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
        sink.Flush();
        string summary = Finish(config, folder, result, mine, wall.Elapsed);
        output.WriteLine();
        output.WriteLine(summary);
        return new TrainOutcome(folder, result, summary);
    }

    private static string Finish(TrainConfig config, string folder, RunResult result, TrainerSink sink, TimeSpan wall)
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
            ? $"Interrupted after {result.TotalSteps:N0} of {config.TotalSteps:N0} steps; checkpoint {result.LastCheckpoint ?? "(none)"}. Continue with: train --resume {folder}."
            : string.Create(CultureInfo.InvariantCulture, $"Trained {result.TotalSteps:N0} steps over {result.IterationsCompleted} iterations.");
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"{status} The mean return of the last {recentCount} training episodes was {recent:F2}{versus}. " +
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
