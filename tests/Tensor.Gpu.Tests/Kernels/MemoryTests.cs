using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>Transfers, fill/copy kernels, pooling and the disposal rules of <see cref="GpuStorage"/>.</summary>
public abstract class MemoryTests : GpuTestBase
{
    [Test]
    public void FromArray_ToArray_RoundTrips()
    {
        var data = RandomData(new Rng(1), 50);
        var t = Tensor.FromArray(data, new Shape(5, 10), Gpu);
        Assert.That(t.ToArray(), Is.EqualTo(data));
        Assert.That(t.Storage, Is.InstanceOf<GpuStorage>());
    }

    // ElementwiseKernels.BytesToFloat through the staging buffer.
    [Test]
    public void FromBytes_ScalesOnDevice()
    {
        var bytes = new byte[] { 0, 1, 128, 255, 7 };
        var t = Tensor.FromBytes(bytes, new Shape(5), backend: Gpu);
        Assert.That(t.ToArray(), Is.EqualTo(bytes.Select(b => b * (1f / 255f)).ToArray()));
        var again = Tensor.FromBytes(new byte[] { 255, 0 }, new Shape(2), scale: 2f, backend: Gpu);
        Assert.That(again.ToArray(), Is.EqualTo(new[] { 510f, 0f }));
    }

    // ElementwiseKernels.Fill, zeroing and Copy.
    [Test]
    public void Zeros_Full_To_Item_Work()
    {
        Assert.That(Tensor.Zeros(new Shape(7), Gpu).ToArray(), Is.EqualTo(new float[7]));
        Assert.That(Tensor.Full(new Shape(3), 2.5f, Gpu).ToArray(), Is.EqualTo(new[] { 2.5f, 2.5f, 2.5f }));
        var c = Tensor.Full(new Shape(2, 2), -1f, Gpu);
        var copy = c.To(Gpu);
        Assert.That(copy.ToArray(), Is.EqualTo(new[] { -1f, -1f, -1f, -1f }));
        Assert.That(Tensor.Scalar(4f, Gpu).Item(), Is.EqualTo(4f));
        Assert.That(copy.To(CpuBackend.Instance).Span.ToArray(), Is.EqualTo(c.ToArray()));
    }

    [Test]
    public void EmptyTensors_AreHarmless()
    {
        var e = Tensor.Zeros(new Shape(0, 3), Gpu);
        Assert.That(e.ToArray(), Is.Empty);
        Assert.That(Ops.Add(e, e).ToArray(), Is.Empty);
        Assert.That(Ops.Exp(e).Count, Is.Zero);
    }

    [Test]
    public void DisposedTensor_ThrowsObjectDisposed_AndItsBufferIsPooled()
    {
        long hits = Gpu.PoolHits;
        var t = Tensor.Zeros(new Shape(1234), Gpu);
        t.Dispose();
        Assert.That(() => t.ToArray(), Throws.InstanceOf<ObjectDisposedException>());
        using var again = Tensor.Zeros(new Shape(1234), Gpu);
        Assert.That(Gpu.PoolHits, Is.EqualTo(hits + 1), "the second allocation of the same length reuses the buffer");
        Assert.That(again.ToArray(), Is.EqualTo(new float[1234]), "zero-requested pooled buffers are cleared");
    }

    [Test]
    public void TensorScope_RecyclesIntermediates()
    {
        using var x = Tensor.Full(new Shape(16), 2f, Gpu);
        int live = Gpu.LiveBuffers;
        Tensor kept;
        using (var scope = TensorScope.Begin())
        {
            var y = Ops.Mul(Ops.Exp(x), x);
            kept = scope.Keep(Ops.Sum(y));
        }
        Assert.That(Gpu.LiveBuffers, Is.EqualTo(live + 1), "only the kept tensor stays alive");
        Assert.That(kept.Item(), Is.EqualTo(16 * 2 * MathF.Exp(2f)).Within(1e-2));
        kept.Dispose();
    }

    [Test]
    public void MixingBackends_ThrowsArgumentException()
    {
        using var g = Tensor.Ones(new Shape(3), Gpu);
        using var c = Tensor.Ones(new Shape(3));
        Assert.That(() => Ops.Add(g, c), Throws.ArgumentException.With.Message.Contains("different backends"));
    }

    [Test]
    public void DisposedBackend_FreesEverything_AndTensorsThrowObjectDisposed()
    {
        // A private backend of the same kind: the shared one must outlive this test.
        var own = Gpu.IsCpuAccelerator ? GpuBackend.CreateCpuAccelerator() : GpuBackend.CreateCuda();
        var t = Tensor.Ones(new Shape(4), own);
        var pooled = Tensor.Ones(new Shape(8), own);
        pooled.Dispose();
        own.Dispose();
        Assert.That(() => t.ToArray(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => Tensor.Zeros(new Shape(2), own), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => t.Dispose(), Throws.Nothing, "disposing a tensor after its backend is harmless");
        Assert.That(own.LiveBuffers, Is.Zero);
    }
}
