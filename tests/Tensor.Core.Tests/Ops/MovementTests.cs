using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class MovementTests
{
    private static IEnumerable<TestCaseData> PermuteCases()
    {
        yield return new TestCaseData(new[] { 3, 5 }, new[] { 1, 0 });
        yield return new TestCaseData(new[] { 2, 3, 4 }, new[] { 0, 2, 1 });
        yield return new TestCaseData(new[] { 2, 3, 4 }, new[] { 2, 0, 1 });
        yield return new TestCaseData(new[] { 2, 3, 4, 5 }, new[] { 0, 3, 1, 2 });
        yield return new TestCaseData(new[] { 2, 3, 4, 5 }, new[] { 3, 1, 0, 2 });
        yield return new TestCaseData(new[] { 2, 1, 3 }, new[] { -1, 0, 1 });
        yield return new TestCaseData(new[] { 1, 4, 1 }, new[] { 2, 1, 0 });
        yield return new TestCaseData(new[] { 37, 41 }, new[] { 1, 0 });
        // Size-1 axes between axes that keep their order: the Soft MoE slot layout at batch 1 ([n, 1, p, d] ↔
        // [1, n, p, d]) once took the 2-D transpose path for what is an identity copy.
        yield return new TestCaseData(new[] { 2, 1, 2, 5 }, new[] { 1, 0, 2, 3 });
        yield return new TestCaseData(new[] { 4, 1, 25, 16 }, new[] { 1, 0, 2, 3 });
        yield return new TestCaseData(new[] { 2, 1, 3, 4 }, new[] { 1, 0, 3, 2 });
    }

    /// <summary>
    /// Every permutation of rank-4 shapes with a size-1 axis in every position (and two of them), against the naive
    /// decoder: the kernel's axis simplification (dropping size-1 axes, merging in-order runs) has to be right for all.
    /// </summary>
    [Test]
    public void Permute_AllPermutationsWithSize1Axes_MatchNaive()
    {
        int[][] shapes = [[1, 2, 3, 4], [2, 1, 3, 4], [2, 3, 1, 4], [2, 3, 4, 1], [1, 3, 1, 4], [2, 1, 1, 4], [3, 1, 4, 1]];
        int checkedCases = 0;
        foreach (var shape in shapes)
        {
            var x = GradCheck.RandomInputs(3, shape)[0];
            var xs = x.ToArray();
            foreach (var perm in Permutations([0, 1, 2, 3]))
            {
                var naive = new float[xs.Length];
                Cpu.Kernels.MovementKernels.PermuteNaive(naive, xs, shape, perm);
                Assert.That(Ops.Permute(x, perm).ToArray(), Is.EqualTo(naive).AsCollection,
                            $"permute [{string.Join(", ", shape)}] by ({string.Join(", ", perm)})");
                checkedCases++;
            }
        }
        Assert.That(checkedCases, Is.EqualTo(shapes.Length * 24));
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }
        for (int i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var tail in Permutations(rest)) yield return [items[i], .. tail];
        }
    }

    [TestCaseSource(nameof(PermuteCases))]
    public void Permute_ForwardAndGradient_MatchReference(int[] shape, int[] perm)
    {
        var x = GradCheck.RandomInputs(2, shape)[0];
        var y = Ops.Permute(x, perm);
        int r = shape.Length;
        var p = perm.Select(d => d < 0 ? d + r : d).ToArray();
        var yShape = p.Select(d => shape[d]).ToArray();
        Assert.That(y.Shape, Is.EqualTo(new Shape(yShape)));
        // Reference: walk every x index and place it at the permuted position.
        var xs = x.ToArray();
        var expected = new float[xs.Length];
        var xStrides = new Shape(shape).Strides();
        var yStrides = new Shape(yShape).Strides();
        for (int flat = 0; flat < xs.Length; flat++)
        {
            int oy = 0;
            for (int d = 0; d < r; d++) oy += flat / xStrides[p[d]] % shape[p[d]] * yStrides[d];
            expected[oy] = xs[flat];
        }
        Assert.That(y.ToArray(), Is.EqualTo(expected).AsCollection, "forward permute");
        var naive = new float[xs.Length];
        Cpu.Kernels.MovementKernels.PermuteNaive(naive, xs, shape, p);
        Assert.That(naive, Is.EqualTo(expected).AsCollection, "naive kernel");
        if (xs.Length <= 120) GradCheck.Check("permute", t => Ops.Permute(t[0], perm), [x]);
    }

    [Test]
    public void Transpose_SwapsAxes_AndBadAxisNamesShape()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], new Shape(2, 3));
        var y = Ops.Transpose(x, 0, -1);
        Assert.That(y.Shape, Is.EqualTo(new Shape(3, 2)));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1f, 4f, 2f, 5f, 3f, 6f }).AsCollection);
        Assert.That(() => Ops.Transpose(x, 0, 2),
                    Throws.ArgumentException.With.Message.Contains("Transpose").And.Message.Contains("[2, 3]"));
        Assert.That(() => Ops.Permute(x, 0, 0), Throws.ArgumentException.With.Message.Contains("Permute"));
    }

    [Test]
    public void SqueezeUnsqueeze_ReshapeAndCheckSize()
    {
        var x = GradCheck.RandomInputs(1, [3, 1, 4])[0];
        Assert.That(Ops.Squeeze(x, -2).Shape, Is.EqualTo(new Shape(3, 4)));
        Assert.That(Ops.Unsqueeze(x, -1).Shape, Is.EqualTo(new Shape(3, 1, 4, 1)));
        Assert.That(Ops.Unsqueeze(x, 0).Shape, Is.EqualTo(new Shape(1, 3, 1, 4)));
        Assert.That(() => Ops.Squeeze(x, 0),
                    Throws.ArgumentException.With.Message.Contains("Squeeze").And.Message.Contains("[3, 1, 4]"));
        Assert.That(() => Ops.Unsqueeze(x, 4), Throws.ArgumentException.With.Message.Contains("Unsqueeze"));
        GradCheck.Check("unsqueeze/squeeze", t => Ops.Unsqueeze(Ops.Squeeze(t[0], 1), 0), [x]);
    }

    [TestCase(new[] { 4, 5 }, 1, 1, 3)]
    [TestCase(new[] { 4, 5 }, -2, 0, 4)]
    [TestCase(new[] { 2, 3, 4 }, 1, 2, 1)]
    [TestCase(new[] { 3, 1 }, 1, 0, 1)]
    [TestCase(new[] { 5 }, 0, 4, 0)]
    public void Slice_ForwardAndGradient_MatchReference(int[] shape, int axis, int start, int length)
    {
        var x = GradCheck.RandomInputs(6, shape)[0];
        var y = Ops.Slice(x, axis, start, length);
        int a = axis < 0 ? axis + shape.Length : axis;
        int outer = shape[..a].Aggregate(1, (p, d) => p * d), n = shape[a];
        int inner = shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var xs = x.ToArray();
        var expected = new List<float>();
        for (int o = 0; o < outer; o++)
        for (int j = start; j < start + length; j++)
        for (int i = 0; i < inner; i++) expected.Add(xs[(o * n + j) * inner + i]);
        Assert.That(y.ToArray(), Is.EqualTo(expected).AsCollection);
        GradCheck.Check("slice", t => Ops.Slice(t[0], axis, start, length), [x]);
    }

    [Test]
    public void Slice_OutOfRange_NamesOpAndShape()
    {
        var x = Tensor.Zeros(new Shape(4, 5));
        Assert.That(() => Ops.Slice(x, 1, 3, 3),
                    Throws.ArgumentException.With.Message.Contains("Slice").And.Message.Contains("[4, 5]"));
        Assert.That(() => Ops.Slice(x, -3, 0, 1), Throws.ArgumentException.With.Message.Contains("axis -3"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(-1)]
    public void Concat_ForwardAndGradient_MatchReference(int axis)
    {
        var shapes = axis == 0 ? new[] { new[] { 1, 3 }, new[] { 2, 3 }, new[] { 3, 3 } }
                               : new[] { new[] { 2, 1 }, new[] { 2, 4 }, new[] { 2, 2 } };
        var xs = GradCheck.RandomInputs(7, shapes);
        var y = Ops.Concat(xs, axis);
        // Reference: row by row, each input's row pieces in order.
        var expected = new List<float>();
        if (axis == 0) foreach (var t in xs) expected.AddRange(t.ToArray());
        else
        {
            for (int row = 0; row < 2; row++)
            foreach (var t in xs) expected.AddRange(t.ToArray().Skip(row * t.Shape[1]).Take(t.Shape[1]));
        }
        Assert.That(y.ToArray(), Is.EqualTo(expected).AsCollection);
        GradCheck.Check("concat", t => Ops.Concat(t, axis), xs);
    }

    [Test]
    public void Concat_MismatchedShapes_NamesBothShapes()
    {
        var a = Tensor.Zeros(new Shape(2, 3));
        var b = Tensor.Zeros(new Shape(3, 3));
        Assert.That(() => Ops.Concat([a, b], 1),
                    Throws.ArgumentException.With.Message.Contains("Concat").And.Message.Contains("[2, 3]")
                          .And.Message.Contains("[3, 3]"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(-1)]
    public void Stack_ForwardAndGradient_MatchReference(int axis)
    {
        var xs = GradCheck.RandomInputs(8, [2, 3], [2, 3]);
        var y = Ops.Stack(xs, axis);
        int a = axis < 0 ? axis + 3 : axis;
        var dims = new List<int> { 2, 3 };
        dims.Insert(a, 2);
        Assert.That(y.Shape, Is.EqualTo(new Shape([.. dims])));
        for (int k = 0; k < 2; k++)
        for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
        {
            int[] idx = a switch { 0 => [k, i, j], 1 => [i, k, j], _ => [i, j, k] };
            Assert.That(y.At(idx), Is.EqualTo(xs[k].At(i, j)));
        }
        GradCheck.Check("stack", t => Ops.Stack(t, axis), xs);
        Assert.That(() => Ops.Stack([xs[0], Tensor.Zeros(new Shape(3, 2))]),
                    Throws.ArgumentException.With.Message.Contains("Stack").And.Message.Contains("[2, 3]")
                          .And.Message.Contains("[3, 2]"));
    }
}
