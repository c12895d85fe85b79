using MoeScratch.Rl.Envs.MinAtar;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>The random-policy baseline helper: deterministic per seed, sane statistics.</summary>
[TestFixture]
public sealed class RandomPolicyBaselineTests
{
    [Test]
    public void SameSeed_SameResult_DifferentSeed_DifferentResult()
    {
        var a = RandomPolicyBaseline.Measure("breakout", 20, 0);
        var b = RandomPolicyBaseline.Measure("breakout", 20, 0);
        var c = RandomPolicyBaseline.Measure("breakout", 20, 1);
        Assert.That(b, Is.EqualTo(a));
        Assert.That((c.MeanReturn, c.MeanLength), Is.Not.EqualTo((a.MeanReturn, a.MeanLength)));
        Assert.That(a.MeanReturn, Is.GreaterThanOrEqualTo(0));
        Assert.That(a.StandardError, Is.GreaterThanOrEqualTo(0));
        Assert.That(a.Truncated, Is.Zero);
    }

    [Test]
    public void Freeway_EpisodesLast2501Steps()
    {
        var r = RandomPolicyBaseline.Measure("freeway", 2, 3);
        Assert.That(r.MeanLength, Is.EqualTo(2501));
    }

    [Test]
    public void StepCap_CountsTruncatedEpisodes()
    {
        var r = RandomPolicyBaseline.Measure("freeway", 3, 3, maxStepsPerEpisode: 10);
        Assert.That((r.Truncated, r.MeanLength), Is.EqualTo((3, 10.0)));
    }

    [Test]
    public void RejectsBadArguments()
    {
        Assert.That(() => RandomPolicyBaseline.Measure("breakout", 0, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => RandomPolicyBaseline.Measure("tetris", 1, 0), Throws.ArgumentException);
    }
}
