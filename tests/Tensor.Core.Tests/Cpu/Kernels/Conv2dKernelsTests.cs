using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>The register-resident bias helpers of <see cref="Conv2dKernels"/> against plain loops.</summary>
public class Conv2dKernelsTests
{
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
