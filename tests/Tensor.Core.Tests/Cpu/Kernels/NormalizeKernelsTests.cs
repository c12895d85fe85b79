using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>The fused clamped-L2 kernels against a double-precision evaluation of their formulas.</summary>
public class NormalizeKernelsTests
{
    // Contiguous rows (inner = 1) with and without a vector tail, and strided axes; one slice below the clamp.
    [TestCase(3, 64, 1)]
    [TestCase(2, 67, 1)]
    [TestCase(2, 5, 8)]
    [TestCase(1, 6, 11)]
    public void ForwardAndBackward_MatchDoubleReference(int outer, int n, int inner)
    {
        const float minSumSq = 1e-4f, eps = 1e-3f;
        var rng = new System.Random(outer * 1000 + n * 10 + inner);
        int count = outer * n * inner;
        float[] x = new float[count], dy = new float[count], y = new float[count], dx = new float[count];
        for (int i = 0; i < count; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
            dy[i] = (float)(rng.NextDouble() * 2 - 1);
            dx[i] = float.NaN; // overwritten, never read
        }
        for (int j = 0; j < n; j++) x[j * inner] = 0f; // slice (0, ·, 0) is all zero: below the clamp

        NormalizeKernels.L2ClampedForward(y, x, outer, n, inner, minSumSq, eps);
        NormalizeKernels.L2ClampedBackward(dx, dy, x, outer, n, inner, minSumSq, eps);

        for (int o = 0; o < outer; o++)
        for (int k = 0; k < inner; k++)
        {
            double s = 0, dot = 0;
            for (int j = 0; j < n; j++)
            {
                int at = (o * n + j) * inner + k;
                s += (double)x[at] * x[at];
                dot += (double)x[at] * dy[at];
            }
            double r = Math.Sqrt(Math.Max(s, minSumSq)), d = r + eps, coef = s >= minSumSq ? dot / (d * d * r) : 0;
            for (int j = 0; j < n; j++)
            {
                int at = (o * n + j) * inner + k;
                Assert.That(y[at], Is.EqualTo(x[at] / d).Within(1e-5), $"y at (o {o}, j {j}, k {k})");
                Assert.That(dx[at], Is.EqualTo(dy[at] / d - x[at] * coef).Within(1e-4), $"dx at (o {o}, j {j}, k {k})");
            }
        }
    }
}
