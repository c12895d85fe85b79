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
        var rng = new System.Random(batch * 31 + cout + c);
        float[] x = Rand(rng, batch * h * w * c), wt = Rand(rng, g.PatchSize * cout), bias = withBias ? Rand(rng, cout) : [];
        float[] y = Rand(rng, batch * g.OutPixels * cout), yRef = new float[y.Length];
        Conv2dKernelsTests.WithoutWinograd4(() =>
            Conv2dKernelsTests.WithThreads(threads, () => Conv2dKernels.Forward(y, x, wt, bias, g, relu: relu)));
        Conv2dKernels.ForwardNaive(yRef, x, wt, bias, g);
        if (relu)
        {
            for (int i = 0; i < yRef.Length; i++) yRef[i] = Math.Max(yRef[i], 0f);
            Assert.That(y.Count(v => v == 0f), Is.InRange(1, y.Length - 1));
        }
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-4f));
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
        Conv2dKernelsTests.WithoutWinograd4(() =>
            Conv2dKernelsTests.WithThreads(threads, () => Conv2dKernels.BackwardInput(dx, dy, wt, g)));
        Conv2dKernels.BackwardNaive(dxRef, [], [], dy, x, wt, g);
        Assert.That(dx, Is.EqualTo(dxRef).AsCollection.Within(1e-4f));
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
    }

    private static float[] Rand(System.Random rng, int n) =>
        Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
}
