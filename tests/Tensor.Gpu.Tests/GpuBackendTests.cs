using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>Backend factories: the missing-CUDA message and the MOESCRATCH_GPU switch.</summary>
[NonParallelizable]
public sealed class GpuBackendTests
{
    [Test]
    public void CreateCuda_WithoutDevice_ExplainsWhatIlgpuSees()
    {
        if (SharedBackends.Cuda is not null) Assert.Ignore("a CUDA device is present");
        var e = Assert.Throws<InvalidOperationException>(() => GpuBackend.CreateCuda());
        Assert.That(e!.Message, Does.Contain("no CUDA device").And.Contain("CPU").And.Contain("CreateCpuAccelerator"));
        Assert.That(GpuBackend.TryCreateCuda(), Is.Null);
    }

    [Test]
    public void CreateDefault_HonoursMoeScratchGpu()
    {
        string? saved = Environment.GetEnvironmentVariable("MOESCRATCH_GPU");
        try
        {
            Environment.SetEnvironmentVariable("MOESCRATCH_GPU", "cpu");
            using (var b = GpuBackend.CreateDefault()) Assert.That(b.IsCpuAccelerator, Is.True);
            Environment.SetEnvironmentVariable("MOESCRATCH_GPU", "tpu");
            Assert.That(() => GpuBackend.CreateDefault(), Throws.ArgumentException.With.Message.Contains("MOESCRATCH_GPU"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOESCRATCH_GPU", saved);
        }
    }
}
