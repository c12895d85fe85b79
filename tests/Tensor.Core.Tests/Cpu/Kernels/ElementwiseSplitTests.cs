using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// <see cref="ElementwiseSplit"/> through the CPU backend: unary, binary and unary-backward results over a size that
/// splits across two workers (odd, not a multiple of a vector) are bitwise the single-range kernel's, in place too;
/// zeroed allocation, fill and copy cover every element.
/// </summary>
[NonParallelizable] // changes the process-wide CpuThreads.Max
public class ElementwiseSplitTests
{
    private const int N = ElementwiseSplit.ParallelMinElements * 2 + 13;

    private static float[] Rand(int seed)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, N).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
    }

    private static Tensor T(float[] v) => Tensor.FromArray(v, new Shape(N));

    private static void OnTwoThreads(Action body)
    {
        int saved = CpuThreads.Max;
        try
        {
            CpuThreads.Max = 2;
            body();
        }
        finally
        {
            CpuThreads.Max = saved;
        }
    }

    /// <summary>
    /// Byte uploads split from <see cref="ElementwiseSplit.BytesMinElements"/> (a batch-1 frame stack, an odd size past
    /// the threshold, one just below it): every element is k/255 exactly as the single-range conversion gives it.
    /// </summary>
    [TestCase(4 * 84 * 84)]
    [TestCase(ElementwiseSplit.BytesMinElements + 37)]
    [TestCase(ElementwiseSplit.BytesMinElements - 1)]
    public void ByteUploadMatchesTheWholeRangeConversion(int n)
    {
        var rng = new System.Random(n);
        byte[] bytes = new byte[n];
        rng.NextBytes(bytes);
        float[] expected = new float[n];
        ElementwiseKernels.BytesToFloat(expected, bytes, 1f / 255f);
        Tensor? t = null;
        OnTwoThreads(() => t = Tensor.FromBytes(bytes, new Shape(n)));
        Assert.That(t!.ToArray(), Is.EqualTo(expected).AsCollection);
    }

    [TestCase(UnaryOp.Relu)]
    [TestCase(UnaryOp.Exp)]
    [TestCase(UnaryOp.Tanh)]
    public void UnaryAndItsGradientMatchTheWholeRangeKernel(UnaryOp op)
    {
        float[] x = Rand(1), dy = Rand(2), dx0 = Rand(3);
        float[] y = new float[N], yRef = new float[N];
        ElementwiseKernels.UnaryForward(op, 0f, yRef, x);
        float[] dxRef = (float[])dx0.Clone(), dxIntoRef = new float[N];
        ElementwiseKernels.UnaryBackward(op, 0f, dxRef, dy, x, yRef);
        ElementwiseKernels.UnaryBackwardInto(op, 0f, dxIntoRef, dy, x, yRef);
        Tensor ty = T(y), tx = T(x), tdy = T(dy), tdx = T((float[])dx0.Clone()), tdxInto = T(new float[N]);
        OnTwoThreads(() =>
        {
            CpuBackend.Instance.Unary(op, 0f, ty, tx);
            CpuBackend.Instance.UnaryBackward(op, 0f, tdx, tdy, tx, ty);
            CpuBackend.Instance.UnaryBackwardInto(op, 0f, tdxInto, tdy, tx, ty);
        });
        Assert.That(ty.ToArray(), Is.EqualTo(yRef).AsCollection);
        Assert.That(tdx.ToArray(), Is.EqualTo(dxRef).AsCollection);
        Assert.That(tdxInto.ToArray(), Is.EqualTo(dxIntoRef).AsCollection);
    }

    [TestCase(BinaryOp.Add)]
    [TestCase(BinaryOp.Mul)]
    [TestCase(BinaryOp.Div)]
    public void SameShapeBinaryMatchesTheWholeRangeKernel_InPlaceToo(BinaryOp op)
    {
        float[] a = Rand(4), b = Rand(5), yRef = new float[N];
        ElementwiseKernels.BinaryRow(op, yRef, a, 1, b, 1);
        Tensor ta = T(a), tb = T(b), ty = T(new float[N]);
        OnTwoThreads(() =>
        {
            CpuBackend.Instance.Binary(op, ty, ta, tb);
            CpuBackend.Instance.Binary(op, ta, ta, tb); // y aliases a, as a gradient accumulation does
        });
        Assert.That(ty.ToArray(), Is.EqualTo(yRef).AsCollection);
        Assert.That(ta.ToArray(), Is.EqualTo(yRef).AsCollection);
    }

    [Test]
    public void ZeroedAllocationFillAndCopyCoverEveryElement()
    {
        float[] src = Rand(6);
        float[]? zeros = null, filled = null, copied = null;
        OnTwoThreads(() =>
        {
            // A recycled array full of junk must come back all zeros.
            using (var junk = Tensor.FromArray(src, new Shape(N))) { }
            using var z = Tensor.Zeros(new Shape(N));
            zeros = z.ToArray();
            using var f = Tensor.FromArray(src, new Shape(N));
            CpuBackend.Instance.Fill(f, 2.5f);
            filled = f.ToArray();
            using var c = Tensor.Zeros(new Shape(N));
            using var s = Tensor.FromArray(src, new Shape(N));
            CpuBackend.Instance.Copy(c, s);
            copied = c.ToArray();
        });
        Assert.That(zeros, Is.All.EqualTo(0f));
        Assert.That(filled, Is.All.EqualTo(2.5f));
        Assert.That(copied, Is.EqualTo(src).AsCollection);
    }
}
