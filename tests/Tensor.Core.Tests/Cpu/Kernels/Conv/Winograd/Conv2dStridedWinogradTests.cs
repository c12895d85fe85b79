using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// The space-to-depth Winograd F(2×2, 2×2) (<see cref="Conv2dStridedWinograd"/>, reached through
/// <see cref="Conv2dKernels"/>) against the naive loop: the Nature convs 1 and 2 (read in place, and copied because
/// the tiles reach past the image), odd outputs with partial edge tiles, unused trailing rows, batch 1 split across
/// threads, forward with and without bias and ReLU, weight and bias gradients accumulating into non-zero buffers.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class Conv2dStridedWinogradTests(bool wide) : VectorWidthFixture(wide)
{
    [TestCase(2, 84, 84, 4, 4, 32, 2, true, true)]    // Nature conv 1: 20×20 output, tiles inside the image
    [TestCase(3, 20, 20, 16, 2, 32, 2, true, false)]  // Nature conv 2 pattern (9×9 output): zero-extended copy
    [TestCase(1, 84, 84, 4, 4, 32, 2, false, true)]   // batch 1: the image's tiles split over 2 threads
    [TestCase(2, 15, 13, 8, 2, 16, 1, true, true)]    // 6×5 output, serial; a trailing row the conv never reads
    [TestCase(1, 11, 17, 4, 2, 48, 2, false, false)]  // s·C = 8, three panels, 4×7 output
    public void ForwardMatchesNaive(int batch, int h, int w, int c, int stride, int cout, int threads, bool withBias,
                                    bool relu)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 2 * stride, 2 * stride, cout, stride, stride,
                                      Padding.Valid);
        Assert.That(Conv2dStridedWinograd.CanForward(g), Is.True);
        Conv2dKernelsTests.AssertForwardMatchesNaive(g, threads, withBias, relu, seed: batch * 43 + cout + c);
    }

    [TestCase(2, 84, 84, 4, 4, 32, 2, true)]    // Nature conv 1
    [TestCase(3, 20, 20, 32, 2, 64, 2, true)]   // Nature conv 2: odd output, zero-extended dY
    [TestCase(2, 15, 13, 8, 2, 16, 1, false)]   // serial, no bias
    [TestCase(1, 11, 17, 4, 2, 48, 2, true)]    // one image on two threads' worth of work
    public void WeightGradMatchesNaive(int batch, int h, int w, int c, int stride, int cout, int threads, bool withBias)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 2 * stride, 2 * stride, cout, stride, stride,
                                      Padding.Valid);
        Assert.That(Conv2dStridedWinograd.CanRun(g), Is.True);
        Conv2dKernelsTests.AssertWeightGradMatchesNaive(g, threads, withBias, seed: batch * 47 + cout + c);
    }

    /// <summary>
    /// The space-to-depth input gradient (<see cref="Conv2dStridedWinograd.AccumulateInputGrad"/>, through
    /// BackwardInput) accumulating into a non-zero dx: Nature conv 2 (10×10 dx' tiles, threaded), odd x' sizes whose
    /// last tiles are partial, stride 4, the serial path.
    /// </summary>
    [TestCase(3, 20, 20, 32, 2, 64, 2)]  // Nature conv 2
    [TestCase(2, 14, 18, 8, 2, 16, 2)]   // x' 7×9: partial last tiles
    [TestCase(2, 24, 20, 4, 4, 32, 1)]   // stride 4 (s²C = 64), serial
    [TestCase(1, 10, 10, 16, 2, 32, 2)]  // batch 1
    public void InputGradMatchesNaive(int batch, int h, int w, int c, int stride, int cout, int threads)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 2 * stride, 2 * stride, cout, stride, stride,
                                      Padding.Valid);
        Assert.That(Conv2dStridedWinograd.CanBackwardInput(g), Is.True);
        var rng = new System.Random(batch * 53 + cout + c);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] wt = Rand(g.PatchSize * cout), dy = Rand(batch * g.OutPixels * cout);
        float[] x = new float[batch * h * w * c], dx = Rand(x.Length), dxRef = (float[])dx.Clone();
        Conv2dKernelsTests.WithThreads(threads, () => Conv2dKernels.BackwardInput(dx, dy, wt, g));
        Conv2dKernels.BackwardNaive(dxRef, [], [], dy, x, wt, g);
        Assert.That(dx, Is.EqualTo(dxRef).AsCollection.Within(1e-4f));
    }

    [Test]
    public void DeclinesOtherShapes()
    {
        bool Can(int c, int k, int stride, int cout, Padding p) =>
            Conv2dStridedWinograd.CanRun(Conv2dGeometry.Create("t", new Shape(2, 20, 20, c), k, k, cout, stride, stride, p));
        Assert.That(Can(4, 8, 4, 32, Padding.Valid), Is.True);
        Assert.That(Can(4, 8, 4, 32, Padding.Same), Is.False, "padded");
        Assert.That(Can(4, 6, 4, 32, Padding.Valid), Is.False, "kernel not twice the stride");
        Assert.That(Can(4, 2, 1, 32, Padding.Valid), Is.False, "stride 1");
        Assert.That(Can(3, 4, 2, 32, Padding.Valid), Is.False, "s·C = 6: not whole vectors");
        Assert.That(Can(4, 8, 4, 24, Padding.Valid), Is.False, "Cout not whole 16-channel panels");
        Assert.That(Conv2dStridedWinograd.CanBackwardInput(Conv2dGeometry.Create("t", new Shape(2, 21, 20, 8), 4, 4, 16,
                    2, 2, Padding.Valid)), Is.False, "input gradient when the stride does not divide H");
        var conv2 = Conv2dGeometry.Create("t", new Shape(2, 20, 20, 32), 4, 4, 64, 2, 2, Padding.Valid);
        Assert.That(Conv2dStridedWinograd.CanRun(conv2) && !Conv2dStridedWinograd.CanForward(conv2), Is.True,
                    "Nature conv 2: weight gradient only (filter beyond MaxForwardFilterFloats)");
    }
}
