using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class IndexingTests
{
    [Test]
    public void Gather_QValuesOfActions_MatchesHandPicked()
    {
        // Q(s, a): q [B=3, A=4] gathered with actions [3, 1] → [3, 1].
        var q = Tensor.FromArray([0f, 1f, 2f, 3f, 10f, 11f, 12f, 13f, 20f, 21f, 22f, 23f], new Shape(3, 4));
        var actions = Tensor.FromArray([2f, 0f, 3f], new Shape(3, 1));
        var y = Ops.Gather(q, 1, actions);
        Assert.That(y.Shape, Is.EqualTo(new Shape(3, 1)));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 2f, 10f, 23f }).AsCollection);
    }

    [TestCase(new[] { 3, 4 }, 1, 2)]
    [TestCase(new[] { 3, 4 }, -2, 5)]
    [TestCase(new[] { 2, 3, 4 }, 1, 3)]
    [TestCase(new[] { 2, 1, 3 }, 1, 2)]
    public void Gather_ForwardAndGradient_MatchReference(int[] shape, int axis, int ni)
    {
        var x = GradCheck.RandomInputs(11, shape)[0];
        int a = axis < 0 ? axis + shape.Length : axis;
        int outer = shape[..a].Aggregate(1, (p, d) => p * d), n = shape[a];
        int inner = shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var rng = new Rng(3);
        var idxShape = (int[])shape.Clone();
        idxShape[a] = ni;
        var idx = new float[outer * ni * inner];
        for (int i = 0; i < idx.Length; i++) idx[i] = rng.NextInt(n);
        var index = Tensor.FromArray(idx, new Shape(idxShape));
        var xs = x.ToArray();
        var expected = new float[idx.Length];
        for (int o = 0; o < outer; o++)
        for (int j = 0; j < ni; j++)
        for (int i = 0; i < inner; i++)
        {
            int p = (o * ni + j) * inner + i;
            expected[p] = xs[(o * n + (int)idx[p]) * inner + i];
        }
        Assert.That(Ops.Gather(x, axis, index).ToArray(), Is.EqualTo(expected).AsCollection);
        GradCheck.Check("gather", t => Ops.Gather(t[0], axis, index), [x]);
    }

    [Test]
    public void Gather_RepeatedIndices_AccumulateGradient()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], new Shape(1, 3));
        x.RequiresGrad = true;
        var index = Tensor.FromArray([2f, 0f, 2f, 2f], new Shape(1, 4));
        var y = Ops.Gather(x, 1, index);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 3f, 1f, 3f, 3f }).AsCollection);
        y.Backward(Tensor.FromArray([1f, 10f, 100f, 1000f], new Shape(1, 4)));
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 10f, 0f, 1101f }).AsCollection);
    }

    [Test]
    public void Gather_BadIndexOrShape_NamesOpAndShapes()
    {
        var x = Tensor.Zeros(new Shape(3, 4));
        Assert.That(() => Ops.Gather(x, 1, Tensor.Zeros(new Shape(2, 1))),
                    Throws.ArgumentException.With.Message.Contains("Gather").And.Message.Contains("[2, 1]")
                          .And.Message.Contains("[3, 4]"));
        Assert.That(() => Ops.Gather(x, 1, Tensor.Full(new Shape(3, 1), 4f)),
                    Throws.ArgumentException.With.Message.Contains("Gather").And.Message.Contains("[0, 4)"));
        Assert.That(() => Ops.Gather(x, 1, Tensor.Full(new Shape(3, 1), 1.5f)), Throws.ArgumentException);
        Assert.That(() => Ops.Gather(x, 2, Tensor.Zeros(new Shape(3, 1))),
                    Throws.ArgumentException.With.Message.Contains("axis 2").And.Message.Contains("[3, 4]"));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void IndexSelect_ForwardAndGradient_MatchReference(int axis)
    {
        var x = GradCheck.RandomInputs(12, [3, 4])[0];
        var indices = Tensor.FromArray([2f, 0f, 2f]);
        var y = Ops.IndexSelect(x, axis, indices);
        int a = axis < 0 ? axis + 2 : axis;
        Assert.That(y.Shape, Is.EqualTo(a == 0 ? new Shape(3, 4) : new Shape(3, 3)));
        int[] pick = [2, 0, 2];
        for (int i = 0; i < y.Shape[0]; i++)
        for (int j = 0; j < y.Shape[1]; j++)
        {
            float expected = a == 0 ? x.At(pick[i], j) : x.At(i, pick[j]);
            Assert.That(y.At(i, j), Is.EqualTo(expected));
        }
        GradCheck.Check("index_select", t => Ops.IndexSelect(t[0], axis, indices), [x]);
        Assert.That(() => Ops.IndexSelect(x, 0, Tensor.Zeros(new Shape(1, 2))),
                    Throws.ArgumentException.With.Message.Contains("IndexSelect").And.Message.Contains("[1, 2]"));
    }

    [Test]
    public void OneHot_EncodesAndRejectsOutOfRange()
    {
        var idx = Tensor.FromArray([1f, 0f, 2f, 1f], new Shape(2, 2));
        var y = Ops.OneHot(idx, 3);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 2, 3)));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 1f, 0f, 1f, 0f }).AsCollection);
        Assert.That(() => Ops.OneHot(idx, 2), Throws.ArgumentException.With.Message.Contains("OneHot"));
    }
}
