using MoeScratch.Rl.Evaluation;

namespace MoeScratch.Rl.Tests.Evaluation;

public class MetricsTests
{
    // 4 runs × 2 tasks. Pooled sorted: 1 2 3 4 5 6 7 100; IQM drops 2 from each end → mean(3,4,5,6) = 4.5.
    private static readonly double[,] FourByTwo = { { 1, 5 }, { 2, 6 }, { 3, 7 }, { 4, 100 } };

    [Test]
    public void InterquartileMean_HandComputed()
    {
        Assert.That(Metrics.InterquartileMean(FourByTwo), Is.EqualTo(4.5).Within(1e-12));
        // 3 × 2: n = 6, ⌊0.25·6⌋ = 1 dropped per end (no interpolation): sorted -7 1 2 3 4 10 → mean(1..4) = 2.5.
        Assert.That(Metrics.InterquartileMean(new double[,] { { 10, 1 }, { 2, 3 }, { 4, -7 } }), Is.EqualTo(2.5).Within(1e-12));
    }

    [Test]
    public void MeanAndMedian_ArePerTaskMeansAggregated()
    {
        // Per-task means 2.5 and 29.5.
        Assert.That(Metrics.Mean(FourByTwo), Is.EqualTo(16.0).Within(1e-12));
        Assert.That(Metrics.Median(FourByTwo), Is.EqualTo(16.0).Within(1e-12));
        // Three tasks with per-task means 1, 10, 3 → median 3.
        Assert.That(Metrics.Median(new double[,] { { 0, 10, 3 }, { 2, 10, 3 } }), Is.EqualTo(3.0).Within(1e-12));
    }

    [Test]
    public void OptimalityGap_HandComputed()
    {
        // min(s, 1): 0.5 1 0 1 1 0.25 → mean 0.625 → gap 0.375.
        var s = new double[,] { { 0.5, 2.0 }, { 0.0, 1.0 }, { 1.5, 0.25 } };
        Assert.That(Metrics.OptimalityGap(s), Is.EqualTo(0.375).Within(1e-12));
        // γ = 2: min(s, 2) = s → mean 5.25/6 = 0.875 → gap 1.125.
        Assert.That(Metrics.OptimalityGap(s, gamma: 2.0), Is.EqualTo(1.125).Within(1e-12));
    }

    [Test]
    public void ProbabilityOfImprovement_HandComputedWithTies()
    {
        // Task 0: X {3, 1} vs Y {2, 2}: 2 of 4 pairs X > Y → 0.5.
        // Task 1: X {5, 5} vs Y {5, 4}: two ties (½ each) + two wins → 3/4.  Average 0.625.
        var x = new double[,] { { 3, 5 }, { 1, 5 } };
        var y = new double[,] { { 2, 5 }, { 2, 4 } };
        Assert.That(Metrics.ProbabilityOfImprovement(x, y), Is.EqualTo(0.625).Within(1e-12));
        Assert.That(Metrics.ProbabilityOfImprovement(y, x), Is.EqualTo(0.375).Within(1e-12));
        Assert.That(Metrics.ProbabilityOfImprovement(x, x), Is.EqualTo(0.5).Within(1e-12));
    }

    [Test]
    public void ProbabilityOfImprovement_UnequalRunCounts()
    {
        // One task, X {1, 2, 3} vs Y {2}: pairs (1<2), (2=2 → ½), (3>2) → 1.5/3 = 0.5; second task X all above → 1.
        var x = new double[,] { { 1, 9 }, { 2, 9 }, { 3, 9 } };
        var y = new double[,] { { 2, 0 } };
        Assert.That(Metrics.ProbabilityOfImprovement(x, y), Is.EqualTo(0.75).Within(1e-12));
    }

    [Test]
    public void RunScoreDistribution_CountsStrictlyAbove()
    {
        var fractions = Metrics.RunScoreDistribution(FourByTwo, [0, 3, 7, 100]);
        Assert.That(fractions, Is.EqualTo(new[] { 1.0, 5 / 8.0, 1 / 8.0, 0.0 }).Within(1e-12));
    }

    [Test]
    public void AverageScoreDistribution_UsesPerTaskMeans()
    {
        // Per-task means 2.5 and 29.5: above 0 → both, above 3 → one, above 30 → none.
        Assert.That(Metrics.AverageScoreDistribution(FourByTwo, [0, 3, 30]), Is.EqualTo(new[] { 1.0, 0.5, 0.0 }).Within(1e-12));
    }

    [Test]
    public void TrimMean_MatchesScipyDefinition()
    {
        // scipy.stats.trim_mean(np.arange(20), 0.1) == 9.5; trim_mean([7, 1, 2, 30, 4, 5, 6], 0.25) cuts ⌊1.75⌋ = 1 each side → mean(2, 4, 5, 6, 7) = 4.8.
        Assert.That(Metrics.TrimMean([.. Enumerable.Range(0, 20).Select(i => (double)i)], 0.1), Is.EqualTo(9.5).Within(1e-12));
        Assert.That(Metrics.TrimMean([7, 1, 2, 30, 4, 5, 6], 0.25), Is.EqualTo(4.8).Within(1e-12));
        Assert.Throws<ArgumentException>(() => Metrics.TrimMean([1.0], 0.5));
    }

    [Test]
    public void Metrics_MismatchedTasks_Throw() =>
        Assert.Throws<ArgumentException>(() => Metrics.ProbabilityOfImprovement(FourByTwo, new double[,] { { 1, 2, 3 } }));
}
