using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>Sum, Mean, Max, Min over axis sets, through both reduce kernels, against the CPU backend.</summary>
public abstract class ReduceKernelsTests : GpuTestBase
{
    // ReduceKernels.PerThread<TOp>: short reductions (InnerCount ≤ 64).
    [TestCase(new[] { 2, 3, 4 }, null)]
    [TestCase(new[] { 2, 3, 4 }, new[] { 1 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 0, 2 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { -1 })]
    [TestCase(new[] { 5 }, new[] { 0 })]
    [TestCase(new[] { 2, 1, 3 }, new[] { 1 })]
    public void SumMeanMaxMin_ShortReductions_MatchCpu(int[] shape, int[]? axes)
    {
        CheckAgainstCpu("Sum", t => Ops.Sum(t[0], axes), [shape]);
        CheckAgainstCpu("Mean keepDims", t => Ops.Mean(t[0], axes, keepDims: true), [shape]);
        CheckAgainstCpu("Max", t => Ops.Max(t[0], axes), [shape]);
        CheckAgainstCpu("Min", t => Ops.Min(t[0], axes), [shape]);
    }

    // ReduceKernels.PerGroup<TOp>: long reductions (InnerCount 100, 70, 130 > TreeReduceThreshold = 64).
    [TestCase(new[] { 3, 100 }, new[] { 1 })]
    [TestCase(new[] { 70, 2 }, new[] { 0 })]
    [TestCase(new[] { 130 }, null)]
    public void SumMaxMin_LongReductions_UseTreeAndMatchCpu(int[] shape, int[]? axes)
    {
        CheckAgainstCpu("Sum", t => Ops.Sum(t[0], axes), [shape], tol: 1e-4);
        CheckAgainstCpu("Max", t => Ops.Max(t[0], axes), [shape]);
        CheckAgainstCpu("Min", t => Ops.Min(t[0], axes), [shape]);
    }

    [Test]
    public void Max_Ties_ShareTheGradientLikeCpu()
    {
        var x = new float[] { 1, 3, 3, 0, -2, -2, -2, -5 };
        CheckAgainstCpu("Max ties", t => Ops.Max(t[0], [1]), [[2, 4]], [x]);
    }

    [Test]
    public void Sum_OfEmptyAxis_IsZero()
    {
        var x = Tensor.Zeros(new Shape(3, 0), Gpu);
        var y = Ops.Sum(x, [1]);
        Assert.That(y.ToArray(), Is.EqualTo(new float[3]));
    }
}
