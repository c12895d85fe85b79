using MoeScratch.Rl.Running;
using MoeScratch.Train.Config;
using MoeScratch.Train.Report;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Training;

/// <summary>The one evaluation after training (issue 16.3's protocol), end to end on MinAtar.</summary>
[NonParallelizable]
public class FinalEvaluationTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "moescratch-finaleval-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void FinalEvaluation_RunsOnceAfterTheLastIteration_AndScoresTheRun()
    {
        var config = new TrainConfig
        {
            Network = "baseline", DenseWidth = 16, TotalSteps = 200, Iterations = 2, Out = _dir, BatchSize = 8, MinReplayHistory = 100,
            ProbeEvery = 0, FinalEvalEpisodes = 3, Seed = 2,
        };
        var output = new StringWriter();
        TrainOutcome outcome = TrainRun.Run(config, null, "plain", output, CancellationToken.None);
        Assert.That(outcome.Result.Reason, Is.EqualTo(StopReason.Completed));
        var rows = MetricsCsv.Read(Path.Combine(outcome.RunFolder, RunFolder.MetricsFile));
        var evals = rows.Where(r => r.Phase == "eval").ToList();
        Assert.That(evals.Select(r => r.Iteration), Is.EqualTo(new long[] { 2, 2, 2 }), "three episodes, after iterations 0 and 1");
        Assert.That(output.ToString(), Does.Contain("Final evaluation: 3 episodes at ε = 0.001").And.Contain("final evaluation's 3 episodes"));
        ScoreRow score = ScoreSet.Load([outcome.RunFolder]).Scores.Single();
        Assert.That(score.Score, Is.EqualTo(evals.Average(r => r.Return)).Within(1e-9));

        // Resuming the finished run trains nothing and does not evaluate again.
        TrainRun.Run(JsonConfig.Load(Path.Combine(outcome.RunFolder, RunFolder.ConfigFile)), outcome.RunFolder, "plain", TextWriter.Null, CancellationToken.None);
        Assert.That(MetricsCsv.Read(Path.Combine(outcome.RunFolder, RunFolder.MetricsFile)).Count(r => r.Phase == "eval"), Is.EqualTo(3));
    }
}
