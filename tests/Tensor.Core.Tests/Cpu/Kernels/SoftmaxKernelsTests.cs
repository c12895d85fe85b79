using MoeScratch.Tensors.Cpu.Kernels;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// The softmax kernels against double-precision references, forward and backward, at both vector widths: rows and
/// column strips whose length is a multiple of the vector width, and lengths that end in an overlapping vector (Soft
/// MoE's [32, 100, 100] on MinAtar), with lengths below one vector taking the scalar and transposed paths.
/// </summary>
[NonParallelizable] // switches the process-wide vector width
public class SoftmaxKernelsTests(bool wide) : VectorWidthFixture(wide)
{
    private static readonly (int O, int N, int I)[] Shapes =
    [
        (51, 5, 1), (3, 17, 5), (1, 51, 5), (2, 5, 40), (3, 1, 33), (4, 70, 1), (32, 49, 8), (1568, 8, 1), (3, 7, 16),
        (2, 3, 256), (2, 5, 264), (4, 1, 8), (5, 8, 1), (6, 9, 1), (6, 15, 1), (6, 16, 1), (6, 17, 1), (4, 33, 1),
        (3, 4, 9), (3, 4, 15), (3, 4, 17), (3, 6, 31), (4, 100, 100), (2, 100, 1), (3, 1, 100),
    ];

    [Test]
    public void Forward_MatchesNaive([Values(false, true)] bool log)
    {
        foreach (var (o, n, i) in Shapes)
        {
            var x = GradCheck.RandomInputs(8, [o, n, i])[0].ToArray();
            var fast = new float[x.Length];
            var naive = new float[x.Length];
            SoftmaxKernels.Forward(fast, x, o, n, i, log);
            SoftmaxKernels.ForwardNaive(naive, x, o, n, i, log);
            GradCheck.AssertClose($"softmax kernel log={log} [{o}, {n}, {i}]", naive, fast, 1e-5f);
        }
    }

    /// <summary>
    /// Both softmaxes in one kernel against the naive single-axis ones: blocks whose columns take whole vectors, an
    /// overlapping last vector, fewer than one vector (the single-axis path), and blocks whose range rules out the
    /// shared exp (one row 40 above the rest, one column 40 below): each block takes its own path.
    /// </summary>
    [TestCase(4, 100, 100, 0f)]
    [TestCase(3, 7, 16, 0f)]
    [TestCase(2, 9, 21, 0f)]
    [TestCase(3, 5, 7, 0f)]
    [TestCase(2, 30, 33, 40f)]
    [TestCase(3, 12, 100, -40f)]
    public void ForwardPair_MatchesBothNaiveSoftmaxes(int batch, int m, int n, float shift)
    {
        var x = GradCheck.RandomInputs(13, [batch, m, n])[0].ToArray();
        for (int i = 0; i < x.Length; i++) x[i] *= 3f;
        if (shift > 0) for (int j = 0; j < n; j++) x[2 * n + j] += shift;       // block 0: a row far above the rest
        if (shift < 0) for (int r = 0; r < m; r++) x[(m + r) * n + 1] += shift; // block 1: a column far below
        float[] cols = new float[x.Length], rows = new float[x.Length], wantCols = new float[x.Length], wantRows = new float[x.Length];
        SoftmaxKernels.ForwardPair(cols, rows, x, batch, m, n);
        SoftmaxKernels.ForwardNaive(wantCols, x, batch, m, n, false);
        SoftmaxKernels.ForwardNaive(wantRows, x, batch * m, n, 1, false);
        GradCheck.AssertClose($"pair over columns [{batch}, {m}, {n}] shift {shift}", wantCols, cols, 1e-5f);
        GradCheck.AssertClose($"pair over rows [{batch}, {m}, {n}] shift {shift}", wantRows, rows, 1e-5f);
        Assert.That(cols.Min(), Is.GreaterThanOrEqualTo(0f), "no negative weights");
    }

