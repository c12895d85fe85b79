using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// Winograd F(2×2, 3×3) (<see cref="Conv2dWinograd"/>, reached through <see cref="Conv2dKernels"/>) against the naive
/// loop: forward with and without bias and ReLU, the input gradient accumulating into a non-zero dx, odd sizes whose
/// last tiles hang over the edge, pads 0–2 on any side, the batch-1 split of one image across threads, and the shapes
/// it declines.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class Conv2dWinogradTests
{
    [TestCase(6, 14, 14, 16, 16, 1, 1, 1, 1, 2, true, true)]   // IMPALA residual pattern, threaded
    [TestCase(5, 11, 11, 16, 32, 1, 1, 1, 1, 2, true, false)]  // 16 → 32, odd output: edge tiles
    [TestCase(2, 9, 7, 8, 16, 2, 0, 0, 1, 1, false, true)]     // uneven pads, C = 8, serial
    [TestCase(3, 9, 9, 16, 16, 0, 0, 0, 0, 2, true, false)]    // VALID: 7×7 output
    [TestCase(1, 21, 21, 32, 32, 1, 1, 1, 1, 2, true, true)]   // batch 1: the image's groups split over 2 threads
    [TestCase(1, 1, 1, 16, 16, 1, 1, 1, 1, 2, true, false)]    // one pixel: one tile, three quarters outside
    [TestCase(4, 6, 5, 24, 32, 2, 2, 2, 2, 2, false, false)]   // pads of 2: every tap of some tiles in the border
    public void ForwardMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left, int right,
                                    int threads, bool withBias, bool relu)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 3, 3, cout, 1, 1,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dWinograd.CanForward(g), Is.True);
        Conv2dKernelsTests.AssertForwardMatchesNaive(g, threads, withBias, relu, seed: batch * 31 + cout + c);
    }

    [TestCase(6, 14, 14, 16, 16, 1, 1, 1, 1, 2)]  // IMPALA residual pattern, threaded
    [TestCase(5, 11, 11, 32, 16, 1, 1, 1, 1, 2)]  // C = 32 gradients from 16 output channels, odd size
    [TestCase(2, 9, 7, 16, 8, 0, 2, 1, 0, 1)]     // uneven pads, Cout = 8, serial
    [TestCase(1, 12, 12, 16, 32, 1, 1, 1, 1, 2)]  // batch 1 split over 2 threads
    [TestCase(3, 5, 5, 16, 16, 0, 0, 0, 0, 2)]    // VALID 3×3 → dY bordered by 2 on every side
    public void InputGradMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left,
                                      int right, int threads)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 3, 3, cout, 1, 1,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dWinograd.CanBackwardInput(g), Is.True);
        var rng = new System.Random(batch * 37 + cout + c);
        float[] wt = Rand(rng, g.PatchSize * cout), dy = Rand(rng, batch * g.OutPixels * cout);
        float[] x = new float[batch * h * w * c], dx = Rand(rng, x.Length), dxRef = (float[])dx.Clone();
        Conv2dKernelsTests.WithThreads(threads, () => Conv2dKernels.BackwardInput(dx, dy, wt, g));
        Conv2dKernels.BackwardNaive(dxRef, [], [], dy, x, wt, g);
        Assert.That(dx, Is.EqualTo(dxRef).AsCollection.Within(1e-4f));
    }

    /// <summary>
    /// The F(3×3, 2×2) weight gradient (<see cref="Conv2dWinogradWeightGrad"/>, through BackwardWeight) accumulating into
    /// non-zero dw and dBias: even and odd sizes (the odd ones zero-extend dY), pads 0–2, C = 8 and 24 (fours and sixes
    /// of channels), two panels, more tiles than one block, the serial path, no bias.
    /// </summary>
    [TestCase(4, 16, 16, 16, 16, 1, 1, 1, 1, 2, true)]   // IMPALA residual pattern: 256 tiles, 6 blocks
    [TestCase(3, 21, 17, 32, 32, 1, 1, 1, 1, 2, true)]   // odd sizes, C = 32 (4·6 + 4 + 4)
    [TestCase(2, 17, 18, 8, 16, 2, 0, 0, 1, 1, false)]   // uneven pads, C = 8, serial, no bias
    [TestCase(1, 20, 18, 24, 48, 0, 0, 0, 0, 2, true)]   // VALID, three panels, batch 1
    public void WeightGradMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left,
                                       int right, int threads, bool withBias)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 3, 3, cout, 1, 1,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dWinogradWeightGrad.CanRun(g), Is.True);
        Conv2dKernelsTests.AssertWeightGradMatchesNaive(g, threads, withBias, seed: batch * 41 + cout + c);
    }

    /// <summary>A NaN input reaches the outputs it touches through the fused ReLU, as through the ReLU op.</summary>
    [Test]
    public void ReluKeepsNaN()
    {
        var g = Conv2dGeometry.Create("test", new Shape(1, 6, 6, 16), 3, 3, 16, 1, 1, Padding.Symmetric(1));
        float[] x = new float[6 * 6 * 16], wt = Enumerable.Repeat(-0.01f, g.PatchSize * 16).ToArray(), y = new float[6 * 6 * 16];
        x[(2 * 6 + 2) * 16] = float.NaN;
        Conv2dKernels.Forward(y, x, wt, [], g, relu: true);
        Assert.That(float.IsNaN(y[(2 * 6 + 2) * 16]), Is.True, "output at the NaN pixel");
        Assert.That(y[(5 * 6 + 5) * 16], Is.EqualTo(0f), "output far from it");
    }

    [Test]
    public void DeclinesOtherShapes()
    {
        var shape = new Shape(2, 12, 12, 16);
        bool Can(Shape s, int k, int cout, int stride, Padding p) =>
            Conv2dWinograd.CanForward(Conv2dGeometry.Create("t", s, k, k, cout, stride, stride, p));
        Assert.That(Can(shape, 3, 16, 1, Padding.Symmetric(1)), Is.True);
        Assert.That(Can(shape, 3, 16, 2, Padding.Symmetric(1)), Is.False, "stride 2");
        Assert.That(Can(shape, 5, 16, 1, Padding.Symmetric(2)), Is.False, "5×5");
        Assert.That(Can(shape, 3, 16, 1, Padding.Symmetric(3)), Is.False, "pad 3");
        Assert.That(Can(shape, 3, 24, 1, Padding.Symmetric(1)), Is.False, "Cout not whole 16-channel panels");
        Assert.That(Can(new Shape(2, 12, 12, 4), 3, 16, 1, Padding.Symmetric(1)), Is.False, "C = 4");
        Assert.That(Can(new Shape(2, 9, 9, 64), 3, 64, 1, Padding.Valid), Is.False, "64×64 filter beyond MaxFilterFloats");
        var g = Conv2dGeometry.Create("t", new Shape(2, 12, 12, 8), 3, 3, 16, 1, 1, Padding.Symmetric(1));
        Assert.That(Conv2dWinograd.CanBackwardInput(g), Is.False, "input gradient with C = 8 outputs");
        Assert.That(Conv2dWinogradWeightGrad.CanRun(g with { H = 16, W = 16, OH = 16, OW = 16 }), Is.True);
        var small = Conv2dGeometry.Create("t", new Shape(2, 11, 11, 32), 3, 3, 32, 1, 1, Padding.Symmetric(1));
        Assert.That(Conv2dWinogradWeightGrad.CanRun(small), Is.False, "weight gradient below MinOutPixels");
    }

    private static float[] Rand(System.Random rng, int n) =>
        Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
}
