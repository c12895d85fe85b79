using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class TopKTests
{
    [TestCase(new[] { 4, 6 }, -1, 2)]
    [TestCase(new[] { 4, 6 }, 0, 3)]
    [TestCase(new[] { 2, 5, 3 }, 1, 5)]
    [TestCase(new[] { 3, 1 }, -1, 1)]
    [TestCase(new[] { 7 }, 0, 0)]
    public void TopK_ForwardAndGradient_MatchReference(int[] shape, int axis, int k)
    {
        var x = GradCheck.RandomInputs(5, shape)[0];
        var (values, indices) = Ops.TopK(x, k, axis);
        int a = axis < 0 ? axis + shape.Length : axis;
        int outer = shape[..a].Aggregate(1, (p, d) => p * d), n = shape[a];
        int inner = shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var xs = x.ToArray();
        var ev = new float[outer * k * inner];
        var ei = new float[outer * k * inner];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            var order = Enumerable.Range(0, n).OrderByDescending(j => xs[(o * n + j) * inner + i]).ThenBy(j => j).ToArray();
            for (int r = 0; r < k; r++)
            {
                ei[(o * k + r) * inner + i] = order[r];
                ev[(o * k + r) * inner + i] = xs[(o * n + order[r]) * inner + i];
            }
        }
        var expectedShape = (int[])shape.Clone();
        expectedShape[a] = k;
        Assert.That(values.Shape, Is.EqualTo(new Shape(expectedShape)));
        Assert.That(indices.ToArray(), Is.EqualTo(ei).AsCollection, "indices");
        Assert.That(values.ToArray(), Is.EqualTo(ev).AsCollection, "values");
        // Random inputs have no ties, so the selection is stable under the finite-difference nudges.
        GradCheck.Check("topk", t => Ops.TopK(t[0], k, axis).Values, [x], eps: 1e-3);
    }

    [Test]
    public void TopK_Ties_OrderedByLowerIndex()
    {
        var x = Tensor.FromArray([1f, 3f, 2f, 3f, 3f, 0f], new Shape(6));
        var (values, indices) = Ops.TopK(x, 4);
        Assert.That(indices.ToArray(), Is.EqualTo(new[] { 1f, 3f, 4f, 2f }).AsCollection);
        Assert.That(values.ToArray(), Is.EqualTo(new[] { 3f, 3f, 3f, 2f }).AsCollection);
    }

    [Test]
    public void TopK_NaN_RanksFirst()
    {
        var x = Tensor.FromArray([1f, float.NaN, 5f], new Shape(3));
        Assert.That(Ops.TopK(x, 2).Indices.ToArray(), Is.EqualTo(new[] { 1f, 2f }).AsCollection);
        Assert.That(Ops.ArgMax(x, 0).Item(), Is.EqualTo(1f));
    }

    [Test]
    public void TopK_Values_ScatterGradientToChosenPositions()
    {
        var x = Tensor.FromArray([0.5f, 2f, -1f, 1f], new Shape(1, 4));
        x.RequiresGrad = true;
        Ops.Sum(Ops.TopK(x, 2).Values).Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0f, 1f, 0f, 1f }).AsCollection);
    }

    [Test]
    public void ArgMax_FirstMaxWins_AndKeepDims()
    {
        var x = Tensor.FromArray([1f, 5f, 5f, 7f, 7f, 2f], new Shape(2, 3));
        Assert.That(Ops.ArgMax(x, -1).ToArray(), Is.EqualTo(new[] { 1f, 0f }).AsCollection);
        Assert.That(Ops.ArgMax(x, -1).Shape, Is.EqualTo(new Shape(2)));
        var colMax = Ops.ArgMax(x, 0, keepDims: true);
        Assert.That(colMax.Shape, Is.EqualTo(new Shape(1, 3)));
        Assert.That(colMax.ToArray(), Is.EqualTo(new[] { 1f, 1f, 0f }).AsCollection);
    }

    [Test]
    public void TopK_BadArguments_NameOpAndShape()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        Assert.That(() => Ops.TopK(x, 4), Throws.ArgumentException.With.Message.Contains("TopK").And.Message.Contains("[2, 3]"));
        Assert.That(() => Ops.ArgMax(x, 2), Throws.ArgumentException.With.Message.Contains("ArgMax").And.Message.Contains("axis 2"));
    }
}
