using System.Globalization;
using MoeScratch.Train.Config;
using MoeScratch.Train.Report;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Report;

/// <summary>How <c>report</c> scores run folders (issue 16.3) and the Atari profile grid (issue 16.5).</summary>
[NonParallelizable]
public class RunScoreTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "moescratch-runscore-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>A run folder: the resolved config and one metrics row per (phase, iteration, return).</summary>
    private string Run(string name, TrainConfig config, params (string Phase, int Iteration, double Return)[] episodes)
    {
        string dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        JsonConfig.Save(TrainSetup.ResolveDerived(config), Path.Combine(dir, RunFolder.ConfigFile));
        var lines = new List<string> { string.Join(",", MetricsCsv.Columns) };
        long steps = 0;
        int index = 0;
        foreach (var (phase, iteration, ret) in episodes)
        {
            if (phase == "train") steps += 10;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{phase},{iteration},{index++},{steps},{ret},10,0,0.1,100,1"));
        }
        File.WriteAllLines(Path.Combine(dir, RunFolder.MetricsFile), lines);
        return dir;
    }

    [Test]
    public void Atari100kRun_IsScoredByItsFinalEvaluationEpisodes()
    {
        var config = new TrainConfig { Preset = "der", Env = "atari:roms/pong.bin", TotalSteps = 40, Iterations = 2, FinalEvalEpisodes = 3 };
        string dir = Run("der", config, ("train", 0, -21), ("train", 1, -20), ("train", 1, -19), ("eval", 2, -10), ("eval", 2, -12), ("eval", 2, -8));
        ScoreSet set = ScoreSet.Load([dir]);
        ScoreRow row = set.Scores.Single();
        Assert.That(row.Score, Is.EqualTo(-10).Within(1e-12), "the mean of the 3 final evaluation episodes, not of training");
        Assert.That(row.Rule, Does.Contain("final evaluation").And.Contain("3 episodes"));
    }

    [Test]
    public void Atari100kRun_WithoutItsFinalEvaluation_IsRefusedWithTheFix()
    {
        var config = new TrainConfig { Preset = "drq-eps", Env = "atari:roms/pong.bin", TotalSteps = 40, Iterations = 2 };
        string dir = Run("drq", config, ("train", 0, 1), ("train", 1, 2), ("eval", 1, 5));
        Assert.That(() => ScoreSet.Load([dir]), Throws.ArgumentException.With.Message.Contains("final evaluation of 100 episodes but has 0")
                                                      .And.Message.Contains("train --resume"));
    }

    [Test]
    public void OtherRuns_AreScoredByTheTrainingEpisodesOfTheirLastIteration()
    {
        var config = new TrainConfig { Env = "minatar:breakout", TotalSteps = 60, Iterations = 3 };
        string dir = Run("minatar", config, ("train", 0, 0), ("train", 0, 1), ("train", 1, 2), ("train", 2, 4), ("train", 2, 6), ("eval", 2, 100));
        ScoreRow row = ScoreSet.Load([dir]).Scores.Single();
        Assert.That(row.Score, Is.EqualTo(5).Within(1e-12), "iteration 3's training episodes (4 and 6); evaluation rows do not count");
        Assert.That(row.Rule, Does.Contain("iteration 3 of 3").And.Contain("Dopamine's per-iteration average"));
        ScoreRow last = ScoreSet.Load([dir], lastEpisodes: 4).Scores.Single();
        Assert.That((last.Score, last.Rule), Is.EqualTo((3.25, "mean of the last 4 training episodes (--last-episodes)")));
    }

    [Test]
    public void Report_StatesTheRuleOfEachRun()
    {
        string der = Run("der", new TrainConfig { Preset = "der", Env = "atari:roms/pong.bin", TotalSteps = 20, Iterations = 1, FinalEvalEpisodes = 1 },
                         ("train", 0, -21), ("eval", 1, -15));
        string dqn = Run("dqn", new TrainConfig { Env = "atari:roms/pong.bin", TotalSteps = 20, Iterations = 1 }, ("train", 0, -20), ("train", 0, -18));
        // The folders have no checkpoints (the rule text is under test), so they count as unfinished runs here.
        string md = ReportCommand.Run([der, dqn], Path.Combine(_dir, "report"), replicates: 50, seed: 0, lastEpisodes: null, out _, includeUnfinished: true);
        Assert.That(md, Does.Contain("## Scores per run"));
        Assert.That(md, Does.Contain("| der-softmoe4-perconv | atari-pong | 0 | -15 | final evaluation: mean of 1 episodes"));
        Assert.That(md, Does.Contain("| dqn-softmoe4-perconv | atari-pong | 0 | -19 | mean return of the 2 training episodes of iteration 1 of 1"));
    }

    // Issue 16.5: rliable's Atari grid τ ∈ linspace(0, 8, 81) of human-normalised score.
    [Test]
    public void AtariProfiles_UseRliablesGrid()
    {
        string path = Path.Combine(_dir, "atari.csv");
        File.WriteAllLines(path, ["algorithm,task,seed,score", "a,Pong,0,14.6", "a,Pong,1,-20.7", "a,atari-breakout,0,30.5", "a,atari-breakout,1,1.7"]);
        Profile profile = ReportAnalysis.Analyse(ScoreSet.Load([path]), 50, 0).Single().Profiles.Single();
        Assert.That(profile.Taus, Has.Length.EqualTo(81));
        Assert.That(profile.Taus, Is.EqualTo(Enumerable.Range(0, 81).Select(i => 8.0 * i / 80)).Within(1e-12));
    }
}
