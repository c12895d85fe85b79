using System.Globalization;
using MoeScratch.Train.Cli;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Training;

[NonParallelizable]
public class TrainSmokeTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "moescratch-train-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    // A small Soft MoE so the smoke runs take seconds: few updates, tiny experts and batches.
    private TrainConfig Small(long steps, int iterations) => new()
    {
        TotalSteps = steps, Iterations = iterations, Out = _dir, ExpertHidden = 16, BatchSize = 8, MinReplayHistory = 100,
        SummaryEpisodes = 20, Seed = 5,
    };

    [Test]
    public async Task Train_FewHundredSteps_WritesTheWholeRunFolder_ThenEvalReadsIt()
    {
        var output = new StringWriter();
        int rc = await CliApp.RunAsync(["train", "--total-steps", "300", "--iterations", "2", "--out", _dir, "--expert-hidden", "16",
                                        "--batch-size", "8", "--min-replay-history", "100", "--progress", "plain"], output, output);
        Assert.That(rc, Is.Zero, output.ToString());
        string run = Directory.GetDirectories(_dir).Single();
        Assert.That(Path.GetFileName(run), Does.StartWith("minatar-breakout__minatar-dqn-softmoe4-perconv-h16__0__"), "the expert hidden size is part of the network tag");
        Assert.That(JsonConfig.Load(Path.Combine(run, "config.json")).TotalSteps, Is.EqualTo(300));
        var rows = MetricsCsv.Read(Path.Combine(run, "metrics.csv"));
        Assert.That(rows, Is.Not.Empty);
        Assert.That(rows[^1].TotalSteps, Is.GreaterThanOrEqualTo(300));
        Assert.That(Directory.GetFiles(run, "events.out.tfevents.*"), Has.Length.EqualTo(1));
        Assert.That(File.ReadAllText(Path.Combine(run, "checkpoints", "latest")), Does.StartWith("ckpt-000002-"));
        Assert.That(Directory.GetDirectories(Path.Combine(run, "checkpoints")), Has.Length.EqualTo(2));
        Assert.That(new FileInfo(Path.Combine(run, "learning_curve.png")).Length, Is.GreaterThan(5_000));
        Assert.That(output.ToString(), Does.Contain("uniform random policy").And.Contain("steps/s").And.Contain(run));

        string gif = Path.Combine(_dir, "episode.gif");
        var result = EvalCommand.Evaluate(run, null, episodes: 3, seed: 1, gif, maxSteps: 500, CancellationToken.None);
        Assert.That(result.Returns, Has.Length.EqualTo(3));
        Assert.That(File.ReadAllBytes(gif).Take(6), Is.EqualTo("GIF89a"u8.ToArray()));
    }

    [Test]
    public async Task Train_WithProbes_WritesAnalysisTagsAfterEveryIteration_ToAnalysisCsvAndTensorBoard()
    {
        var output = new StringWriter();
        int rc = await CliApp.RunAsync(["train", "--total-steps", "300", "--iterations", "2", "--out", _dir, "--expert-hidden", "16",
                                        "--batch-size", "8", "--min-replay-history", "100", "--progress", "plain",
                                        "--probe-batch", "8", "--dormant-tau", "0.1"], output, output);
        Assert.That(rc, Is.Zero, output.ToString());
        string run = Directory.GetDirectories(_dir).Single();
        TrainConfig saved = JsonConfig.Load(Path.Combine(run, "config.json"));
        Assert.That((saved.ProbeEvery, saved.ProbeBatch, saved.DormantTau), Is.EqualTo((1, 8, 0.1)));

        var rows = AnalysisRows(run);
        var iterationEnds = MetricsCsv.Read(Path.Combine(run, "metrics.csv")).GroupBy(r => r.Iteration).Select(g => g.Max(r => r.TotalSteps));
        Assert.That(rows.Select(r => r.Step).Distinct(), Is.EqualTo(iterationEnds), "one probe per iteration, at its last step");
        string[] expected = ["analysis/dormant_fraction", "analysis/dormant_fraction_moe_code", "analysis/srank", "analysis/feature_rank_0.01",
                             "analysis/entk_rank_0.01", "analysis/feature_mean_l2_norm", "analysis/param_norm",
                             "analysis/expert_mass_3", "analysis/expert_selected_3", "analysis/probe_seconds"];
        foreach (var probe in rows.GroupBy(r => r.Step)) Assert.That(probe.Select(r => r.Tag), Is.SupersetOf(expected));

        string events = Directory.GetFiles(run, "events.out.tfevents.*").Single();
        var tensorBoard = Rl.Logging.EventFileReader.ReadScalars(events).Where(e => e.Tag.StartsWith("analysis/", StringComparison.Ordinal)).ToList();
        Assert.That(tensorBoard.Select(e => (e.Tag, e.Step)), Is.EquivalentTo(rows.Select(r => (r.Tag, r.Step))));
        Assert.That(output.ToString(), Does.Contain("analysis.csv"));
    }

    [Test]
    public void Train_WithProbesOff_WritesNoAnalysis()
    {
        TrainOutcome o = TrainRun.Run(Small(200, 2) with { ProbeEvery = 0 }, null, "plain", TextWriter.Null, CancellationToken.None);
        Assert.That(File.Exists(Path.Combine(o.RunFolder, "analysis.csv")), Is.False);
        Assert.That(o.Summary, Does.Not.Contain("analysis.csv"));
    }

    // (total_steps, tag, value) rows of analysis.csv.
    private static List<(long Step, string Tag, double Value)> AnalysisRows(string run) =>
    [
        .. File.ReadAllLines(Path.Combine(run, "analysis.csv")).Skip(1).Select(line => line.Split(','))
               .Select(f => (long.Parse(f[0], CultureInfo.InvariantCulture), f[1], double.Parse(f[2], CultureInfo.InvariantCulture))),
    ];

    [Test]
    public void Cancelled_ThenResumed_MatchesAnUninterruptedRun()
    {
        TrainConfig straight = Small(400, 4) with { Experiment = "straight" };
        TrainOutcome full = TrainRun.Run(straight, null, "plain", TextWriter.Null, CancellationToken.None);

        // First session stops after 2 of 4 iterations (the Ctrl-C path: the runner checkpoints and returns Cancelled
        // at the next episode boundary), the second resumes the same folder with the full budget.
        TrainConfig half = Small(200, 2) with { Experiment = "split", EpsilonDecayPeriod = 80 };
        TrainOutcome first = TrainRun.Run(half, null, "plain", TextWriter.Null, CancellationToken.None);
        // As `train --resume` does: the saved config.json, whose budget-derived defaults were fixed at creation.
        TrainConfig saved = JsonConfig.Load(Path.Combine(first.RunFolder, "config.json"));
        Assert.That(saved.EpsilonDecayPeriod, Is.EqualTo(80), "straight's decay: a fifth of 400 steps");
        using (var cts = new CancellationTokenSource())
        {
            cts.Cancel();
            TrainOutcome stopped = TrainRun.Run(saved, first.RunFolder, "plain", TextWriter.Null, cts.Token);
            Assert.That(stopped.Result.Reason, Is.EqualTo(Rl.Running.StopReason.Completed), "nothing left to do at 2 of 2 iterations");
        }
        TrainOutcome resumed = TrainRun.Run(saved with { TotalSteps = 400, Iterations = 4 }, first.RunFolder, "plain", TextWriter.Null, CancellationToken.None);

        var a = MetricsCsv.Read(Path.Combine(full.RunFolder, "metrics.csv"));
        var b = MetricsCsv.Read(Path.Combine(resumed.RunFolder, "metrics.csv"));
        Assert.That(b.Select(r => (r.TotalSteps, r.Return, r.Length)), Is.EqualTo(a.Select(r => (r.TotalSteps, r.Return, r.Length))));
        // The probes too: the same batches (a stream per iteration), one probe per iteration, none lost or repeated.
        static bool Statistic((long, string Tag, double) r) => !r.Tag.EndsWith("probe_seconds", StringComparison.Ordinal);
        Assert.That(AnalysisRows(resumed.RunFolder).Where(Statistic), Is.EqualTo(AnalysisRows(full.RunFolder).Where(Statistic)));
        // After every iteration that ended with more than min-replay-history (100) transitions, the agent's own
        // condition for sampling a batch (one transition per training step).
        var probed = a.GroupBy(r => r.Iteration).Select(g => g.Max(r => r.TotalSteps)).Where(steps => steps > 100).ToList();
        Assert.That(probed, Has.Count.GreaterThanOrEqualTo(3));
        Assert.That(AnalysisRows(full.RunFolder).Select(r => r.Step).Distinct(), Is.EqualTo(probed));
    }

    [Test]
    public void CancelledBeforeTheFirstEpisode_WritesACheckpointAndSaysHowToResume()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var output = new StringWriter();
        TrainOutcome o = TrainRun.Run(Small(300, 2), null, "plain", output, cts.Token);
        Assert.That(o.Result.Reason, Is.EqualTo(Rl.Running.StopReason.Cancelled));
        Assert.That(o.Result.LastCheckpoint, Is.Not.Null);
        Assert.That(Directory.Exists(o.Result.LastCheckpoint), Is.True);
        Assert.That(o.Summary, Does.Contain("--run-dir " + o.RunFolder));
    }
}
