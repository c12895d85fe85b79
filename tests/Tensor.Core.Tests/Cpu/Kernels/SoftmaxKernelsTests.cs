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
