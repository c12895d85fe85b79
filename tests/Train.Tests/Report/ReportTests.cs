using MoeScratch.Rl.Evaluation;
using MoeScratch.Train.Report;

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
}
