using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Analysis;

public class FeatureStatisticsTests
{
    private static readonly double[] Sigma = [10, 1, 0.05];

    [Test]
    public void KumarSrank_HandComputed()
    {
        // Σσ = 11.05. Cumulative: 10 (0.905), 11 (0.9955), 11.05 (1).
        Assert.That(FeatureStatistics.Srank(Sigma), Is.EqualTo(2));               // 0.9955 ≥ 0.99
        Assert.That(FeatureStatistics.Srank(Sigma, 0.001), Is.EqualTo(3));        // 0.9955 < 0.999
        Assert.That(FeatureStatistics.Srank(Sigma, 0.1), Is.EqualTo(1));          // 0.905 ≥ 0.9
        Assert.That(FeatureStatistics.Srank(Sigma, 0.0), Is.EqualTo(3));
        Assert.That(FeatureStatistics.Srank([0.0, 0.0]), Is.EqualTo(0));
    }

    [Test]
    public void RelativeRank_HandComputed()
    {
        // σ/σ_max = [1, 0.1, 0.005].
        Assert.That(FeatureStatistics.RelativeRank(Sigma, 0), Is.EqualTo(3));
        Assert.That(FeatureStatistics.RelativeRank(Sigma, 0.001), Is.EqualTo(3));
        Assert.That(FeatureStatistics.RelativeRank(Sigma, 0.01), Is.EqualTo(2));
        Assert.That(FeatureStatistics.RelativeRank([0.0, 0.0], 0), Is.EqualTo(0));
    }

    [Test]
    public void FeatureMatrix_WithKnownSingularValues()
    {
        // [4, 3] with diag(10, −1, 0.05) and a zero row.
        var f = Tensor.FromArray([10f, 0f, 0f, 0f, -1f, 0f, 0f, 0f, 0.05f, 0f, 0f, 0f], new Shape(4, 3));
        var s = FeatureStatistics.FeatureSingularValues(f);
        Assert.That(s, Is.EqualTo(new[] { 10.0, 1.0, 0.05 }).Within(1e-6));
        Assert.That(FeatureStatistics.Srank(s), Is.EqualTo(2));
    }

    [Test]
    public void Variances_LowVarianceCount_AndVarianceNorm()
    {
        // Columns [1, 3] (var 1), [2, 2] (var 0), [5, 5] (var 0).
        var f = Tensor.FromArray([1f, 2f, 5f, 3f, 2f, 5f], new Shape(2, 3));
        var v = FeatureStatistics.FeatureVariances(f);
        Assert.That(v, Is.EqualTo(new[] { 1.0, 0.0, 0.0 }).Within(1e-12));
        Assert.That(FeatureStatistics.LowVarianceFeatureCount(v, 0), Is.EqualTo(2));
        Assert.That(FeatureStatistics.LowVarianceFeatureCount(v, 1), Is.EqualTo(3));
        // Columns [0, 2] (var 1) and [0, 4] (var 4): ‖[1, 4]‖ = √17.
        var g = Tensor.FromArray([0f, 0f, 2f, 4f], new Shape(2, 2));
        Assert.That(FeatureStatistics.VarianceNorm(FeatureStatistics.FeatureVariances(g)), Is.EqualTo(Math.Sqrt(17)).Within(1e-12));
    }

    [Test]
    public void MeanRowL2Norm_HandComputed()
    {
        // Rows [3, 4] (5) and [0, 0] (0).
        var f = Tensor.FromArray([3f, 4f, 0f, 0f], new Shape(2, 2));
        Assert.That(FeatureStatistics.MeanRowL2Norm(f), Is.EqualTo(2.5).Within(1e-12));
    }
}
