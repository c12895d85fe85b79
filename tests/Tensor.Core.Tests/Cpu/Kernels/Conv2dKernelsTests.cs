using MoeScratch.Tensors.Cpu.Kernels;
using Cpu = MoeScratch.Tensors.Cpu;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// The register-resident bias helpers of <see cref="Conv2dKernels"/> against plain loops, and the image-parallel
/// im2col/col2im path (large enough to fork) against the naive convolution on 2 threads, and the implicit-GEMM forward.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class Conv2dKernelsTests
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
            Conv2dKernels.Forward(y, x, w, bias, g);
            Conv2dKernels.BackwardInput(dx, dy, w, g);
            Conv2dKernels.BackwardWeight(dw, db, dy, x, g);
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
            Conv2dKernels.Forward(y, x, wt, bias, g);
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
        // One depth block: the same sums in the same order as the blocked GEMM.
        if (g.PatchSize <= MoeScratch.Tensors.Cpu.Kernels.Gemm.GemmDriver.KC)
        {
            Assert.That(y, Is.EqualTo(yCol).AsCollection);
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
        WithThreads(threads, () => Conv2dKernels.Forward(y, x, wt, bias, g, relu: true));
        Conv2dKernels.ForwardNaive(yRef, x, wt, bias, g);
        for (int i = 0; i < yRef.Length; i++) yRef[i] = Math.Max(yRef[i], 0f);
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-4f));
        Assert.That(y.Count(v => v == 0f), Is.InRange(1, y.Length - 1));
    }

    /// <summary>
    /// The implicit weight gradient (<see cref="Conv2dImplicitWeightGrad"/>, reached through BackwardWeight) against
    /// the naive loop, accumulating into a non-zero dw: the Nature convs' geometries (threaded, several depth blocks,
    /// K = 32 with a 2-row edge tile, K = 64), K = 16 and a serial case.
    /// </summary>
    [TestCase(2, 84, 4, 32, 8, 4, 2)]   // Nature conv 1: M = 800, four depth blocks
    [TestCase(3, 20, 32, 64, 4, 2, 2)]  // Nature conv 2: runs of 128 taps, 8 panels per kernel row
    [TestCase(4, 9, 64, 64, 3, 1, 2)]    // Nature conv 3: runs of 192 taps
    [TestCase(1, 10, 8, 16, 2, 2, 1)]   // K = 16, M = 25, serial
    public void ImplicitWeightGradMatchesNaive(int batch, int h, int c, int cout, int kernel, int stride, int threads)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, h, c), kernel, kernel, cout, stride, stride,
                                      Padding.Valid);
        Assert.That(Conv2dImplicitWeightGrad.CanRun(g), Is.True);
        var rng = new System.Random(batch * 7 + cout);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(batch * h * h * c), dy = Rand(batch * g.OutPixels * cout), w = new float[g.PatchSize * cout];
        float[] dw = Rand(w.Length), dwRef = (float[])dw.Clone();
        int saved = Cpu.CpuThreads.Max;
        try
        {
            Cpu.CpuThreads.Max = threads;
            Conv2dKernels.BackwardWeight(dw, [], dy, x, g);
        }
        finally
        {
            Cpu.CpuThreads.Max = saved;
        }
        Conv2dKernels.BackwardNaive([], dwRef, [], dy, x, w, g);
        Assert.That(dw, Is.EqualTo(dwRef).AsCollection.Within(2e-3f));
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
        var rng = new System.Random(batch * 13 + cout + c);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(batch * h * w * c), wt = Rand(g.PatchSize * cout), bias = withBias ? Rand(cout) : [];
        float[] y = Rand(batch * g.OutPixels * cout), yRef = new float[y.Length];
        WithThreads(threads, () => Conv2dKernels.Forward(y, x, wt, bias, g, relu: relu));
        Conv2dKernels.ForwardNaive(yRef, x, wt, bias, g);
        if (relu)
        {
            for (int i = 0; i < yRef.Length; i++) yRef[i] = Math.Max(yRef[i], 0f);
        }
        Assert.That(y, Is.EqualTo(yRef).AsCollection.Within(1e-4f));
    }

    /// <summary>
    /// The direct few-channel weight gradient (<see cref="Conv2dSmallChannelWeightGrad"/>, reached through
    /// BackwardWeight) against the naive loop, accumulating into a non-zero dw, with the bias gradient beside it:
    /// IMPALA's first conv (SAME, threaded), strides with asymmetric pads, taps that fall wholly in the padding, one
    /// channel, K = 32.
    /// </summary>
    [TestCase(8, 30, 30, 4, 3, 3, 16, 1, 1, 1, 1, 1, 1, 2)] // IMPALA conv 0 pattern: 3×3 SAME, 2 threads
    [TestCase(2, 11, 9, 6, 3, 2, 16, 2, 3, 1, 2, 0, 1, 1)]  // C = 6 (four + two), strides 2×3, uneven pads, serial
    [TestCase(1, 4, 2, 2, 3, 3, 32, 1, 1, 3, 0, 0, 2, 1)]   // taps wholly in the pads (3 rows above, 2 columns right)
    [TestCase(3, 10, 10, 1, 2, 2, 32, 3, 3, 0, 0, 0, 0, 2)] // one channel, VALID (implicit path needs KW·C % 16 = 0)
    public void SmallChannelWeightGradMatchesNaive(int batch, int h, int w, int c, int kh, int kw, int cout, int sh,
                                                   int sw, int top, int bottom, int left, int right, int threads)
    {
        var g = Conv2dGeometry.Create("test", new Shape(batch, h, w, c), kh, kw, cout, sh, sw,
                                      Padding.Explicit(top, bottom, left, right));
        Assert.That(Conv2dImplicitWeightGrad.CanRun(g), Is.False);
        Assert.That(Conv2dSmallChannelWeightGrad.CanRun(g), Is.True);
        var rng = new System.Random(batch * 11 + cout + c);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] x = Rand(batch * h * w * c), dy = Rand(batch * g.OutPixels * cout), wt = new float[g.PatchSize * cout];
        float[] dw = Rand(wt.Length), dwRef = (float[])dw.Clone(), db = Rand(cout), dbRef = (float[])db.Clone();
        WithThreads(threads, () => Conv2dKernels.BackwardWeight(dw, db, dy, x, g));
        Conv2dKernels.BackwardNaive([], dwRef, dbRef, dy, x, wt, g);
        Assert.That(dw, Is.EqualTo(dwRef).AsCollection.Within(2e-3f));
        Assert.That(db, Is.EqualTo(dbRef).AsCollection.Within(2e-3f));
    }

    [Test]
    public void ImplicitWeightGradDeclinesPaddedWideOrUnalignedConvs()
    {
        static bool Can(Shape s, int k, int cout, Padding p) =>
            Conv2dImplicitWeightGrad.CanRun(Conv2dGeometry.Create("t", s, k, k, cout, 1, 1, p));
        var shape = new Shape(2, 20, 20, 16);
        Assert.That(Can(shape, 3, 16, Padding.Symmetric(1)), Is.False);       // padded
        Assert.That(Can(shape, 2, 80, Padding.Valid), Is.False);              // Cout above the swapped layout
        Assert.That(Can(new Shape(2, 9, 9, 4), 3, 16, Padding.Valid), Is.False); // runs of 12 taps
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

    /// <summary>Runs <paramref name="body"/> with CpuThreads.Max set to <paramref name="threads"/>.</summary>
    private static void WithThreads(int threads, Action body)
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
