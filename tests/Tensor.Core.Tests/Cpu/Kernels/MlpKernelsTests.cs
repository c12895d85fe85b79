using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>The row-blocked MLP kernel against a naive double-precision reference, at both register widths.</summary>
[NonParallelizable] // switches the process-wide vector width and thread count
public class MlpKernelsTests(bool wide) : VectorWidthFixture(wide)
{
    /// <summary>
    /// Row counts below, at and past the block (several blocks, a partial last one, a block smaller than a GEMM tile);
    /// weights and biases batched or shared; one thread and several; a hidden layer wider than one chunk.
    /// </summary>
    [TestCase(3, 1, 1, 7, 5, 9, 4, 1)]
    [TestCase(3, 3, 3, 700, 16, 96, 16, 1)]
    [TestCase(2, 1, 2, 343, 16, 96, 16, 2)]
    [TestCase(1, 2, 1, 1030, 8, 64, 6, 2)]
    [TestCase(4, 4, 4, 800, 16, 512, 16, 1)]
    [TestCase(2, 2, 1, 130, 16, 1100, 16, 2)] // hidden chunks of 512, 512 and 76
    public void Batched_MatchesTheNaiveMlp(int batchX, int batchW, int batchBias, int m, int k, int h, int n, int threads)
    {
        int batch = Math.Max(batchX, batchW);
        var rng = new Rng(7);
        float[] R(int count) => [.. Enumerable.Range(0, count).Select(_ => rng.NextFloat() * 2f - 1f)];
        float[] x = R(batchX * m * k), w1 = R(batchW * k * h), b1 = R(batchBias * h), w2 = R(batchW * h * n), b2 = R(batchBias * n);
        var y = new float[batch * m * n];
        WithThreads(threads, () => MlpKernels.Batched(y, x, w1, b1, w2, b2, batchX, batchW, batchBias, batchBias, m, k, h, n));
        var hidden = new double[h];
        for (int i = 0; i < batch; i++)
        {
            int ox = batchX == 1 ? 0 : i * m * k, ow = batchW == 1 ? 0 : i, ob = batchBias == 1 ? 0 : i;
            for (int r = 0; r < m; r++)
            {
                NaiveHidden(hidden, x, w1, b1, ox + r * k, ow * k * h, ob * h, k, h);
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

    /// <summary>
    /// The blocked backward against naive double-precision gradients: row counts below and past a block (a partial last
    /// one), x, weights and biases batched or shared (a shared x sums its gradient over the products), one thread and
    /// several, every gradient or only some, hidden layers wider than one chunk. Entries start as NaN: each wanted
    /// gradient must be written, not added to.
    /// </summary>
    [TestCase(3, 1, 1, 7, 5, 9, 4, 1, "xw1b1w2b2")]
    [TestCase(3, 3, 3, 700, 16, 96, 16, 2, "xw1b1w2b2")]
    [TestCase(1, 2, 1, 343, 16, 96, 16, 2, "xw1b1w2b2")]
    [TestCase(2, 1, 2, 130, 8, 64, 6, 1, "xw1b1w2b2")]
    [TestCase(4, 4, 4, 800, 16, 512, 16, 2, "xw1b1w2b2")]
    [TestCase(2, 2, 2, 101, 16, 40, 16, 1, "w2b2")]
    [TestCase(2, 2, 1, 101, 16, 40, 16, 2, "xb1")]
    [TestCase(2, 1, 2, 101, 8, 1100, 6, 1, "xw1b1w2b2")] // hidden chunks of 512, 512 and 76
    [TestCase(1, 2, 1, 50, 16, 1030, 16, 2, "xw1b1w2b2")]
    public void Backward_MatchesTheNaiveGradients(int batchX, int batchW, int batchBias, int m, int k, int h, int n,
                                                 int threads, string wanted)
    {
        int batch = Math.Max(batchX, batchW);
        var rng = new Rng(9);
        float[] R(int count) => [.. Enumerable.Range(0, count).Select(_ => rng.NextFloat() * 2f - 1f)];
        float[] x = R(batchX * m * k), w1 = R(batchW * k * h), b1 = R(batchBias * h), w2 = R(batchW * h * n);
        float[] dy = R(batch * m * n);
        float[] Target(string name, int count) => wanted.Contains(name, StringComparison.Ordinal)
            ? [.. Enumerable.Repeat(float.NaN, count)] : [];
        float[] dx = Target("x", batchX * m * k), dw1 = Target("w1", batchW * k * h), db1 = Target("b1", batchBias * h);
        float[] dw2 = Target("w2", batchW * h * n), db2 = Target("b2", batchBias * n);
        WithThreads(threads, () => MlpKernels.Backward(dy, x, w1, b1, w2, dx, dw1, db1, dw2, db2, batchX, batchW, batchBias,
                                                       batchBias, m, k, h, n));

        double[] rx = new double[dx.Length], rw1 = new double[dw1.Length], rb1 = new double[db1.Length];
        double[] rw2 = new double[dw2.Length], rb2 = new double[db2.Length];
        var a = new double[h];
        var dz = new double[h];
        for (int i = 0; i < batch; i++)
        {
            int ox = batchX == 1 ? 0 : i * m * k, ow = batchW == 1 ? 0 : i, ob = batchBias == 1 ? 0 : i;
            for (int r = 0; r < m; r++)
            {
                NaiveHidden(a, x, w1, b1, ox + r * k, ow * k * h, ob * h, k, h);
                for (int j = 0; j < h; j++)
                {
                    double s = 0;
                    for (int c = 0; c < n; c++)
                    {
                        double g = dy[(i * m + r) * n + c];
                        if (rw2.Length > 0) rw2[ow * h * n + j * n + c] += a[j] * g;
                        s += g * w2[ow * h * n + j * n + c];
                    }
                    dz[j] = a[j] > 0 ? s : 0;
                    if (rb1.Length > 0) rb1[ob * h + j] += dz[j];
                }
                for (int c = 0; c < n && rb2.Length > 0; c++) rb2[ob * n + c] += dy[(i * m + r) * n + c];
                for (int p = 0; p < k; p++)
                {
                    double s = 0;
                    for (int j = 0; j < h; j++)
                    {
                        if (rw1.Length > 0) rw1[ow * k * h + p * h + j] += x[ox + r * k + p] * dz[j];
                        s += dz[j] * w1[ow * k * h + p * h + j];
                    }
                    if (rx.Length > 0) rx[ox + r * k + p] += s;
                }
            }
        }
        void Same(string name, float[] got, double[] want)
        {
            for (int e = 0; e < want.Length; e++)
            {
                Assert.That(got[e], Is.EqualTo(want[e]).Within(1e-4 * (1 + Math.Abs(want[e])) + 1e-4), $"{name}[{e}]");
            }
        }
        Same("dx", dx, rx);
        Same("dw1", dw1, rw1);
        Same("db1", db1, rb1);
        Same("dw2", dw2, rw2);
        Same("db2", db2, rb2);
        Assert.That(dx.Length + dw1.Length + db1.Length + dw2.Length + db2.Length, Is.GreaterThan(0), "something was checked");
    }

    /// <summary>a = relu(x_row·w1 + b1) in double precision, x_row at x[xAt..], w1 at w1[wAt..], b1 at b1[bAt..].</summary>
    private static void NaiveHidden(double[] a, float[] x, float[] w1, float[] b1, int xAt, int wAt, int bAt, int k, int h)
    {
        for (int j = 0; j < h; j++)
        {
            double s = b1[bAt + j];
            for (int p = 0; p < k; p++) s += (double)x[xAt + p] * w1[wAt + p * h + j];
            a[j] = Math.Max(s, 0);
        }
    }

    /// <summary>Runs <paramref name="run"/> with CpuThreads.Max = <paramref name="threads"/>, then restores it.</summary>
    private static void WithThreads(int threads, Action run)
    {
        int saved = CpuThreads.Max;
        try
        {
            CpuThreads.Max = threads;
            run();
        }
        finally
        {
            CpuThreads.Max = saved;
        }
    }

    /// <summary>Block rows of the forward and the backward: whole GEMM tiles, a minimum, and blocks past it small.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void BlockRows_AreWholeGemmTiles_AtLeastTheMinimum_AndSmallPastIt(bool backward)
    {
        int floats = backward ? MlpKernels.BackwardBlockFloats : MlpKernels.BlockFloats;
        foreach (int h in new[] { 1, 16, 96, 512, 2048, 100_000 })
        {
            int rows = backward ? MlpKernels.BackwardBlockRows(h) : MlpKernels.BlockRows(h);
            Assert.That(rows % 6, Is.EqualTo(0), $"h = {h}");
            Assert.That(rows, Is.GreaterThanOrEqualTo(MlpKernels.MinBlockRows), $"h = {h}");
            Assert.That(rows * h <= floats || rows == MlpKernels.MinBlockRows, $"h = {h}: {rows} rows");
        }
    }
}
