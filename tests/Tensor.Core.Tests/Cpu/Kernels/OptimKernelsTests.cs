using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>The vectorized Adam update against its scalar reference: bitwise equal, with and without weight decay.</summary>
public class OptimKernelsTests
{
    [TestCase(37, 0f)]
    [TestCase(64, 0.01f)]
    [TestCase(5, 0f)]
    public void AdamMatchesNaiveBitwise(int n, float wd)
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
