using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>Disposes the shared backends after every test in the assembly has run.</summary>
[SetUpFixture]
public sealed class GpuTestSetup
{
    [OneTimeTearDown]
    public void DisposeBackends() => SharedBackends.DisposeAll();
}
