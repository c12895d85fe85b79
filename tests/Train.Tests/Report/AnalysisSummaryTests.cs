using MoeScratch.Train.Config;
using MoeScratch.Train.Report;

namespace MoeScratch.Train.Tests.Report;

/// <summary>The report's table of P1 §5 analyses at the end of training (issue 19).</summary>
[NonParallelizable]
public class AnalysisSummaryTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "moescratch-analysis-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>A run entry of <paramref name="algorithm"/> whose analysis.csv holds <paramref name="rows"/>.</summary>
    private RunEntry Run(string algorithm, ulong seed, bool finished, params string[] rows)
    {
        string dir = Path.Combine(_dir, $"{algorithm}-{seed}");
        Directory.CreateDirectory(dir);
        if (rows.Length > 0) File.WriteAllLines(Path.Combine(dir, RunFolder.AnalysisFile), ["total_steps,tag,value", .. rows]);
        var config = new TrainConfig { Env = "minatar:breakout", Experiment = algorithm, Seed = seed, Iterations = 2 };
        return new RunEntry(dir, config, finished ? 2 : 1, finished ? 200 : 100, false);
    }

    [Test]
    public void LastProbes_TakesEachTagAtItsLargestStep()
    {
        var run = Run("a", 0, true, "200,analysis/srank,7", "100,analysis/srank,3", "100,analysis/dormant_fraction,0.5");
        var last = AnalysisSummary.LastProbes(Path.Combine(run.Path, RunFolder.AnalysisFile));
        Assert.That(last["analysis/srank"], Is.EqualTo(7));
        Assert.That(last["analysis/dormant_fraction"], Is.EqualTo(0.5));
    }

    [Test]
    public void Load_SummarisesFinishedRunsPerAlgorithm_AndSkipsUnfinishedOnesAndRunsWithoutProbes()
    {
        RunEntry[] runs =
        [
            Run("moe", 0, true, "100,analysis/srank,10", "200,analysis/srank,14", "200,analysis/dormant_fraction,0.8"),
            Run("moe", 1, true, "200,analysis/srank,20", "200,analysis/dormant_fraction,0.9"),
            Run("moe", 2, false, "100,analysis/srank,99"),
            Run("dense", 0, true),
            Run("dense", 1, true, "200,analysis/feature_rank_0.01,31"),
        ];
        var table = AnalysisSummary.Load(runs);
        Assert.That(table.Keys, Is.EqualTo(new[] { "dense", "moe" }));
        Assert.That(table["moe"]["analysis/srank"], Is.EqualTo(new ProbeSpread(17, 14, 20, 2)), "the unfinished seed 2 is left out");
        Assert.That(table["moe"]["analysis/dormant_fraction"].Mean, Is.EqualTo(0.85).Within(1e-12));
        Assert.That(table["dense"]["analysis/feature_rank_0.01"], Is.EqualTo(new ProbeSpread(31, 31, 31, 1)));
        Assert.That(table["dense"].ContainsKey("analysis/srank"), Is.False);

        string md = AnalysisSummary.Render(table);
        Assert.That(md, Does.Contain("## Network analyses at the end of training"));
        Assert.That(md, Does.Contain("| moe | 2 | 0.85 [0.8, 0.9] | 17 [14, 20] | – | – |"));
        Assert.That(md, Does.Contain("| dense | 1 | – | – | 31 [31, 31] | – |"));
    }

    [Test]
    public void Render_WithoutProbes_IsEmpty() =>
        Assert.That(AnalysisSummary.Render(AnalysisSummary.Load([Run("dense", 0, true)])), Is.Empty);

    [Test]
    public void DamagedLine_IsAnErrorNamingTheFileAndLine()
    {
        var run = Run("a", 0, true, "200,analysis/srank,7", "20");
        Assert.That(() => AnalysisSummary.Load([run]), Throws.InstanceOf<InvalidDataException>()
            .With.Message.Contains(RunFolder.AnalysisFile).And.Message.Contains("line 3").And.Message.Contains("total_steps,tag,value"));
    }
}
