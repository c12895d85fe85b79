using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>The row-blocked MLP kernel against a naive double-precision reference, at both register widths.</summary>
[NonParallelizable] // switches the process-wide vector width and thread count
public class MlpKernelsTests(bool wide) : VectorWidthFixture(wide)
{
    /// <summary>
    /// Row counts below, at and past the block (several blocks, a partial last one, a block smaller than a GEMM tile);
    /// weights and biases batched or shared; one thread and several.
    /// </summary>
    [TestCase(3, 1, 1, 7, 5, 9, 4, 1)]
    [TestCase(3, 3, 3, 700, 16, 96, 16, 1)]
    [TestCase(2, 1, 2, 343, 16, 96, 16, 2)]
    [TestCase(1, 2, 1, 1030, 8, 64, 6, 2)]
    [TestCase(4, 4, 4, 800, 16, 512, 16, 1)]
    public void Batched_MatchesTheNaiveMlp(int batchX, int batchW, int batchBias, int m, int k, int h, int n, int threads)
    {
        int batch = Math.Max(batchX, batchW);
        var rng = new Rng(7);
        float[] R(int count) => [.. Enumerable.Range(0, count).Select(_ => rng.NextFloat() * 2f - 1f)];
        float[] x = R(batchX * m * k), w1 = R(batchW * k * h), b1 = R(batchBias * h), w2 = R(batchW * h * n), b2 = R(batchBias * n);
        var y = new float[batch * m * n];
        int saved = CpuThreads.Max;
        try
        {
            CpuThreads.Max = threads;
            MlpKernels.Batched(y, x, w1, b1, w2, b2, batchX, batchW, batchBias, batchBias, m, k, h, n);
        }
        finally
        {
            CpuThreads.Max = saved;
        }
        var hidden = new double[h];
        for (int i = 0; i < batch; i++)
        {
            int ox = batchX == 1 ? 0 : i * m * k, ow = batchW == 1 ? 0 : i, ob = batchBias == 1 ? 0 : i;
            for (int r = 0; r < m; r++)
            {
                for (int j = 0; j < h; j++)
                {
                    double s = b1[ob * h + j];
                    for (int p = 0; p < k; p++) s += (double)x[ox + r * k + p] * w1[ow * k * h + p * h + j];
                    hidden[j] = Math.Max(s, 0);
                }
                for (int c = 0; c < n; c++)
                {
                    double s = b2[ob * n + c];
                    for (int j = 0; j < h; j++) s += hidden[j] * w2[ow * h * n + j * n + c];
                    float got = y[(i * m + r) * n + c];
                    Assert.That(got, Is.EqualTo(s).Within(1e-4 * (1 + Math.Abs(s))), $"y[{i}, {r}, {c}]");
                }
            }
        }
    }

    [Test]
    public void BlockRows_IsAWholeNumberOfGemmTiles_AndKeepsTheHiddenBlockSmall()
    {
        foreach (int h in new[] { 1, 16, 96, 512, 2048, 100_000 })
        {
            int rows = MlpKernels.BlockRows(h);
            Assert.That(rows % 6, Is.EqualTo(0), $"h = {h}");
            Assert.That(rows * h <= MlpKernels.BlockFloats || rows == 6, $"h = {h}: {rows} rows");
        }
    }
}
