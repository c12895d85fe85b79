using MoeScratch.Tensors.Cpu.Kernels;
using Cpu = MoeScratch.Tensors.Cpu;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// The register-resident bias helpers of <see cref="Conv2dKernels"/> against plain loops, and the image-parallel
/// im2col/col2im path (large enough to fork) against the naive convolution on 2 threads.
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
}
