using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>Vectorized elementwise kernels against their scalar definitions (bitwise: same operations, same order).</summary>
public class ElementwiseKernelsTests
{
    [TestCase(1)]
    [TestCase(31)]
    [TestCase(32)]
    [TestCase(100)]
    public void BytesToFloatMatchesScalar(int n)
    {
        var x = new byte[n];
        new System.Random(n).NextBytes(x);
        x[0] = 255;
        var y = new float[n];
        ElementwiseKernels.BytesToFloat(y, x, 1f / 255f);
        var expected = x.Select(b => b * (1f / 255f)).ToArray();
        Assert.That(y, Is.EqualTo(expected).AsCollection);
    }

    [TestCase(UnaryOp.Relu, 7)]
    [TestCase(UnaryOp.Relu, 45)]
    [TestCase(UnaryOp.Square, 7)]
    [TestCase(UnaryOp.Square, 45)]
    public void UnaryBackwardMatchesScalar(UnaryOp op, int n)
    {
        var rng = new System.Random(n);
        float[] x = new float[n], dy = new float[n], dx = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i % 5 == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1);
            dy[i] = (float)(rng.NextDouble() * 2 - 1);
            dx[i] = (float)rng.NextDouble();
        }
        var expected = new float[n];
        for (int i = 0; i < n; i++)
        {
            expected[i] = dx[i] + (op == UnaryOp.Relu ? (x[i] > 0 ? dy[i] : 0f) : 2f * x[i] * dy[i]);
        }
        ElementwiseKernels.UnaryBackward(op, 0f, dx, dy, x, x);
        Assert.That(dx, Is.EqualTo(expected).AsCollection);
    }

    /// <summary>The overwriting backward equals accumulating into zeros (whatever dx held before), for every op.</summary>
    [Test]
    public void UnaryBackwardIntoMatchesAccumulateIntoZeros([Values] UnaryOp op, [Values(7, 45)] int n)
    {
        var rng = new System.Random(n);
        float[] x = new float[n], y = new float[n], dy = new float[n], into = new float[n], acc = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Positive inputs (Log, Sqrt, Pow need them) with exact zeros for ReLU/Abs ties, and some negatives.
            x[i] = i % 5 == 0 ? 0.5f : (float)(rng.NextDouble() * 2 - (op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Pow ? 0 : 1));
            if (i % 7 == 0 && op is UnaryOp.Relu or UnaryOp.Abs) x[i] = 0f;
            dy[i] = (float)(rng.NextDouble() * 2 - 1);
            into[i] = float.NaN; // stale contents must not leak
        }
        ElementwiseKernels.UnaryForward(op, 1.5f, y, x);
        ElementwiseKernels.UnaryBackward(op, 1.5f, acc, dy, x, y);
        ElementwiseKernels.UnaryBackwardInto(op, 1.5f, into, dy, x, y);
        Assert.That(into, Is.EqualTo(acc).AsCollection, op.ToString());
    }
}