    /// <summary>
    /// A NaN or +∞ in a block leaves it to the single-axis kernels, with their NaN rows and columns, exactly (one block:
    /// a clean block beside it would take the shared exp and differ by rounding). A −∞ logit is a weight of 0 in both.
    /// </summary>
    [Test]
    public void ForwardPair_NaNAndInfinity_AsTheSingleAxisKernels()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var x = GradCheck.RandomInputs(17, [1, 20, 40])[0].ToArray();
            x[5 * 40 + 7] = bad;
            float[] cols = new float[x.Length], rows = new float[x.Length], wantCols = new float[x.Length], wantRows = new float[x.Length];
            SoftmaxKernels.ForwardPair(cols, rows, x, 1, 20, 40);
            SoftmaxKernels.Forward(wantCols, x, 1, 20, 40, false);
            SoftmaxKernels.Forward(wantRows, x, 20, 40, 1, false);
            if (float.IsNegativeInfinity(bad))
            {
                GradCheck.AssertClose("over columns, -inf", wantCols, cols, 1e-5f);
                GradCheck.AssertClose("over rows, -inf", wantRows, rows, 1e-5f);
                Assert.That((cols[5 * 40 + 7], rows[5 * 40 + 7]), Is.EqualTo((0f, 0f)), "-inf weighs 0");
                continue;
            }
            Assert.That(cols, Is.EqualTo(wantCols).AsCollection, $"over columns, {bad}");
            Assert.That(rows, Is.EqualTo(wantRows).AsCollection, $"over rows, {bad}");
            Assert.That(cols.Count(float.IsNaN), Is.GreaterThan(0), $"{bad}: NaN reaches the output");
        }
    }

    [Test]
    public void Forward_ANaNInput_MakesItsRowAndColumnNaN([Values(false, true)] bool log)
    {
        foreach (var (o, n, i) in new[] { (2, 37, 1), (2, 9, 21) })
        {
            var x = GradCheck.RandomInputs(11, [o, n, i])[0].ToArray();
            int at = (n / 2) * i + i / 2; // (o = 0, j = n/2, inner i/2)
            x[at] = float.NaN;
            var y = new float[x.Length];
            SoftmaxKernels.Forward(y, x, o, n, i, log);
            for (int j = 0; j < n; j++)
            {
                Assert.That(float.IsNaN(y[j * i + i / 2]), Is.True, $"[{o}, {n}, {i}] log={log}: element {j} of the NaN's fibre");
            }
            Assert.That(y.Skip(n * i).All(float.IsFinite), Is.True, "the other block stays finite");
        }
    }

    [Test]
    public void Backward_AccumulatesTheNaiveGradient([Values(false, true)] bool log)
    {
        foreach (var (o, n, i) in Shapes)
        {
            var inputs = GradCheck.RandomInputs(10, [o, n, i], [o, n, i], [o, n, i]);
            var x = inputs[0].ToArray();
            var dy = inputs[1].ToArray();
            var start = inputs[2].ToArray(); // dx is accumulated into
            var y = new float[x.Length];
            SoftmaxKernels.ForwardNaive(y, x, o, n, i, log);
            var dx = (float[])start.Clone();
            SoftmaxKernels.Backward(dx, dy, y, o, n, i, log);
            GradCheck.AssertClose($"softmax backward log={log} [{o}, {n}, {i}]", NaiveBackward(start, dy, y, o, n, i, log), dx, 1e-5f);
        }
    }

    [Test]
    public void Backward_Overwriting_IgnoresWhatDxHeld([Values(false, true)] bool log)
    {
        foreach (var (o, n, i) in Shapes)
        {
            var inputs = GradCheck.RandomInputs(12, [o, n, i], [o, n, i]);
            var x = inputs[0].ToArray();
            var dy = inputs[1].ToArray();
            var y = new float[x.Length];
            SoftmaxKernels.ForwardNaive(y, x, o, n, i, log);
            var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray(); // a pooled buffer may hold anything
            SoftmaxKernels.Backward(dx, dy, y, o, n, i, log, accumulate: false);
            GradCheck.AssertClose($"softmax backward into log={log} [{o}, {n}, {i}]",
                                  NaiveBackward(new float[x.Length], dy, y, o, n, i, log), dx, 1e-5f);
        }
    }

    /// <summary>start + the backward along N, per fibre in double: y·(dy − Σ dy·y), or dy − exp(y)·Σ dy for log.</summary>
    private static float[] NaiveBackward(float[] start, float[] dy, float[] y, int outer, int n, int inner, bool log)
    {
        var dx = (float[])start.Clone();
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++)
                {
                    int p = (o * n + j) * inner + i;
                    s += log ? dy[p] : (double)dy[p] * y[p];
                }
                for (int j = 0; j < n; j++)
                {
                    int p = (o * n + j) * inner + i;
                    dx[p] = (float)(start[p] + (log ? dy[p] - Math.Exp(y[p]) * s : y[p] * (dy[p] - s)));
                }
            }
        }
        return dx;
    }
}
