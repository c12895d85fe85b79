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
}
