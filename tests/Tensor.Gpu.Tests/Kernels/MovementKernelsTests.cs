using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>Permute, slice, concat, stack, gather, index-select and scatter-add against the CPU backend.</summary>
public abstract class MovementKernelsTests : GpuTestBase
{
    // MovementKernels.Permute (StridedIndex over x's permuted strides).
    [TestCase(new[] { 3, 4 }, new[] { 1, 0 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 0, 2, 1 })]
    [TestCase(new[] { 2, 3, 4, 5 }, new[] { 3, 1, 0, 2 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 0, 1, 2 })]
    public void Permute_ForwardAndBackward_MatchCpu(int[] shape, int[] perm) =>
        CheckAgainstCpu("Permute", t => Ops.Permute(t[0], perm), [shape]);

    // MovementKernels.SliceCopy / SliceAdd.
    [TestCase(new[] { 4, 6 }, 1, 2, 3)]
    [TestCase(new[] { 5, 2, 3 }, 0, 1, 3)]
    [TestCase(new[] { 2, 5, 3 }, 1, 4, 1)]
    public void Slice_ForwardAndBackward_MatchCpu(int[] shape, int axis, int start, int length) =>
        CheckAgainstCpu("Slice", t => Ops.Slice(t[0], axis, start, length), [shape]);

    [Test]
    public void ConcatAndStack_ForwardAndBackward_MatchCpu()
    {
        CheckAgainstCpu("Concat", t => Ops.Concat([t[0], t[1]], 1), [[2, 3, 2], [2, 1, 2]]);
        CheckAgainstCpu("Stack", t => Ops.Stack([t[0], t[1]], 2), [[2, 3], [2, 3]]);
    }

    // IndexingKernels.Gather / ScatterAdd (repeated indices accumulate).
    [Test]
    public void Gather_WithRepeatedIndices_ForwardAndBackward_MatchCpu()
    {
        var index = new float[] { 0, 2, 2, 1, 1, 1 };
        CheckAgainstCpu("Gather", t => Ops.Gather(t[0], 1, t[1].Detach()), [[2, 4], [2, 3]], [[1, 2, 3, 4, 5, 6, 7, 8], index]);
        CheckAgainstCpu("IndexSelect", t => Ops.IndexSelect(t[0], 0, t[1].Detach()), [[3, 2], [4]],
                        [[1, 2, 3, 4, 5, 6], [2, 0, 2, 1]]);
    }

    [TestCase(4f)]
    [TestCase(-1f)]
    [TestCase(1.5f)]
    public void Gather_InvalidIndex_ThrowsLikeCpu(float bad)
    {
        var x = Tensor.Zeros(new Shape(2, 4), Gpu);
        var index = Tensor.FromArray(new[] { 0f, bad }, new Shape(2, 1), Gpu);
        Assert.That(() => Ops.Gather(x, 1, index), Throws.ArgumentException.With.Message.Contains("Gather"));
    }
}
