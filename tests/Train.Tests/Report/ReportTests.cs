using MoeScratch.Rl.Evaluation;
using MoeScratch.Train.Config;
using MoeScratch.Train.Report;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Report;

[NonParallelizable]
public class ReportTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "moescratch-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    // Two algorithms × two MinAtar games × four seeds; "good" beats "bad" on every run.
    private string WriteMinAtarCsv()
    {
        var lines = new List<string> { "algorithm,task,seed,score" };
        double[] breakoutGood = [10, 12, 14, 40], asterixGood = [20, 22, 24, 26];
        for (int s = 0; s < 4; s++)
        {
            lines.Add($"good,minatar-breakout,{s},{breakoutGood[s]}");
            lines.Add($"good,minatar-asterix,{s},{asterixGood[s]}");
            lines.Add($"bad,minatar-breakout,{s},{s}");
            lines.Add($"bad,minatar-asterix,{s},{s + 1}");
        }
        string path = Path.Combine(_dir, "scores.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Test]
    public void MinAtarCsv_AggregatesMatchHandComputedValues()
    {
        ScoreSet set = ScoreSet.Load([WriteMinAtarCsv()]);
        var groups = ReportAnalysis.Analyse(set, replicates: 300, seed: 1);
        Assert.That(groups, Has.Count.EqualTo(1));
        GroupReport g = groups[0];
        Assert.That(g.Name, Is.EqualTo("minatar"));
        Assert.That(g.Normalized, Is.False);
        AlgorithmAggregate good = g.Aggregates.Single(a => a.Algorithm == "good");
        // Pooled scores sorted: 10 12 14 20 22 24 26 40; drop 2 from each end → mean(14, 20, 22, 24) = 20.
        Assert.That(good.Iqm.Point, Is.EqualTo(20).Within(1e-12));
        // Per-task means 19 (breakout) and 23 (asterix): mean 21, median 21.
        Assert.That(good.Mean.Point, Is.EqualTo(21).Within(1e-12));
        Assert.That(good.Median.Point, Is.EqualTo(21).Within(1e-12));
        Assert.That(good.OptimalityGap, Is.Null, "raw MinAtar returns have no optimality gap");
        Assert.That(good.Iqm.Lower, Is.LessThanOrEqualTo(good.Iqm.Point));
        Assert.That(good.Iqm.Upper, Is.GreaterThanOrEqualTo(good.Iqm.Point));
        Assert.That(good.Iqm.Upper - good.Iqm.Lower, Is.GreaterThan(0));
        Improvement p = g.Improvements.Single();
        Assert.That((p.X, p.Y), Is.EqualTo(("bad", "good")));
        Assert.That(p.Probability.Point, Is.EqualTo(0).Within(1e-12), "every good run beats every bad run");
        Profile profile = g.Profiles.Single(pr => pr.Algorithm == "bad");
        Assert.That(profile.Fractions[0].Point, Is.EqualTo(7.0 / 8), "τ = min score: all but the minimum are above");
    }

    [Test]
    public void AtariTasks_AreHumanNormalised_WithOptimalityGap()
    {
        string path = Path.Combine(_dir, "atari.csv");
        File.WriteAllLines(path, ["algorithm,task,seed,score", "a,Pong,0,14.6", "a,Pong,1,-20.7", "a,atari-breakout,0,30.5", "a,atari-breakout,1,1.7"]);
        var g = ReportAnalysis.Analyse(ScoreSet.Load([path]), 100, 0).Single();
        Assert.That(g.Name, Is.EqualTo("atari"));
        Assert.That(g.Normalized, Is.True);
        AlgorithmAggregate a = g.Aggregates.Single();
        Assert.That(a.Mean.Point, Is.EqualTo(0.5).Within(1e-9), "human = 1 and random = 0 after normalisation");
        Assert.That(a.OptimalityGap!.Value.Point, Is.EqualTo(0.5).Within(1e-9));
    }

    [Test]
    public void CsvWithSteps_GivesCurves_AndTheScoreAtTheLastStep()
    {
        string path = Path.Combine(_dir, "curves.csv");
        File.WriteAllLines(path, ["algorithm,task,seed,score,step", "a,minatar-breakout,0,1,100", "a,minatar-breakout,0,5,200",
                                  "a,minatar-breakout,1,2,100", "a,minatar-breakout,1,7,200"]);
        ScoreSet set = ScoreSet.Load([path]);
        Assert.That(set.Scores.Select(s => s.Score).Order(), Is.EqualTo(new[] { 5.0, 7.0 }));
        var g = ReportAnalysis.Analyse(set, 50, 0).Single();
        EfficiencyCurve c = g.Curves.Single();
        Assert.That(c.Steps, Is.EqualTo(new[] { 100.0, 200.0 }));
        Assert.That(c.Iqm[1].Point, Is.EqualTo(6).Within(1e-12));
    }

    [Test]
    public void BadCsv_NamesTheLineAndColumn()
    {
        string path = Path.Combine(_dir, "bad.csv");
        File.WriteAllLines(path, ["algorithm,task,seed,score", "a,minatar-breakout,zero,1"]);
        Assert.That(() => ScoreSet.Load([path]), Throws.ArgumentException.With.Message.Contains("bad.csv:2").And.Message.Contains("seed 'zero'"));
        File.WriteAllLines(path, ["algorithm,task,score"]);
        Assert.That(() => ScoreSet.Load([path]), Throws.ArgumentException.With.Message.Contains("no 'seed' column"));
    }

    [Test]
    public void Run_WritesMarkdownAndPngs()
    {
        string outDir = Path.Combine(_dir, "report");
        string md = ReportCommand.Run([WriteMinAtarCsv()], outDir, replicates: 200, seed: 3, lastEpisodes: 100, out _);
        Assert.That(md, Does.Contain("| algorithm | runs | IQM | median | mean | optimality gap |"));
        Assert.That(md, Does.Contain("| good | 4 | 20 ["));
        Assert.That(md, Does.Contain("200 replicates"));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "report.md")), Is.EqualTo(md));
        foreach (string png in new[] { "iqm_minatar.png", "profiles_minatar.png" })
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(outDir, png));
            Assert.That(bytes.Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), png);
            Assert.That(bytes, Has.Length.GreaterThan(5_000), png);
        }
    }

    [Test]
    public void UnequalRunCounts_UseTheSmallestAndSayWhy()
    {
        var rows = new List<ScoreRow> { new("a", "t1", 0, 1), new("a", "t1", 1, 2), new("a", "t2", 0, 3) };
        double[,]? m = ReportAnalysis.Matrix(rows, ["t1", "t2"], normalized: false, out string? note);
        Assert.That(m, Is.Not.Null);
        Assert.That(m!.GetLength(0), Is.EqualTo(1));
        Assert.That(note, Does.Contain("2/1 runs"));
    }

    [Test]
    public void BootstrapDefault_Is50000() => Assert.That(StratifiedBootstrap.DefaultReplicates, Is.EqualTo(50_000));

    // A run folder as train leaves it, without training: config.json, metrics.csv with the given training returns
    // per iteration (10 steps each), and a checkpoint after `done` iterations (manifest and runner.json only: enough
    // for the report, which never loads a checkpoint).
    private string FakeRun(string name, TrainConfig config, int done, params double[][] returns)
    {
        string dir = Path.Combine(_dir, "runs", name);
        Directory.CreateDirectory(dir);
        JsonConfig.Save(config, Path.Combine(dir, "config.json"));
        var lines = new List<string> { string.Join(",", MetricsCsv.Columns) };
        long steps = 0, episode = 0;
        for (int i = 0; i < returns.Length; i++)
            foreach (double r in returns[i])
            {
                steps += 10;
                lines.Add(FormattableString.Invariant($"train,{i},{episode++},{steps},{r},10,,1,100,1"));
            }
        File.WriteAllLines(Path.Combine(dir, "metrics.csv"), lines);
        if (done > 0)
        {
            string ckpt = Path.Combine(dir, "checkpoints", FormattableString.Invariant($"ckpt-{done:D6}-{done * 20:D12}"));
            Directory.CreateDirectory(ckpt);
            File.WriteAllText(Path.Combine(ckpt, "manifest.json"), new MoeScratch.Nn.Checkpoints.CheckpointManifest().ToJson());
            var state = new MoeScratch.Rl.Running.RunnerState { Iteration = done, TotalSteps = done * 20 };
            File.WriteAllText(Path.Combine(ckpt, "runner.json"), new System.Text.Json.Nodes.JsonObject { ["state"] = state.ToJson() }.ToJsonString());
        }
        return dir;
    }

    private static TrainConfig Cfg(string network, ulong seed, int experts = 4) =>
        new() { Network = network, Experts = experts, Seed = seed, TotalSteps = 40, Iterations = 2 };

    [Test]
    public void RunFolders_EachRunCountsOnce_UnfinishedOnesAreListedNotScored_AndScoresCsvHasOneRowPerFinishedRun()
    {
        FakeRun("minatar-dqn__minatar-breakout__baseline__0", Cfg("baseline", 0), 2, [1, 3], [5, 7]);
        FakeRun("minatar-dqn__minatar-breakout__baseline__1", Cfg("baseline", 1), 2, [2], [4]);
        FakeRun("minatar-dqn__minatar-breakout__softmoe4-perconv__0", Cfg("softmoe", 0), 2, [1], [9]);
        FakeRun("minatar-dqn__minatar-breakout__softmoe4-perconv__1", Cfg("softmoe", 1), 2, [0], [8]);
        // A requeued task that restarted under a timestamped name (the old bug), and the same run still going.
        FakeRun("minatar-breakout__minatar-dqn-baseline__1__20261207-101010", Cfg("baseline", 1), 1, [2]);
        // A run that never finished, and one that never checkpointed.
        FakeRun("minatar-dqn__minatar-breakout__softmoe1-perconv-h64__0", Cfg("softmoe", 0, experts: 1) with { ExpertHidden = 64 }, 1, [100]);
        FakeRun("minatar-dqn__minatar-breakout__gap__0", Cfg("gap", 0), 0, [50]);

        string outDir = Path.Combine(_dir, "report");
        var log = new StringWriter();
        string md = ReportCommand.Run([Path.Combine(_dir, "runs")], outDir, replicates: 100, seed: 0, lastEpisodes: 1, out var groups, log: log);
        AlgorithmAggregate baseline = groups.Single().Aggregates.Single(a => a.Algorithm == "minatar-dqn-baseline");
        Assert.That(baseline.Runs, Is.EqualTo(2), "seed 1 counted once, not once per folder");
        Assert.That(groups.Single().Aggregates.Select(a => a.Algorithm), Is.EquivalentTo(new[] { "minatar-dqn-baseline", "minatar-dqn-softmoe4-perconv" }));
        Assert.That(log.ToString(), Does.Contain("2 run folders are the same run (minatar-dqn-baseline, minatar-breakout, seed 1): counted once, using the most advanced")
                                         .And.Contain("baseline__1 (iteration 2 of 2").And.Contain("ignored: ").And.Contain("20261207-101010 (iteration 1 of 2"));
        Assert.That(md, Does.Contain("7 run folder(s) found: 4 finished run(s) reported; 2 unfinished run(s) left out"));
        Assert.That(md, Does.Contain("- unfinished: ").And.Contain("softmoe1-perconv-h64__0: iteration 1 of 2, 20 of 40 steps"));
        Assert.That(md, Does.Contain("gap__0: iteration 0 of 2, 0 of 40 steps"));

        string[] csv = File.ReadAllLines(Path.Combine(outDir, "scores.csv"));
        Assert.That(csv[0], Is.EqualTo("preset,env,network,seed,steps,score,train_return_0,train_return_1"));
        Assert.That(csv.Skip(1), Is.EqualTo(new[]
        {
            "minatar-dqn,minatar-breakout,baseline,0,40,7,2,6",
            "minatar-dqn,minatar-breakout,baseline,1,40,4,2,4",
            "minatar-dqn,minatar-breakout,softmoe4-perconv,0,40,9,1,9",
            "minatar-dqn,minatar-breakout,softmoe4-perconv,1,40,8,0,8",
        }));

        var all = ReportCommand.Run([Path.Combine(_dir, "runs")], Path.Combine(_dir, "report2"), 100, 0, 1, out var withUnfinished, includeUnfinished: true);
        Assert.That(withUnfinished.Single().Aggregates.Select(a => a.Algorithm), Does.Contain("minatar-dqn-softmoe1-perconv-h64").And.Contain("minatar-dqn-gap"));
        Assert.That(all, Does.Contain("2 unfinished run(s) reported at their current progress"));
        Assert.That(File.ReadAllLines(Path.Combine(_dir, "report2", "scores.csv")), Has.Length.EqualTo(5), "unfinished runs never appear as finished");
    }

    [Test]
    public void ASingleRunPerTask_IsFlaggedAsADegenerateInterval()
    {
        string path = Path.Combine(_dir, "one.csv");
        File.WriteAllLines(path, ["algorithm,task,seed,score", "a,minatar-breakout,0,3", "b,minatar-breakout,0,4", "b,minatar-breakout,1,5"]);
        string md = ReportCommand.Run([path], Path.Combine(_dir, "r"), 100, 0, 100, out _);
        Assert.That(md, Does.Contain("| a | 1 (degenerate CI) |").And.Contain("| b | 2 |"));
        Assert.That(md, Does.Contain("Warning: a has one run per task").And.Contain("degenerate"));
        Assert.That(File.Exists(Path.Combine(_dir, "r", "scores.csv")), Is.False, "CSV inputs have no run folders to list");
    }

    [Test]
    public void OnlyUnfinishedRuns_IsAnErrorListingThem_AndRepeatedCsvRowsAreRefused()
    {
        FakeRun("a", Cfg("baseline", 0), 1, [1]);
        Assert.That(() => ReportCommand.Run([Path.Combine(_dir, "runs")], Path.Combine(_dir, "r"), 10, 0, 1, out _),
                    Throws.ArgumentException.With.Message.Contains("no finished run to report; 1 unfinished").And.Message.Contains("--include-unfinished"));
        string path = Path.Combine(_dir, "twice.csv");
        File.WriteAllLines(path, ["algorithm,task,seed,score", "a,minatar-breakout,0,3", "a,minatar-breakout,0,4"]);
        Assert.That(() => ReportCommand.Run([path], Path.Combine(_dir, "r"), 10, 0, 1, out _),
                    Throws.ArgumentException.With.Message.Contains("seed 0 appears 2 times"));
    }
}
