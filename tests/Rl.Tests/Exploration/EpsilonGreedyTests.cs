using MoeScratch.Rl.Exploration;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Exploration;

public class EpsilonGreedyTests
{
    [Test]
    public void EpsilonZero_IsGreedy_FirstMaximumWinsTies()
    {
        var rng = new Rng(1);
        for (int k = 0; k < 100; k++)
        {
            Assert.That(EpsilonGreedy.SelectAction([0.5f, 2f, -1f, 2f], 0.0, rng), Is.EqualTo(1));
        }
    }

    [Test]
    public void EpsilonOne_IsUniform()
    {
        var rng = new Rng(2);
        var counts = new int[4];
        for (int k = 0; k < 40_000; k++) counts[EpsilonGreedy.SelectAction([0f, 9f, 0f, 0f], 1.0, rng)]++;
        Assert.That(counts, Has.All.InRange(9_600, 10_400));
    }

    [Test]
    public void EpsilonTenth_GreedyShareIsNinetyPlusOneQuarterOfTen()
    {
        // Exploration may pick the greedy action too: P(greedy) = 0.9 + 0.1/4 = 0.925.
        var rng = new Rng(3);
        int greedy = 0;
        for (int k = 0; k < 40_000; k++) greedy += EpsilonGreedy.SelectAction([0f, 0f, 5f, 0f], 0.1, rng) == 2 ? 1 : 0;
        Assert.That(greedy / 40_000.0, Is.EqualTo(0.925).Within(0.006));
    }

    [Test]
    public void SameSeed_SameActions()
    {
        int[] Run()
        {
            var rng = new Rng(4);
            return Enumerable.Range(0, 50).Select(_ => EpsilonGreedy.SelectAction([1f, 0f, 0f], 0.5, rng)).ToArray();
        }
        int[] first = Run();
        Assert.That(Run(), Is.EqualTo(first).AsCollection);
        Assert.That(first.Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public void BadInput_Throws()
    {
        var rng = new Rng(5);
        Assert.That(() => EpsilonGreedy.SelectAction([], 0.1, rng), Throws.ArgumentException);
        Assert.That(() => EpsilonGreedy.SelectAction([1f, float.NaN], 0.1, rng), Throws.ArgumentException.With.Message.Contains("NaN"));
        Assert.That(() => EpsilonGreedy.SelectAction([1f], 1.1, rng), Throws.ArgumentException);
    }
}
