namespace MoeScratch.Tensors.Tests.Random;

public class RngTests
{
    [Test]
    public void SaveRestore_ReproducesStream()
    {
        var rng = new Rng(42);
        for (int i = 0; i < 10; i++) rng.NextUInt64();
        var state = rng.SaveState();
        var expected = Enumerable.Range(0, 100).Select(_ => rng.NextDouble()).ToArray();
        var other = new Rng(7);
        other.RestoreState(state);
        var actual = Enumerable.Range(0, 100).Select(_ => other.NextDouble()).ToArray();
        Assert.That(actual, Is.EqualTo(expected).AsCollection);
    }

    [Test]
    public void SameSeed_SameStream_DifferentSeed_Differs()
    {
        ulong first = new Rng(1).NextUInt64();
        Assert.That(new Rng(1).NextUInt64(), Is.EqualTo(first));
        Assert.That(new Rng(1).NextUInt64(), Is.Not.EqualTo(new Rng(2).NextUInt64()));
    }

    [Test]
    public void NextInt_IsUnbiasedAndInRange()
    {
        var rng = new Rng(3);
        var counts = new int[6];
        for (int i = 0; i < 60000; i++) counts[rng.NextInt(6)]++;
        Assert.That(counts, Has.All.InRange(9500, 10500));
    }

    [Test]
    public void Normal_HasUnitMoments()
    {
        var t = Tensor.Normal(new Shape(20000), 0f, 1f, new Rng(5)).ToArray();
        double mean = t.Average(), var = t.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.03));
        Assert.That(var, Is.EqualTo(1).Within(0.05));
    }

    [Test]
    public void RestoreState_WrongLength_Throws()
    {
        Assert.That(() => new Rng(1).RestoreState(new byte[3]), Throws.ArgumentException.With.Message.Contains("32"));
    }
}
