using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>Implicit-GEMM convolution (all three passes) and pooling against the CPU backend.</summary>
public abstract class Conv2dKernelsTests : GpuTestBase
{
    private static Padding Pad(string p) => p switch
    {
        "valid" => Padding.Valid,
        "same" => Padding.Same,
        _ => Padding.Explicit(1, 0, 2, 1),
    };

    // MatMulKernels.Tiled<ConvForwardOperands>, <ConvBackwardInputOperands>, <ConvBackwardWeightOperands> and the
    // accumulating column-sum reduction for the bias gradient.
    [TestCase(new[] { 2, 7, 7, 3 }, 3, 4, 1, 1, "valid", true)]
    [TestCase(new[] { 2, 7, 6, 3 }, 3, 4, 2, 2, "same", true)]
    [TestCase(new[] { 1, 12, 12, 2 }, 8, 3, 4, 4, "valid", false)] // Nature-CNN conv 1 shape, scaled down
    [TestCase(new[] { 2, 5, 5, 4 }, 1, 3, 1, 1, "valid", true)] // pointwise
    [TestCase(new[] { 1, 6, 7, 2 }, 3, 2, 2, 1, "explicit", true)] // asymmetric pads and strides
    public void Conv2d_ForwardAndBackward_MatchCpu(int[] xShape, int k, int cout, int sh, int sw, string padding,
                                                   bool withBias)
    {
        int[] wShape = [k, k, xShape[3], cout];
        int[][] shapes = withBias ? [xShape, wShape, [cout]] : [xShape, wShape];
        CheckAgainstCpu($"Conv2d k={k} s=({sh},{sw}) {padding}",
                        t => Ops.Conv2d(t[0], t[1], withBias ? t[2] : null, sh, sw, Pad(padding)), shapes, tol: 1e-5);
    }

    // PoolKernels.MaxForward / MaxBackward (gather formulation over overlapping windows).
    [TestCase(new[] { 2, 7, 7, 3 }, 3, 2, "same")] // IMPALA-CNN's pooling
    [TestCase(new[] { 1, 6, 5, 2 }, 2, 2, "valid")]
    [TestCase(new[] { 1, 5, 5, 2 }, 3, 1, "explicit")]
    public void MaxPool2d_ForwardAndBackward_MatchCpu(int[] xShape, int window, int stride, string padding) =>
        CheckAgainstCpu($"MaxPool2d {window}/{stride} {padding}", t => Ops.MaxPool2d(t[0], window, stride, Pad(padding)),
                        [xShape]);

    /// <summary>Under NoGrad the op passes no argmax; the device fills a scratch one and y still matches the CPU.</summary>
    [Test]
    public void MaxPool2d_WithoutGrad_MatchesCpu()
    {
        var data = RandomData(new Rng(9), 2 * 7 * 7 * 3);
        float[] cpu, gpu;
        using (Tensor.NoGrad())
        {
            cpu = Ops.MaxPool2d(Tensor.FromArray(data, new Shape(2, 7, 7, 3)), 3, 2, Padding.Same).ToArray();
            gpu = Ops.MaxPool2d(Tensor.FromArray(data, new Shape(2, 7, 7, 3), Gpu), 3, 2, Padding.Same).ToArray();
        }
        AssertClose("MaxPool2d NoGrad", gpu, cpu, 0);
    }

    [Test]
    public void MaxPool2d_Ties_GoToTheFirstMaximumLikeCpu()
    {
        var x = new float[] { 1, 1, 1, 1, 2, 2, 2, 2, 0 };
        CheckAgainstCpu("MaxPool2d ties", t => Ops.MaxPool2d(t[0], 2, 1, Padding.Valid), [[1, 3, 3, 1]], [x]);
    }

    // PoolKernels.AvgForward / AvgBackward with both divisor rules.
    [TestCase(new[] { 2, 7, 7, 3 }, 3, 2, "same", true)]
    [TestCase(new[] { 2, 7, 7, 3 }, 3, 2, "same", false)]
    [TestCase(new[] { 1, 5, 6, 2 }, 2, 2, "valid", true)]
    [TestCase(new[] { 1, 5, 5, 2 }, 3, 1, "explicit", false)]
    public void AvgPool2d_ForwardAndBackward_MatchCpu(int[] xShape, int window, int stride, string padding,
                                                     bool countIncludePad) =>
        CheckAgainstCpu($"AvgPool2d {window}/{stride} {padding} includePad={countIncludePad}",
                        t => Ops.AvgPool2d(t[0], window, stride, Pad(padding), countIncludePad), [xShape]);
}
