using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// Winograd F(4×4, 3×3) (<see cref="Conv2dWinograd4"/>) against the naive loop: Lavin &amp; Gray's matrices in 1-D,
/// the filter transform, forward with and without bias and ReLU, the input gradient accumulating into a non-zero dx,
/// sizes that are not multiples of 4 (partial edge tiles), pads 0–2 on any side, the batch-1 split of one image
/// across threads, and the shapes it declines.
/// </summary>
/// <remarks>
/// Tolerance: inputs and weights are uniform in [−1, 1], so outputs are sums of up to 9·C = 288 products (|y| up to
/// ~10). F(2×2, 3×3)'s worst error on these cases is 2.4e-6 to 1.5e-5 and fits 1e-4; F(4×4, 3×3)'s transforms multiply
/// by up to 8 (Aᵀ) and 5 (Bᵀ), and its worst error measured 1.5e-5 to 1.06e-4 per case, the input gradient at
/// 1×12×12, 16→32 exceeding 1e-4 by 6%. The bound is 3e-4: about 3× the largest measured, still the float rounding
/// scale of a 288-term sum of size ~10 (288 · 6e-8 · 10 ≈ 2e-4 worst case), while an indexing or transform mistake
/// errs by O(0.1–1) (a 7.99 for Aᵀ's 8 fails 13 of the 14 forward and input-gradient cases, all but one pixel).
/// </remarks>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class Conv2dWinograd4Tests(bool wide) : VectorWidthFixture(wide)
{
    private const float Tolerance = 3e-4f;

    // Lavin & Gray 2016, F(4, 3): points 0, ±1, ±2, ∞.
    private static readonly double[,] Bt =
    {
        { 4, 0, -5, 0, 1, 0 }, { 0, -4, -4, 1, 1, 0 }, { 0, 4, -4, -1, 1, 0 },
        { 0, -2, -1, 2, 1, 0 }, { 0, 2, -1, -2, 1, 0 }, { 0, 4, 0, -5, 0, 1 },
    };

    private static readonly double[,] G =
    {
        { 1 / 4.0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0 }, { -1 / 6.0, 1 / 6.0, -1 / 6.0 },
        { 1 / 24.0, 1 / 12.0, 1 / 6.0 }, { 1 / 24.0, -1 / 12.0, 1 / 6.0 }, { 0, 0, 1 },
    };

    private static readonly double[,] At =
    {
        { 1, 1, 1, 1, 1, 0 }, { 0, 1, -1, 2, -2, 0 }, { 0, 1, 1, 4, 4, 0 }, { 0, 1, -1, 8, -8, 1 },
    };

    /// <summary>1-D F(4, 3): Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation y_i = Σ_k d_{i+k} g_k, in double.</summary>
    [Test]
    public void MatricesComputeCorrelation()
    {
        var rng = new System.Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            double[] d = Enumerable.Range(0, 6).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            double[] f = Enumerable.Range(0, 3).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            double[] prod = new double[6];
            for (int p = 0; p < 6; p++)
            {
                double gp = 0, dp = 0;
                for (int k = 0; k < 3; k++) gp += G[p, k] * f[k];
                for (int k = 0; k < 6; k++) dp += Bt[p, k] * d[k];
                prod[p] = gp * dp;
            }
            for (int i = 0; i < 4; i++)
            {
                double y = 0, yRef = 0;
                for (int p = 0; p < 6; p++) y += At[i, p] * prod[p];
                for (int k = 0; k < 3; k++) yRef += d[i + k] * f[k];
                Assert.That(y, Is.EqualTo(yRef).Within(1e-12), $"trial {trial}, output {i}");
            }
        }
    }

    /// <summary>
    /// The kernel's filter transform is G g Gᵀ with the matrix above, at u [ξ, cin, cout], also flipped (the input
    /// gradient's); C ≠ K so that swapped in/out indices fail. 1e-6: |u| ≤ ~1, float rounding of a few terms.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void TransformFilterIsGgGt(bool flip)
    {
        const int c = 16, k = 8;
        var rng = new System.Random(9);
        float[] w = Rand(rng, 9 * c * k), u = new float[36 * WinogradDriver.FilterStride(c, k)];
        Conv2dWinograd4.TransformFilter(u, w, c, k, flip);
        int cin = flip ? k : c, cout = flip ? c : k;
        for (int i = 0; i < cin; i++)
        for (int o = 0; o < cout; o++)
        for (int p = 0; p < 6; p++)
        for (int q = 0; q < 6; q++)
        {
            double want = 0;
            for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
            {
                float f = flip ? w[((2 - a) * 3 + (2 - b)) * c * k + o * k + i] : w[(a * 3 + b) * c * k + i * k + o];
                want += G[p, a] * f * G[q, b];
            }
            Assert.That(u[(p * 6 + q) * WinogradDriver.FilterStride(cin, cout) + i * cout + o],
                        Is.EqualTo(want).Within(1e-6), $"in {i}, out {o}, position ({p}, {q})");
        }
    }

    [TestCase(6, 14, 14, 16, 16, 1, 1, 1, 1, 2, true, true)]   // IMPALA residual pattern, threaded; 14 = 3·4 + 2
    [TestCase(5, 11, 11, 16, 32, 1, 1, 1, 1, 2, true, false)]  // 16 → 32, 11×11: last tiles cover 3 of 4
    [TestCase(2, 9, 7, 8, 16, 2, 0, 0, 1, 1, false, true)]     // uneven pads, C = 8, serial
    [TestCase(3, 9, 9, 16, 16, 0, 0, 0, 0, 2, true, false)]    // VALID: 7×7 output
    [TestCase(1, 21, 21, 32, 32, 1, 1, 1, 1, 2, true, true)]   // batch 1: the image's blocks split over 2 threads
    [TestCase(1, 1, 1, 16, 16, 1, 1, 1, 1, 2, true, false)]    // one pixel: one tile, 15 of 16 outputs outside
    [TestCase(4, 6, 5, 24, 32, 2, 2, 2, 2, 2, false, false)]   // pads of 2: every tap of some tiles in the border
    [TestCase(2, 42, 42, 16, 16, 1, 1, 1, 1, 2, true, true)]   // IMPALA stage 0: 11×11 tiles, 121 = 20 groups + 1
    // Groups of six spanning images (tile counts per thread not multiples of 6) and the 64×64 filter:
    [TestCase(32, 9, 9, 64, 64, 0, 0, 0, 0, 2, true, true)]    // Nature conv 3: 7×7, 4 tiles per image, 2 threads
    [TestCase(2, 9, 9, 64, 64, 0, 0, 0, 0, 1, true, true)]     // 8 tiles = 6 (image 0, half of 1) + 2, serial
    [TestCase(3, 9, 9, 64, 64, 0, 0, 0, 0, 2, false, false)]   // threads take images 0–1 (6 + 2 tiles) and 2 (4)
    [TestCase(2, 9, 9, 64, 64, 1, 1, 1, 1, 2, true, true)]     // 9×9 output at 64×64: 9 tiles per image
    [TestCase(5, 11, 11, 32, 32, 1, 1, 1, 1, 2, true, true)]   // 9 tiles per image: 27 + 18 over 2 threads
    [TestCase(7, 3, 5, 16, 16, 0, 0, 0, 0, 1, true, false)]    // 1×3 output: one tile per image, 7 = 6 + 1, serial
    [TestCase(1, 9, 9, 32, 32, 0, 0, 0, 0, 2, true, true)]     // batch 1, one short group: one thread
    public void ForwardMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left, int right,
                                    int threads, bool withBias, bool relu) =>
        Conv2dWinogradTests.AssertForward(g => Conv2dWinograd4.CanForward(g),
                                          (y, x, wt, bias, g, relu) => Conv2dWinograd4.Forward(y, x, wt, bias, g, relu),
                                          batch, h, w, c, cout, Padding.Explicit(top, bottom, left, right), threads,
                                          withBias, relu, Tolerance);

    [TestCase(6, 14, 14, 16, 16, 1, 1, 1, 1, 2)]  // IMPALA residual pattern, threaded
    [TestCase(5, 11, 11, 32, 16, 1, 1, 1, 1, 2)]  // C = 32 gradients from 16 output channels, odd size
    [TestCase(2, 9, 7, 16, 8, 0, 2, 1, 0, 1)]     // uneven pads, Cout = 8, serial
    [TestCase(1, 12, 12, 16, 32, 1, 1, 1, 1, 2)]  // batch 1 split over 2 threads
    [TestCase(3, 5, 5, 16, 16, 0, 0, 0, 0, 2)]    // VALID 3×3 → dY bordered by 2 on every side
    [TestCase(2, 21, 21, 32, 32, 1, 1, 1, 1, 2)]  // IMPALA stage 1: 6×6 tiles, the last row and column partial
    [TestCase(3, 7, 7, 32, 32, 0, 0, 0, 0, 2)]    // VALID, 7×7 dx: 4 tiles per image, 8 + 4 over 2 threads
    [TestCase(5, 9, 9, 32, 16, 1, 1, 1, 1, 2)]    // 9×9 dx: 9 tiles per image, groups spanning images
    [TestCase(2, 9, 9, 16, 16, 0, 0, 0, 0, 1)]    // 9×9 dx of a VALID conv, serial: 18 tiles = 3 groups
    [TestCase(1, 9, 9, 16, 16, 1, 1, 1, 1, 2)]    // batch 1: 9 tiles, the image's 2 groups split over 2 threads
    public void InputGradMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left,
                                      int right, int threads) =>
        Conv2dWinogradTests.AssertInputGrad(g => Conv2dWinograd4.CanBackwardInput(g),
                                            (dx, dy, wt, g) => Conv2dWinograd4.AccumulateInputGrad(dx, dy, wt, g),
                                            batch, h, w, c, cout, Padding.Explicit(top, bottom, left, right), threads,
                                            Tolerance);

    /// <summary>
    /// The adjoint input gradient (tiles of the forward's output, B M Bᵀ added into overlapping input tiles) on a
    /// non-zero dx: Nature conv 3, groups spanning images, partial edge tiles, pads, serial and threaded.
    /// </summary>
    [TestCase(32, 9, 9, 64, 64, 0, 0, 0, 0, 2)]   // Nature conv 3: 4 tiles per image, 64 + 64 over 2 threads
    [TestCase(2, 9, 9, 64, 64, 0, 0, 0, 0, 1)]    // 8 tiles = 6 + 2, serial
    [TestCase(3, 9, 9, 64, 64, 0, 0, 0, 0, 2)]    // threads take images 0–1 (6 + 2 tiles) and 2
    [TestCase(2, 9, 9, 64, 64, 1, 1, 1, 1, 2)]    // SAME: 9×9 output, 9 tiles per image, the last partial
    [TestCase(5, 11, 11, 32, 16, 0, 2, 1, 0, 2)]  // uneven pads, C = 32 from 16
    [TestCase(7, 4, 5, 16, 16, 0, 0, 0, 0, 1)]    // 2×3 output: one tile per image, 7 = 6 + 1
    [TestCase(2, 12, 10, 16, 32, 2, 2, 2, 2, 2)]  // pads of 2: tiles whose dd falls mostly in the border
    public void InputGradAdjointMatchesNaive(int batch, int h, int w, int c, int cout, int top, int bottom, int left,
                                             int right, int threads) =>
        Conv2dWinogradTests.AssertInputGrad(g => Conv2dWinograd4.CanBackwardInputAdjoint(g),
                                            (dx, dy, wt, g) => Conv2dWinograd4.AccumulateInputGradAdjoint(dx, dy, wt, g),
                                            batch, h, w, c, cout, Padding.Explicit(top, bottom, left, right), threads,
                                            Tolerance);

    /// <summary>
    /// The dispatcher runs F(4×4, 3×3) where <see cref="Conv2dWinograd4.Pays"/> and F(2×2, 3×3) otherwise or with it
    /// switched off: the two round differently, so each result must equal, bit for bit, the kernel it claims.
    /// </summary>
    [TestCase(4, 12, 10, 16, 32, 1, true)]   // both output sides ≥ 8: F(4×4)
    [TestCase(4, 11, 11, 32, 16, 2, true)]   // IMPALA-like odd size, threaded
    [TestCase(4, 12, 6, 16, 32, 1, false)]   // 6 wide: F(2×2)
    public void DispatcherRunsF4WherePays(int batch, int h, int w, int c, int cout, int threads, bool f4)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), 3, 3, cout, 1, 1, Padding.Same);
        Assert.That(Conv2dWinograd4.Pays(g.OH, g.OW), Is.EqualTo(f4));
        var rng = new System.Random(h * 7 + w);
        float[] x = Rand(rng, batch * h * w * c), wt = Rand(rng, g.PatchSize * cout), bias = Rand(rng, cout);
        float[] dy = Rand(rng, batch * g.OutPixels * cout), dx0 = Rand(rng, x.Length);
        float[] y = new float[dy.Length], y4 = new float[dy.Length], y2 = new float[dy.Length];
        float[] yOff = new float[dy.Length];
        float[] dx = (float[])dx0.Clone(), dx4 = (float[])dx0.Clone(), dx2 = (float[])dx0.Clone();
        float[] dxOff = (float[])dx0.Clone();
        Conv2dKernelsTests.WithThreads(threads, () =>
        {
            Conv2dKernels.Forward(y, x, wt, bias, g, relu: true);
            Conv2dKernels.BackwardInput(dx, dy, wt, g);
            Conv2dWinograd4.Forward(y4, x, wt, bias, g, relu: true);
            Conv2dWinograd4.AccumulateInputGrad(dx4, dy, wt, g);
            Conv2dWinograd.Forward(y2, x, wt, bias, g, relu: true);
            Conv2dWinograd.AccumulateInputGrad(dx2, dy, wt, g);
            Conv2dKernelsTests.WithoutWinograd4(() =>
            {
                Conv2dKernels.Forward(yOff, x, wt, bias, g, relu: true);
                Conv2dKernels.BackwardInput(dxOff, dy, wt, g);
            });
        });
        Assert.That(y4, Is.Not.EqualTo(y2).AsCollection, "F(2×2) and F(4×4) round alike: cannot tell them apart");
        Assert.That(dx4, Is.Not.EqualTo(dx2).AsCollection, "input gradients round alike");
        Assert.That(y, Is.EqualTo(f4 ? y4 : y2).AsCollection, "forward through the dispatcher");
        Assert.That(dx, Is.EqualTo(f4 ? dx4 : dx2).AsCollection, "input gradient through the dispatcher");
        Assert.That(yOff, Is.EqualTo(y2).AsCollection, "forward with F(4×4) switched off");
        Assert.That(dxOff, Is.EqualTo(dx2).AsCollection, "input gradient with F(4×4) switched off");
    }

    /// <summary>A NaN input reaches the outputs it touches through the fused ReLU, as through the ReLU op.</summary>
    [Test]
    public void ReluKeepsNaN() =>
        Conv2dWinogradTests.AssertReluKeepsNaN((y, x, wt, g) => Conv2dWinograd4.Forward(y, x, wt, [], g, true), 9);

    [Test]
    public void DeclinesOtherShapes()
    {
        Conv2dWinogradTests.AssertDeclines(g => Conv2dWinograd4.CanForward(g),
                                           g => Conv2dWinograd4.CanBackwardInput(g));
        var stride2 = Conv2dGeometry.Create("t", new Shape(2, 12, 12, 16), 3, 3, 16, 2, 2, Padding.Symmetric(1));
        var ex = Assert.Throws<ArgumentException>(() =>
            Conv2dWinograd4.Forward(new float[2 * 6 * 6 * 16], new float[2 * 12 * 12 * 16], new float[9 * 16 * 16], [],
                                    stride2, false));
        Assert.That(ex!.Message, Does.Contain("stride 2×2"));
        var nature3 = Conv2dGeometry.Create("t", new Shape(2, 9, 9, 64), 3, 3, 64, 1, 1, Padding.Valid);
        Assert.That(Conv2dWinograd4.CanForward(nature3), Is.True, "64×64 forward at batch 2");
        Assert.That(Conv2dWinograd4.CanBackwardInput(nature3), Is.False, "64×64 flipped input gradient");
        Assert.That(Conv2dWinograd4.CanBackwardInputAdjoint(nature3), Is.True, "64×64 adjoint input gradient");
        Assert.That(Conv2dWinograd.CanForward(nature3), Is.False, "64×64 by F(2×2)");
        var act = Conv2dGeometry.Create("t", new Shape(1, 9, 9, 64), 3, 3, 64, 1, 1, Padding.Valid);
        Assert.That(Conv2dWinograd4.CanForward(act), Is.False, "64×64 forward at batch 1: one group, one thread");
        Assert.That(Conv2dWinograd4.CanBackwardInputAdjoint(act), Is.False, "adjoint at batch 1");
        var wide = Conv2dGeometry.Create("t", new Shape(2, 9, 9, 128), 3, 3, 64, 1, 1, Padding.Valid);
        Assert.That(Conv2dWinograd4.CanBackwardInputAdjoint(wide), Is.False, "128×64 adjoint");
    }

    /// <summary>
    /// Nature conv 3 (9×9 → 7×7, 64→64) through the dispatcher: from batch 2 on the forward is F(4×4, 3×3) bit for
    /// bit, although 7×7 is below <see cref="Conv2dWinograd4.Pays"/>, and the input gradient the adjoint; at batch 1
    /// both are direct.
    /// </summary>
    [TestCase(4, true)]
    [TestCase(1, false)]
    public void DispatcherRunsF4ForNatureConv3(int batch, bool f4)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, 9, 9, 64), 3, 3, 64, 1, 1, Padding.Valid);
        var rng = new System.Random(batch);
        float[] x = Rand(rng, batch * 81 * 64), wt = Rand(rng, g.PatchSize * 64), bias = Rand(rng, 64);
        float[] dy = Rand(rng, batch * g.OutPixels * 64), y = new float[dy.Length], yOff = new float[dy.Length];
        float[] dx = new float[x.Length], dxOff = new float[x.Length];
        Conv2dKernelsTests.WithThreads(2, () =>
        {
            Conv2dKernels.Forward(y, x, wt, bias, g, relu: true);
            Conv2dKernels.BackwardInput(dx, dy, wt, g);
            Conv2dKernelsTests.WithoutWinograd(() =>
            {
                Conv2dKernels.Forward(yOff, x, wt, bias, g, relu: true);
                Conv2dKernels.BackwardInput(dxOff, dy, wt, g);
            });
        });
        if (!f4)
        {
            Assert.That(y, Is.EqualTo(yOff).AsCollection, "batch-1 forward: direct");
            Assert.That(dx, Is.EqualTo(dxOff).AsCollection, "batch-1 input gradient: direct");
            return;
        }
        float[] y4 = new float[dy.Length], dx4 = new float[x.Length];
        Conv2dKernelsTests.WithThreads(2, () =>
        {
            Conv2dWinograd4.Forward(y4, x, wt, bias, g, relu: true);
            Conv2dWinograd4.AccumulateInputGradAdjoint(dx4, dy, wt, g);
        });
        Assert.That(y, Is.EqualTo(y4).AsCollection, "forward through the dispatcher");
        Assert.That(y, Is.Not.EqualTo(yOff).AsCollection, "F(4×4) and direct round alike: cannot tell them apart");
        Assert.That(dx, Is.EqualTo(dx4).AsCollection, "input gradient through the dispatcher");
        Assert.That(dx, Is.Not.EqualTo(dxOff).AsCollection, "adjoint and direct round alike");
    }

    private static float[] Rand(System.Random rng, int n) => Conv2dWinogradTests.Rand(rng, n);
}
