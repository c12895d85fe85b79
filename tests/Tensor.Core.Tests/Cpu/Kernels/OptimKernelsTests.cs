using MoeScratch.Tensors.Cpu.Kernels;
using Cpu = MoeScratch.Tensors.Cpu;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// The vectorized (and, for large tensors, thread-split) Adam update against its scalar reference: bitwise equal,
/// with and without weight decay, at both vector widths.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class OptimKernelsTests(bool wide) : VectorWidthFixture(wide)
{
    [TestCase(37, 0f, 1)]
    [TestCase(64, 0.01f, 1)]
    [TestCase(5, 0f, 1)]
    [TestCase(OptimKernels.ParallelMinAdam + 13, 0.01f, 2)]
    public void AdamMatchesNaiveBitwise(int n, float wd, int threads)
    {
        int saved = Cpu.CpuThreads.Max;
        Cpu.CpuThreads.Max = threads;
        try
        {
            Check(n, wd);
        }
        finally
        {
            Cpu.CpuThreads.Max = saved;
        }
    }

    private static void Check(int n, float wd)
    {
        var rng = new System.Random(n);
        float[] R() => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] p = R(), m = R(), v = R().Select(Math.Abs).ToArray(), g = R();
        float[] p2 = (float[])p.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();
        for (int step = 1; step <= 3; step++)
        {
            float c1 = 1f - MathF.Pow(0.9f, step), c2 = 1f - MathF.Pow(0.999f, step);
            OptimKernels.Adam(p, m, v, g, 6.25e-5f, 0.9f, 0.999f, 1.5e-4f, c1, c2, wd);
            OptimKernels.AdamNaive(p2, m2, v2, g, 6.25e-5f, 0.9f, 0.999f, 1.5e-4f, c1, c2, wd);
        }
        Assert.That(p, Is.EqualTo(p2).AsCollection);
        Assert.That(m, Is.EqualTo(m2).AsCollection);
        Assert.That(v, Is.EqualTo(v2).AsCollection);
    }
}
