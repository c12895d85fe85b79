using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// The channel-vectorized <see cref="PoolKernels.MaxForward"/> against the scalar <see cref="PoolKernels.MaxForwardNaive"/>:
/// identical values and argmax (bitwise; values also without argmax), including ties, NaN, −∞ and padded windows, for channel counts that are
/// multiples of 8 and not (overlapping tail), on 1 and 2 threads; and the gathering <see cref="PoolKernels.MaxBackward"/>
/// against the scatter <see cref="PoolKernels.MaxBackwardNaive"/> on the same windows, accumulating into a non-zero dx.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class PoolKernelsTests
{
    private static IEnumerable<TestCaseData> Cases() => Grid("MaxForward", []);

    /// <summary>The forward grid plus a stride larger than the window (pixels no window covers).</summary>
    private static IEnumerable<TestCaseData> BackwardCases() => Grid("MaxBackward", [(2, 3, 1)]);

    private static IEnumerable<TestCaseData> Grid(string name, (int K, int S, int Pad)[] extra)
    {
        foreach (int c in new[] { 8, 16, 19, 32 })
        foreach (var (k, s, pad) in new[] { (3, 2, 1), (3, 2, 0), (2, 2, 0), (3, 1, 1), (1, 1, 0) }.Concat(extra))
        foreach (int threads in new[] { 1, 2 })
        {
            yield return new TestCaseData(c, k, s, pad, threads).SetName($"{name}_c{c}_k{k}_s{s}_p{pad}_t{threads}");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void MaxForwardMatchesNaive(int c, int k, int s, int pad, int threads)
    {
        // Large batch so the 2-thread case really forks (work ≥ ParallelMinWork).
        int b = threads == 1 ? 2 : 64, h = 21, w = 20;
        var g = Conv2dGeometry.Create("test", new Shape(b, h, w, c), k, k, c, s, s, Padding.Symmetric(pad));
        var rng = new System.Random(c * 100 + k * 10 + s);
        var x = new float[b * h * w * c];
        // Values from a small set make ties common; a few NaN and −∞ exercise the special rules.
        for (int i = 0; i < x.Length; i++)
        {
            int r = rng.Next(200);
            x[i] = r == 0 ? float.NaN : r == 1 ? float.NegativeInfinity : rng.Next(5) - 2;
        }
        int n = g.Batch * g.OH * g.OW * c;
        float[] y = new float[n], a = new float[n], yRef = new float[n], aRef = new float[n], yOnly = new float[n];
        int saved = CpuThreads.Max;
        try
        {
            CpuThreads.Max = threads;
            PoolKernels.MaxForward(y, a, x, g);
            PoolKernels.MaxForward(yOnly, [], x, g); // no argmax (NoGrad): the max-only loop
        }
        finally
        {
            CpuThreads.Max = saved;
        }
        PoolKernels.MaxForwardNaive(yRef, aRef, x, g);
        Assert.That(y, Is.EqualTo(yRef).AsCollection);
        Assert.That(a, Is.EqualTo(aRef).AsCollection);
        Assert.That(yOnly, Is.EqualTo(yRef).AsCollection, "without argmax");
    }

    [TestCaseSource(nameof(BackwardCases))]
    public void MaxBackwardMatchesScatter(int c, int k, int s, int pad, int threads)
    {
        int b = threads == 1 ? 2 : 64, h = 21, w = 20;
        var g = Conv2dGeometry.Create("test", new Shape(b, h, w, c), k, k, c, s, s, Padding.Symmetric(pad));
        var rng = new System.Random(c * 100 + k * 10 + s + 7);
        var x = new float[b * h * w * c];
        // Ties are common (the first maximum wins), so several windows route to one pixel and others to none.
        for (int i = 0; i < x.Length; i++) x[i] = rng.Next(5) - 2;
        int n = g.Batch * g.OH * g.OW * c;
        float[] y = new float[n], a = new float[n], dy = new float[n];
        for (int i = 0; i < n; i++) dy[i] = (float)(rng.NextDouble() * 2 - 1);
        PoolKernels.MaxForwardNaive(y, a, x, g);
        float[] dx = new float[x.Length], dxRef = new float[x.Length];
        for (int i = 0; i < dx.Length; i++) dx[i] = dxRef[i] = rng.Next(3);
        int saved = CpuThreads.Max;
        try
        {
            CpuThreads.Max = threads;
            PoolKernels.MaxBackward(dx, dy, a, g);
        }
        finally
        {
            CpuThreads.Max = saved;
        }
        PoolKernels.MaxBackwardNaive(dxRef, dy, a, g);
        Assert.That(dx, Is.EqualTo(dxRef).AsCollection.Within(1e-5f));
    }
}
