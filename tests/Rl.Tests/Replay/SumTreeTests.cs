using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Replay;

public class SumTreeTests
{
    // Dopamine's docstring example: leaves [0.5, 1, 0.5, 0.5], inner [1.5, 1], root 2.5.
    private static SumTree DopamineExample()
    {
        var tree = new SumTree(4);
        double[] leaves = [0.5, 1.0, 0.5, 0.5];
        for (int i = 0; i < leaves.Length; i++) tree.Set(i, leaves[i]);
        return tree;
    }

    [Test]
    public void Total_IsSumOfLeaves_HandWorked()
    {
        Assert.That(DopamineExample().Total, Is.EqualTo(2.5));
    }

    [TestCase(0.0, 0)]
    [TestCase(0.49, 0)]
    [TestCase(0.5, 1)]
    [TestCase(1.49, 1)]
    [TestCase(1.5, 2)]
    [TestCase(1.99, 2)]
    [TestCase(2.0, 3)]
    [TestCase(2.49, 3)]
    [TestCase(2.5, 3)]
    public void Query_FollowsCumulativeSums(double target, int expected)
    {
        Assert.That(DopamineExample().Query(target), Is.EqualTo(expected));
    }

    [Test]
    public void Set_Overwrite_UpdatesAncestors()
    {
        var tree = DopamineExample();
        tree.Set(1, 3.0); // leaves [0.5, 3, 0.5, 0.5]
        Assert.That(tree.Total, Is.EqualTo(4.5));
        Assert.That(tree.Query(3.4), Is.EqualTo(1));
        Assert.That(tree.Query(3.5), Is.EqualTo(2));
        Assert.That(tree.Get(1), Is.EqualTo(3.0));
    }

    [Test]
    public void Query_NeverReturnsZeroLeafOrPadding()
    {
        var tree = new SumTree(5); // 8 leaves, 3 of them padding
        tree.Set(0, 1.0);
        tree.Set(1, 0.0);
        tree.Set(2, 2.0);
        Assert.That(tree.Query(1.0), Is.EqualTo(2));
        Assert.That(tree.Query(tree.Total), Is.EqualTo(2));
        tree.Set(4, 0.25);
        Assert.That(tree.Query(tree.Total), Is.EqualTo(4));
    }

    [Test]
    public void MaxRecorded_StartsAtOne_AndTracksLargestValue()
    {
        var tree = new SumTree(3);
        Assert.That(tree.MaxRecorded, Is.EqualTo(1.0));
        tree.Set(0, 0.3);
        Assert.That(tree.MaxRecorded, Is.EqualTo(1.0));
        tree.Set(1, 7.0);
        tree.Set(1, 2.0);
        Assert.That(tree.MaxRecorded, Is.EqualTo(7.0));
    }

    [Test]
    public void InvalidUse_Throws()
    {
        var tree = new SumTree(4);
        Assert.That(() => tree.Query(0.0), Throws.InvalidOperationException);
        Assert.That(() => tree.Set(0, -1.0), Throws.ArgumentException);
        Assert.That(() => tree.Set(0, double.NaN), Throws.ArgumentException);
        Assert.That(() => tree.Set(4, 1.0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        tree.Set(0, 1.0);
        Assert.That(() => tree.Query(1.5), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new SumTree(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ManyUpdates_TreeEqualsRebuildFromLeaves_BitForBit()
    {
        var rng = new Rng(11);
        var tree = new SumTree(1000);
        for (int k = 0; k < 20000; k++) tree.Set(rng.NextInt(1000), rng.NextDouble() * 10);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) tree.Save(w);
        ms.Position = 0;
        var copy = new SumTree(1000);
        using (var r = new BinaryReader(ms)) copy.Load(r);
        Assert.That(copy.Total, Is.EqualTo(tree.Total));
        Assert.That(copy.MaxRecorded, Is.EqualTo(tree.MaxRecorded));
        double sum = 0;
        for (int i = 0; i < 1000; i++) sum += tree.Get(i);
        Assert.That(tree.Total, Is.EqualTo(sum).Within(1e-9).Percent);
        for (int k = 0; k < 200; k++)
        {
            double target = rng.NextDouble() * tree.Total;
            Assert.That(copy.Query(target), Is.EqualTo(tree.Query(target)));
        }
    }

    [Test]
    public void Load_WrongCapacity_ThrowsInvalidData()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) new SumTree(8).Save(w);
        ms.Position = 0;
        using var r = new BinaryReader(ms);
        Assert.That(() => new SumTree(9).Load(r), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("capacity 8"));
    }

    [Test]
    public void BytesFor_MillionLeaves_IsTwoToTheTwentyOneNodes()
    {
        Assert.That(SumTree.BytesFor(1_000_000), Is.EqualTo(((1L << 21) - 1) * 8));
    }
}
