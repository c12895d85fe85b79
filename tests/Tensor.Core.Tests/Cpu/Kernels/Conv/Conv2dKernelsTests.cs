using MoeScratch.Tensors.Cpu.Kernels;
using Cpu = MoeScratch.Tensors.Cpu;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// The register-resident bias helpers of <see cref="Conv2dKernels"/> against plain loops, and the image-parallel
/// im2col/col2im path (large enough to fork) against the naive convolution on 2 threads, and the implicit-GEMM forward.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class Conv2dKernelsTests(bool wide) : VectorWidthFixture(wide)
{
    [TestCase(1)]
    [TestCase(2)]
    public void ForwardAndBackwardMatchNaiveAboveTheParallelThreshold(int threads)
    {
        // col = 16 · 20·20 · 3·3·8 = 460,800 floats ≥ ParallelMinColFloats, so 2 threads split the copies.
        var g = Conv2dGeometry.Create("test", new Shape(16, 20, 20, 8), 3, 3, 16, 1, 1, Padding.Symmetric(1));
        Assert.That(16L * g.OutPixels * g.PatchSize, Is.GreaterThanOrEqualTo(Conv2dKernels.ParallelMinColFloats));
        var rng = new System.Random(5);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(16 * 20 * 20 * 8), w = Rand(3 * 3 * 8 * 16), bias = Rand(16), dy = Rand(16 * 20 * 20 * 16);
        float[] y = new float[dy.Length], yRef = new float[dy.Length];
        float[] dx = new float[x.Length], dxRef = new float[x.Length], dw = new float[w.Length], dwRef = new float[w.Length];
        float[] db = new float[16], dbRef = new float[16];
        int saved = Cpu.CpuThreads.Max;
        try
        {
            Cpu.CpuThreads.Max = threads;
            WithoutWinograd(() =>
            {
                Conv2dKernels.Forward(y, x, w, bias, g);
                Conv2dKernels.BackwardInput(dx, dy, w, g);
                Conv2dKernels.BackwardWeight(dw, db, dy, x, g);
            });
        }
        finally
        {
            Cpu.CpuThreads.Max = saved;
        }
        Conv2dKernels.ForwardNaive(yRef, x, w, bias, g);
        Conv2dKernels.BackwardNaive(dxRef, dwRef, dbRef, dy, x, w, g);
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-4f));
        Assert.That(dx, Is.EqualTo(dxRef).AsCollection.Within(1e-4f));
        Assert.That(dw, Is.EqualTo(dwRef).AsCollection.Within(2e-3f));
        Assert.That(db, Is.EqualTo(dbRef).AsCollection.Within(2e-3f));
    }

    /// <summary>
    /// The implicit-GEMM forward (<see cref="Conv2dImplicit"/>) against the naive convolution and, bit for bit, against
    /// im2col + GEMM where the patch is one depth block: the three Nature convs' geometries (threaded), M a multiple
    /// of 6 and not, one and four output panels, non-square kernels and strides, the serial path.
    /// </summary>
    [TestCase(3, 84, 84, 4, 8, 8, 32, 4, 4, 2)]  // Nature conv 1, M = 1200, threaded
    [TestCase(2, 9, 9, 3, 3, 3, 16, 2, 2, 1)]    // M = 32: five full tiles and a 2-row edge tile
    [TestCase(1, 7, 11, 5, 2, 4, 64, 1, 3, 2)]   // four panels, stride 1×3, M = 18
    [TestCase(5, 6, 6, 8, 3, 3, 48, 3, 3, 2)]    // M = 20, tiny, below the threading threshold
    [TestCase(4, 20, 20, 32, 4, 4, 64, 2, 2, 2)] // Nature conv 2: KK = 512, beyond one depth block
    [TestCase(3, 9, 9, 64, 3, 3, 64, 1, 1, 2)]   // Nature conv 3: KK = 576
    [TestCase(2, 9, 9, 3, 3, 3, 16, 2, 2, 2, false)] // no bias: the epilogue leaves the plain sums, edge tile too
    public void ImplicitForwardMatchesNaiveAndIm2Col(int batch, int h, int w, int c, int kh, int kw, int cout,
                                                      int sh, int sw, int threads, bool withBias = true)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), kh, kw, cout, sh, sw, Padding.Valid);
        Assert.That(Conv2dImplicit.CanRun(g), Is.True);
        var rng = new System.Random(batch * 100 + cout);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(batch * h * w * c), wt = Rand(g.PatchSize * cout), bias = withBias ? Rand(cout) : [];
        int m = batch * g.OutPixels;
        float[] y = new float[m * cout], yRef = new float[m * cout], yCol = new float[m * cout];
        float[] col = new float[m * g.PatchSize];
        int saved = Cpu.CpuThreads.Max;
        try
        {
            Cpu.CpuThreads.Max = threads;
            WithoutWinograd(() => Conv2dKernels.Forward(y, x, wt, bias, g));
            Conv2dKernels.Im2Col(col, x, g, 0, batch);
            MatMulKernels.Gemm(false, false, m, cout, g.PatchSize, col, g.PatchSize, wt, cout, yCol, cout, false);
            if (withBias) Conv2dKernels.AddRowVector(yCol, bias, m, cout);
        }
        finally
        {
            Cpu.CpuThreads.Max = saved;
        }
        Conv2dKernels.ForwardNaive(yRef, x, wt, bias, g);
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-4f));
        // One depth block: the same sums in the same order as the blocked GEMM. The 512-bit kernels split each run's
        // steps into even and odd sums, which the GEMM splits over the whole depth: equal up to rounding there.
        if (g.PatchSize <= MoeScratch.Tensors.Cpu.Kernels.Gemm.GemmDriver.KC)
        {
            if (MoeScratch.Tensors.Cpu.Kernels.Gemm.GemmMicroKernel.Wide) Assert.That(y, Is.EqualTo(yCol).AsCollection.Within(1e-5f));
            else Assert.That(y, Is.EqualTo(yCol).AsCollection);
        }
    }

    /// <summary>
    /// The implicit forward with the ReLU epilogue against the naive convolution + max(0, ·): per-thread tile ranges
    /// that are and are not multiples of the 8-tile ReLU group, the 2-row edge tile, the serial path.
    /// </summary>
    [TestCase(3, 84, 84, 4, 8, 8, 32, 4, 4, 2)] // M = 1200: 100 tiles per thread, groups of 8 and a rest of 4
    [TestCase(2, 9, 9, 3, 3, 3, 16, 2, 2, 2)]   // M = 32: 6 tiles (3 per thread), the last a 2-row edge tile
    [TestCase(6, 11, 11, 8, 3, 3, 32, 1, 1, 1)] // M = 486: 81 tiles serial, 10 groups and 1 left
    public void ImplicitForwardWithReluMatchesNaive(int batch, int h, int w, int c, int kh, int kw, int cout, int sh,
                                                    int sw, int threads)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), kh, kw, cout, sh, sw, Padding.Valid);
        Assert.That(Conv2dImplicit.CanRun(g), Is.True);
        var rng = new System.Random(batch * 10 + cout);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(batch * h * w * c), wt = Rand(g.PatchSize * cout), bias = Rand(cout);
        float[] y = new float[batch * g.OutPixels * cout], yRef = new float[y.Length];
        WithoutWinograd(() => WithThreads(threads, () => Conv2dKernels.Forward(y, x, wt, bias, g, relu: true)));
        Conv2dKernels.ForwardNaive(yRef, x, wt, bias, g);
        for (int i = 0; i < yRef.Length; i++) yRef[i] = Math.Max(yRef[i], 0f);
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-4f));
        Assert.That(y.Count(v => v == 0f), Is.InRange(1, y.Length - 1));
    }

    /// <summary>
    /// The direct few-channel forward (<see cref="Conv2dSmallChannel"/>, reached through Forward) against the naive
    /// loop, with and without bias and ReLU: IMPALA's first conv (SAME, threaded), C = 6 with strides 2×3 and uneven
    /// pads, taps wholly in the pads, one channel with K = 32 (two panels), an image narrower than one 6-pixel tile.
    /// </summary>
    [TestCase(8, 30, 30, 4, 3, 3, 16, 1, 1, 1, 1, 1, 1, 2, true, false)]
    [TestCase(2, 11, 9, 6, 3, 2, 16, 2, 3, 1, 2, 0, 1, 1, true, true)]
    [TestCase(1, 4, 2, 2, 3, 3, 32, 1, 1, 3, 0, 0, 2, 1, false, false)]
    [TestCase(3, 20, 20, 1, 2, 2, 32, 1, 1, 0, 1, 1, 0, 2, false, true)]
    [TestCase(2, 5, 4, 3, 3, 3, 16, 1, 1, 1, 1, 1, 1, 1, true, true)]
    public void SmallChannelForwardMatchesNaive(int batch, int h, int w, int c, int kh, int kw, int cout, int sh,
                                                int sw, int top, int bottom, int left, int right, int threads,
                                                bool withBias, bool relu)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), kh, kw, cout, sh, sw,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dImplicit.CanRun(g), Is.False);
        Assert.That(Conv2dSmallChannel.CanRun(g), Is.True);
        AssertForwardMatchesNaive(g, threads, withBias, relu, seed: batch * 13 + cout + c);
    }

    /// <summary>Forward (bias and ReLU as asked) on <paramref name="threads"/> against the naive loop.</summary>
    internal static void AssertForwardMatchesNaive(Conv2dGeometry g, int threads, bool withBias, bool relu, int seed)
    {
        var rng = new System.Random(seed);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(g.Batch * g.H * g.W * g.C), wt = Rand(g.PatchSize * g.Cout), bias = withBias ? Rand(g.Cout) : [];
        float[] y = Rand(g.Batch * g.OutPixels * g.Cout), yRef = new float[y.Length];
        WithThreads(threads, () => Conv2dKernels.Forward(y, x, wt, bias, g, relu: relu));
        Conv2dKernels.ForwardNaive(yRef, x, wt, bias, g);
        if (relu)
        {
            for (int i = 0; i < yRef.Length; i++) yRef[i] = Math.Max(yRef[i], 0f);
            Assert.That(y.Count(v => v == 0f), Is.InRange(1, y.Length - 1), "a ReLU that clips some outputs, not all");
        }
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-4f));
    }

    /// <summary>
    /// BackwardWeight on <paramref name="threads"/>, accumulating into non-zero dw and dBias (none when not
    /// <paramref name="withBias"/>), against the naive loop; a second run gives the same bits (worker sums in order).
    /// </summary>
    internal static void AssertWeightGradMatchesNaive(Conv2dGeometry g, int threads, bool withBias, int seed)
    {
        var rng = new System.Random(seed);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(g.Batch * g.H * g.W * g.C), dy = Rand(g.Batch * g.OutPixels * g.Cout);
        float[] dw = Rand(g.PatchSize * g.Cout), dw2 = (float[])dw.Clone(), dwRef = (float[])dw.Clone();
        float[] db = withBias ? Rand(g.Cout) : [], dbRef = (float[])db.Clone();
        WithThreads(threads, () => Conv2dKernels.BackwardWeight(dw, db, dy, x, g));
        WithThreads(threads, () => Conv2dKernels.BackwardWeight(dw2, [], dy, x, g));
        Conv2dKernels.BackwardNaive([], dwRef, dbRef, dy, x, new float[dw.Length], g);
        Assert.That(dw, Is.EqualTo(dwRef).AsCollection.Within(2e-3f));
        Assert.That(db, Is.EqualTo(dbRef).AsCollection.Within(2e-3f));
        Assert.That(dw2, Is.EqualTo(dw).AsCollection, "worker partials are summed in a fixed order");
    }

    /// <summary>
    /// The direct weight gradient (<see cref="Conv2dDirectWeightGrad"/>, reached through BackwardWeight) against the
    /// naive loop, accumulating into a non-zero dw, with the bias gradient beside it: the Nature convs (several panels,
    /// 256–576 taps), IMPALA's SAME convs (4, 16 and 32 channels, threaded), tap counts that leave a short last tile,
    /// strides with asymmetric pads, taps wholly in the padding, one channel, three panels, the serial path.
    /// </summary>
    [TestCase(2, 84, 84, 4, 8, 8, 32, 4, 4, 0, 0, 0, 0, 2)]  // Nature conv 1
    [TestCase(3, 20, 20, 32, 4, 4, 64, 2, 2, 0, 0, 0, 0, 2)] // Nature conv 2: four panels
    [TestCase(4, 9, 9, 64, 3, 3, 64, 1, 1, 0, 0, 0, 0, 2)]   // Nature conv 3
    [TestCase(8, 30, 30, 4, 3, 3, 16, 1, 1, 1, 1, 1, 1, 2)]  // IMPALA conv 0 pattern: 36 taps
    [TestCase(6, 14, 14, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 2)] // IMPALA residual conv pattern
    [TestCase(5, 11, 11, 32, 3, 3, 32, 1, 1, 1, 1, 1, 1, 2)] // IMPALA 32-channel pattern, odd batch split
    [TestCase(2, 11, 9, 6, 3, 2, 16, 2, 3, 1, 2, 0, 1, 1)]   // 36 taps, strides 2×3, uneven pads, serial
    [TestCase(1, 4, 2, 2, 3, 3, 32, 1, 1, 3, 0, 0, 2, 1)]    // taps wholly in the pads (3 rows above, 2 columns right)
    [TestCase(3, 10, 10, 1, 2, 2, 32, 3, 3, 0, 0, 0, 0, 2)]  // one channel: 4 taps, one short tile
    [TestCase(3, 7, 8, 5, 2, 3, 48, 1, 2, 1, 0, 2, 1, 2)]    // 30 taps, three panels
    [TestCase(1, 10, 10, 8, 2, 2, 16, 2, 2, 0, 0, 0, 0, 1)]  // 32 taps: five tiles and a 2-tap one
    public void DirectWeightGradMatchesNaive(int batch, int h, int w, int c, int kh, int kw, int cout, int sh, int sw,
                                             int top, int bottom, int left, int right, int threads)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), kh, kw, cout, sh, sw,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dDirectWeightGrad.CanRun(g), Is.True);
        WithoutWinograd(() => AssertWeightGradMatchesNaive(g, threads, withBias: true, seed: batch * 11 + cout + c));
    }

    [Test]
    public void DirectWeightGradNeedsWhole16ChannelPanels()
    {
        static bool Can(int cout, Padding p) =>
            Conv2dDirectWeightGrad.CanRun(Conv2dGeometry.Create("t", new Shape(2, 20, 20, 16), 3, 3, cout, 1, 1, p));
        Assert.That(Can(16, Padding.Symmetric(1)), Is.True);
        Assert.That(Can(64, Padding.Valid), Is.True);
        Assert.That(Can(24, Padding.Valid), Is.False);
        Assert.That(Can(18, Padding.Symmetric(1)), Is.False);
    }

    /// <summary>
    /// The bordered implicit forward (<see cref="Conv2dPadded"/>, reached through Forward for padded convs with more
    /// than eight channels) against the naive loop, with and without bias and ReLU: IMPALA's SAME 3×3 at 16 and 32
    /// channels (threaded), strides with asymmetric pads, a pad wider than the kernel reaches, the serial path.
    /// </summary>
    [TestCase(6, 14, 14, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 2, true, true)]
    [TestCase(5, 11, 11, 32, 3, 3, 32, 1, 1, 1, 1, 1, 1, 2, true, false)]
    [TestCase(2, 11, 9, 12, 3, 2, 16, 2, 3, 1, 2, 0, 1, 1, false, true)]
    [TestCase(1, 5, 4, 16, 3, 3, 48, 1, 1, 3, 0, 0, 2, 1, true, false)]
    public void PaddedForwardMatchesNaive(int batch, int h, int w, int c, int kh, int kw, int cout, int sh, int sw,
                                          int top, int bottom, int left, int right, int threads, bool withBias, bool relu)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), kh, kw, cout, sh, sw,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dSmallChannel.CanRun(g), Is.False);
        Assert.That(Conv2dPadded.CanForward(g), Is.True);
        WithoutWinograd(() => AssertForwardMatchesNaive(g, threads, withBias, relu, seed: batch * 17 + cout + c));
    }

    /// <summary>
    /// The stride-1 input gradient as the flipped convolution of bordered dY (<see cref="Conv2dPadded"/>, reached
    /// through BackwardInput for padded convs), accumulating into a non-zero dx, against the naive loop: IMPALA's SAME
    /// 3×3 (16 → 16 and 16 → 32, threaded), uneven pads, a 5×5 kernel with pad 2, a 2×4 kernel, the serial path.
    /// </summary>
    [TestCase(6, 14, 14, 16, 3, 3, 16, 1, 1, 1, 1, 2)]
    [TestCase(5, 11, 11, 16, 3, 3, 32, 1, 1, 1, 1, 2)]
    [TestCase(2, 9, 7, 32, 3, 3, 16, 2, 0, 0, 1, 1)]
    [TestCase(3, 8, 8, 16, 5, 5, 16, 2, 2, 2, 2, 2)]
    [TestCase(2, 6, 9, 48, 2, 4, 16, 1, 0, 3, 0, 1)]
    public void FlippedInputGradMatchesNaive(int batch, int h, int w, int c, int kh, int kw, int cout, int top,
                                             int bottom, int left, int right, int threads)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), kh, kw, cout, 1, 1,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dPadded.CanBackwardInput(g), Is.True);
        var rng = new System.Random(batch * 19 + cout + c);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] wt = Rand(g.PatchSize * cout), dy = Rand(batch * g.OutPixels * cout), x = new float[batch * h * w * c];
        float[] dx = Rand(x.Length), dxRef = (float[])dx.Clone();
        WithoutWinograd(() => WithThreads(threads, () => Conv2dKernels.BackwardInput(dx, dy, wt, g)));
        Conv2dKernels.BackwardNaive(dxRef, [], [], dy, x, wt, g);
        Assert.That(dx, Is.EqualTo(dxRef).AsCollection.Within(1e-4f));
    }

    [Test]
    public void FlippedInputGradDeclinesStridesAndWidePads()
    {
        var shape = new Shape(2, 20, 20, 16);
        Assert.That(Conv2dPadded.CanBackwardInput(Conv2dGeometry.Create("t", shape, 3, 3, 16, 2, 2, Padding.Symmetric(1))), Is.False);
        Assert.That(Conv2dPadded.CanBackwardInput(Conv2dGeometry.Create("t", shape, 3, 3, 16, 1, 1, Padding.Symmetric(3))), Is.False);
        Assert.That(Conv2dPadded.CanBackwardInput(Conv2dGeometry.Create("t", shape, 3, 3, 16, 1, 1, Padding.Symmetric(1))), Is.True);
        // The flipped conv has C = 8 outputs: not a whole 16-channel panel.
        Assert.That(Conv2dPadded.CanBackwardInput(Conv2dGeometry.Create("t", new Shape(2, 9, 9, 8), 3, 3, 16, 1, 1, Padding.Symmetric(1))), Is.False);
    }

    [Test]
    public void ImplicitForwardDeclinesPaddedDeepOrOddWidthConvs()
    {
        var shape = new Shape(2, 20, 20, 32);
        Assert.That(Conv2dImplicit.CanRun(Conv2dGeometry.Create("t", shape, 3, 3, 16, 1, 1, Padding.Symmetric(1))), Is.False);
        Assert.That(Conv2dImplicit.CanRun(Conv2dGeometry.Create("t", shape, 6, 6, 64, 2, 2, Padding.Valid)), Is.False);
        Assert.That(Conv2dImplicit.CanRun(Conv2dGeometry.Create("t", shape, 2, 2, 80, 1, 1, Padding.Valid)), Is.False);
        Assert.That(Conv2dImplicit.CanRun(Conv2dGeometry.Create("t", shape, 2, 2, 24, 1, 1, Padding.Valid)), Is.False);
    }

    [TestCase(5, 8)]
    [TestCase(7, 16)]
    [TestCase(3, 64)]
    [TestCase(4, 12)]  // not a multiple of 8: generic path
    [TestCase(2, 72)]  // wider than the register path
    public void BiasHelpersMatchLoops(int rows, int k)
    {
        var rng = new System.Random(rows * 1000 + k);
        var m = new float[rows * k];
        var v = new float[k];
        for (int i = 0; i < m.Length; i++) m[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < k; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);

        var y = (float[])m.Clone();
        Conv2dKernels.AddRowVector(y, v, rows, k);
        var sum = (float[])v.Clone();
        Conv2dKernels.SumRowsInto(sum, m, rows, k);

        var yRef = new float[rows * k];
        var sumRef = new double[k];
        for (int r = 0; r < rows; r++)
        for (int j = 0; j < k; j++)
        {
            yRef[r * k + j] = m[r * k + j] + v[j];
            sumRef[j] += m[r * k + j];
        }
        for (int j = 0; j < k; j++) sumRef[j] += v[j];
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-6f));
        Assert.That(sum, Is.EqualTo(sumRef.Select(d => (float)d).ToArray()).AsCollection.Within(1e-5f));
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="Conv2dWinograd"/> switched off, so 3×3 stride-1 shapes reach the direct paths.</summary>
    internal static void WithoutWinograd(Action body) => Without(ref Conv2dKernels.Winograd, body);

    /// <summary>
    /// Runs <paramref name="body"/> with <see cref="Conv2dWinograd4"/> switched off, so Winograd shapes reach F(2×2).
    /// </summary>
    internal static void WithoutWinograd4(Action body) => Without(ref Conv2dKernels.Winograd4, body);

    private static void Without(ref bool path, Action body)
    {
        path = false;
        try
        {
            body();
        }
        finally
        {
            path = true;
        }
    }

    /// <summary>Runs <paramref name="body"/> with CpuThreads.Max set to <paramref name="threads"/>.</summary>
    internal static void WithThreads(int threads, Action body)
    {
        int saved = Cpu.CpuThreads.Max;
        try
        {
            Cpu.CpuThreads.Max = threads;
            body();
        }
        finally
        {
            Cpu.CpuThreads.Max = saved;
        }
    }
}
