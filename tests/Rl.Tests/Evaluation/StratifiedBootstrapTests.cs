using MoeScratch.Rl.Evaluation;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Evaluation;

public class StratifiedBootstrapTests
{
    private static double[,] Noisy(int runs, int tasks, ulong seed)
    {
        var rng = new Rng(seed);
        var s = new double[runs, tasks];
        for (int r = 0; r < runs; r++)
            for (int t = 0; t < tasks; t++) s[r, t] = t + rng.NextNormal();
        return s;
    }

    [Test]
    public void Estimate_FixedSeed_IsDeterministicAndBracketsPoint()
    {
        var scores = Noisy(5, 4, 1);
        var a = new StratifiedBootstrap(seed: 42, replicates: 2000).Estimate(scores, Metrics.InterquartileMean);
        var b = new StratifiedBootstrap(seed: 42, replicates: 2000).Estimate(scores, Metrics.InterquartileMean);
        var c = new StratifiedBootstrap(seed: 43, replicates: 2000).Estimate(scores, Metrics.InterquartileMean);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.Not.EqualTo(a));
        Assert.That(a.Point, Is.EqualTo(Metrics.InterquartileMean(scores)));
        Assert.That(a.Lower, Is.LessThan(a.Point));
        Assert.That(a.Upper, Is.GreaterThan(a.Point));
    }

    [Test]
    public void Estimate_ConstantWithinTasks_HasZeroWidth()
    {
        // Runs agree within each task, tasks differ. Resampling runs within tasks cannot change anything; a
        // bootstrap over the task axis (rliable issue #20's mistake, transposed) would give a wide interval.
        var scores = new double[,] { { 0, 1, 5 }, { 0, 1, 5 }, { 0, 1, 5 } };
        var e = new StratifiedBootstrap(7, 500).Estimate(scores, Metrics.Mean);
        Assert.That(e, Is.EqualTo(new IntervalEstimate(2, 2, 2)));
    }

    [Test]
    public void Resample_DrawsOnlyWithinEachTask()
    {
        var scores = new double[,] { { 1, 10 }, { 2, 20 }, { 3, 30 } };
        var sample = new double[3, 2];
        var rng = new Rng(3);
        for (int k = 0; k < 50; k++)
        {
            StratifiedBootstrap.Resample(scores, sample, rng);
            for (int r = 0; r < 3; r++)
            {
                Assert.That(sample[r, 0], Is.AnyOf(1.0, 2.0, 3.0));
                Assert.That(sample[r, 1], Is.AnyOf(10.0, 20.0, 30.0));
            }
        }
    }

    [Test]
    public void Estimate_VectorStatistic_GivesOneIntervalPerThreshold()
    {
        var scores = Noisy(10, 3, 5);
        double[] taus = [-1, 0.5, 1.5, 5];
        var profile = new StratifiedBootstrap(1, StratifiedBootstrap.ProfileReplicates).Estimate(scores, s => Metrics.RunScoreDistribution(s, taus));
        Assert.That(profile, Has.Length.EqualTo(4));
        Assert.That(profile[^1], Is.EqualTo(new IntervalEstimate(0, 0, 0)));
        foreach (var p in profile)
            Assert.That(p.Lower, Is.LessThanOrEqualTo(p.Point).And.LessThanOrEqualTo(p.Upper));
    }

    [Test]
    public void Estimate_ProbabilityOfImprovement_ResamplesBothIndependently()
    {
        var x = Noisy(6, 3, 8);
        var y = Noisy(4, 3, 9);
        var e = new StratifiedBootstrap(11, 1000).Estimate(x, y, Metrics.ProbabilityOfImprovement);
        Assert.That(e.Point, Is.EqualTo(Metrics.ProbabilityOfImprovement(x, y)));
        Assert.That(e.Lower, Is.GreaterThanOrEqualTo(0.0).And.LessThan(e.Point));
        Assert.That(e.Upper, Is.LessThanOrEqualTo(1.0).And.GreaterThan(e.Point));
    }

    [Test]
    public void Percentile_LinearInterpolationLikeNumpy()
    {
        // np.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925].
        double[] v = [1, 2, 3, 4];
        Assert.That(StratifiedBootstrap.Percentile(v, 2.5), Is.EqualTo(1.075).Within(1e-12));
        Assert.That(StratifiedBootstrap.Percentile(v, 50), Is.EqualTo(2.5).Within(1e-12));
        Assert.That(StratifiedBootstrap.Percentile(v, 97.5), Is.EqualTo(3.925).Within(1e-12));
    }
}
