using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// Winograd F(2×2, 3×3) (<see cref="Conv2dWinograd"/>, reached through <see cref="Conv2dKernels"/> with F(4×4, 3×3)
/// switched off) against the naive
/// loop: forward with and without bias and ReLU, the input gradient accumulating into a non-zero dx, odd sizes whose
/// last tiles hang over the edge, pads 0–2 on any side, the batch-1 split of one image across threads, and the shapes
/// it declines.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class Conv2dWinogradTests(bool wide) : VectorWidthFixture(wide)
{
    [TestCase(6, 14, 14, 16, 16, 1, 1, 1, 1, 2, true, true)]   // IMPALA residual pattern, threaded
    [TestCase(5, 11, 11, 16, 32, 1, 1, 1, 1, 2, true, false)]  // 16 → 32, odd output: edge tiles
    [TestCase(2, 9, 7, 8, 16, 2, 0, 0, 1, 1, false, true)]     // uneven pads, C = 8, serial
    [TestCase(3, 9, 9, 16, 16, 0, 0, 0, 0, 2, true, false)]    // VALID: 7×7 output
    [TestCase(1, 21, 21, 32, 32, 1, 1, 1, 1, 2, true, true)]   // batch 1: the image's groups split over 2 threads
    [TestCase(1, 1, 1, 16, 16, 1, 1, 1, 1, 2, true, false)]    // one pixel: one tile, three quarters outside
    [TestCase(4, 6, 5, 24, 32, 2, 2, 2, 2, 2, false, false)]   // pads of 2: every tap of some tiles in the border
    // Groups of six spanning images (tile counts per thread not multiples of 6):
    [TestCase(5, 5, 5, 16, 16, 1, 1, 1, 1, 2, true, true)]     // 9 tiles per image: 27 + 18 over 2 threads
    [TestCase(2, 7, 7, 32, 32, 0, 0, 0, 0, 1, true, false)]    // VALID 5×5: 9 tiles per image, serial
    [TestCase(9, 4, 3, 16, 16, 0, 0, 0, 0, 2, false, true)]    // 2×1 output: one tile per image, 9 = 6 + 3
    public void ForwardMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left, int right,
                                    int threads, bool withBias, bool relu) =>
        AssertForward(g => Conv2dWinograd.CanForward(g),
                      (y, x, wt, bias, g, relu) => Conv2dKernelsTests.WithoutWinograd4(() =>
                          Conv2dKernels.Forward(y, x, wt, bias, g, relu: relu)),
                      batch, h, w, c, cout, Padding.Explicit(top, bottom, left, right), threads, withBias, relu, 1e-4f);

    /// <summary>
    /// <paramref name="run"/> (a Winograd forward, y = conv + bias, ReLU'd when asked) against the naive loop, within
    /// <paramref name="tolerance"/>; y starts as noise, so every output must be written.
    /// </summary>
    internal static void AssertForward(Func<Conv2dGeometry, bool> can,
                                       Action<float[], float[], float[], float[], Conv2dGeometry, bool> run,
                                       int batch, int h, int w, int c, int cout, Padding pad, int threads,
                                       bool withBias, bool relu, float tolerance)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 3, 3, cout, 1, 1, pad);
        Assert.That(can(g), Is.True);
        var rng = new System.Random(batch * 31 + cout + c);
        float[] x = Rand(rng, batch * h * w * c), wt = Rand(rng, g.PatchSize * cout), bias = withBias ? Rand(rng, cout) : [];
        float[] y = Rand(rng, batch * g.OutPixels * cout), yRef = new float[y.Length];
        Conv2dKernelsTests.WithThreads(threads, () => run(y, x, wt, bias, g, relu));
        Conv2dKernels.ForwardNaive(yRef, x, wt, bias, g);
        if (relu)
        {
            for (int i = 0; i < yRef.Length; i++) yRef[i] = Math.Max(yRef[i], 0f);
            Assert.That(y.Count(v => v == 0f), Is.InRange(1, y.Length - 1));
        }
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(tolerance));
    }

    [TestCase(6, 14, 14, 16, 16, 1, 1, 1, 1, 2)]  // IMPALA residual pattern, threaded
    [TestCase(5, 11, 11, 32, 16, 1, 1, 1, 1, 2)]  // C = 32 gradients from 16 output channels, odd size
    [TestCase(2, 9, 7, 16, 8, 0, 2, 1, 0, 1)]     // uneven pads, Cout = 8, serial
    [TestCase(1, 12, 12, 16, 32, 1, 1, 1, 1, 2)]  // batch 1 split over 2 threads
    [TestCase(3, 5, 5, 16, 16, 0, 0, 0, 0, 2)]    // VALID 3×3 → dY bordered by 2 on every side
    [TestCase(5, 7, 7, 32, 32, 0, 0, 0, 0, 2)]    // 7×7 dx: 16 tiles per image, 48 + 32 over 2 threads
    [TestCase(3, 5, 5, 16, 16, 1, 1, 1, 1, 1)]    // 9 tiles per image, serial: groups spanning images
    public void InputGradMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left,
                                      int right, int threads) =>
        AssertInputGrad(g => Conv2dWinograd.CanBackwardInput(g),
                        (dx, dy, wt, g) => Conv2dKernelsTests.WithoutWinograd4(() =>
                            Conv2dKernels.BackwardInput(dx, dy, wt, g)),
                        batch, h, w, c, cout, Padding.Explicit(top, bottom, left, right), threads, 1e-4f);

    /// <summary>
    /// <paramref name="run"/> (dx += a Winograd input gradient) on a non-zero dx against the naive loop.
    /// </summary>
    internal static void AssertInputGrad(Func<Conv2dGeometry, bool> can,
                                         Action<float[], float[], float[], Conv2dGeometry> run,
                                         int batch, int h, int w, int c, int cout, Padding pad, int threads,
                                         float tolerance)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 3, 3, cout, 1, 1, pad);
        Assert.That(can(g), Is.True);
        var rng = new System.Random(batch * 37 + cout + c);
        float[] wt = Rand(rng, g.PatchSize * cout), dy = Rand(rng, batch * g.OutPixels * cout);
        float[] x = new float[batch * h * w * c], dx = Rand(rng, x.Length), dxRef = (float[])dx.Clone();
        Conv2dKernelsTests.WithThreads(threads, () => run(dx, dy, wt, g));
        Conv2dKernels.BackwardNaive(dxRef, [], [], dy, x, wt, g);
        Assert.That(dx, Is.EqualTo(dxRef).AsCollection.Within(tolerance));
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
    public void ReluKeepsNaN() =>
        AssertReluKeepsNaN((y, x, wt, g) => Conv2dKernelsTests.WithoutWinograd4(() =>
            Conv2dKernels.Forward(y, x, wt, [], g, relu: true)), 6);

    /// <summary>
    /// <paramref name="run"/> (forward with the ReLU fused) on a side×side, 16-channel image with one NaN at (2, 2):
    /// NaN there, 0 at the far corner (another tile), whose inputs are all 0 and weights negative.
    /// </summary>
    internal static void AssertReluKeepsNaN(Action<float[], float[], float[], Conv2dGeometry> run, int side)
    {
        var g = Conv2dGeometry.Create("test", new Shape(1, side, side, 16), 3, 3, 16, 1, 1, Padding.Symmetric(1));
        float[] x = new float[side * side * 16], wt = Enumerable.Repeat(-0.01f, g.PatchSize * 16).ToArray();
        float[] y = new float[side * side * 16];
        x[(2 * side + 2) * 16] = float.NaN;
        run(y, x, wt, g);
        Assert.That(float.IsNaN(y[(2 * side + 2) * 16]), Is.True, "output at the NaN pixel");
        Assert.That(y[(side * side - 1) * 16], Is.EqualTo(0f), "output far from it");
    }

    [Test]
    public void DeclinesOtherShapes()
    {
        AssertDeclines(g => Conv2dWinograd.CanForward(g), g => Conv2dWinograd.CanBackwardInput(g));
        var g = Conv2dGeometry.Create("t", new Shape(2, 16, 16, 8), 3, 3, 16, 1, 1, Padding.Symmetric(1));
        Assert.That(Conv2dWinogradWeightGrad.CanRun(g), Is.True, "weight gradient with C = 8, 256 output pixels");
        var small = Conv2dGeometry.Create("t", new Shape(2, 11, 11, 32), 3, 3, 32, 1, 1, Padding.Symmetric(1));
        Assert.That(Conv2dWinogradWeightGrad.CanRun(small), Is.False, "weight gradient below MinOutPixels");
    }

    /// <summary>What both Winograd variants decline: other kernels, strides and pads, partial vectors or panels, and
    /// filters beyond their MaxFilterFloats.</summary>
    internal static void AssertDeclines(Func<Conv2dGeometry, bool> canForward, Func<Conv2dGeometry, bool> canBackward)
    {
        var shape = new Shape(2, 12, 12, 16);
        bool Can(Shape s, int k, int cout, int stride, Padding p) =>
            canForward(Conv2dGeometry.Create("t", s, k, k, cout, stride, stride, p));
        Assert.That(Can(shape, 3, 16, 1, Padding.Symmetric(1)), Is.True);
        Assert.That(Can(shape, 3, 16, 2, Padding.Symmetric(1)), Is.False, "stride 2");
        Assert.That(Can(shape, 5, 16, 1, Padding.Symmetric(2)), Is.False, "5×5");
        Assert.That(Can(shape, 3, 16, 1, Padding.Symmetric(3)), Is.False, "pad 3");
        Assert.That(Can(shape, 3, 24, 1, Padding.Symmetric(1)), Is.False, "Cout not whole 16-channel panels");
        Assert.That(Can(new Shape(2, 12, 12, 4), 3, 16, 1, Padding.Symmetric(1)), Is.False, "C = 4");
        Assert.That(Can(new Shape(2, 9, 9, 128), 3, 64, 1, Padding.Valid), Is.False, "128×64 filter beyond every cap");
        var g = Conv2dGeometry.Create("t", new Shape(2, 12, 12, 8), 3, 3, 16, 1, 1, Padding.Symmetric(1));
        Assert.That(canBackward(g), Is.False, "input gradient with C = 8 outputs");
    }

    internal static float[] Rand(System.Random rng, int n) =>
        Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
}
