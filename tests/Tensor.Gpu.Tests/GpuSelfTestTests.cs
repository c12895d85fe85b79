using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>The console self-test passes on the CPU accelerator (its output is printed for the log).</summary>
[NonParallelizable]
public sealed class GpuSelfTestTests
{
    [Test]
    public void SelfTest_PassesOnTheCpuAccelerator()
    {
        var output = new StringWriter();
        var results = GpuSelfTest.Run(output, SharedBackends.CpuAccelerator, small: true);
        Assert.That(results, Is.Not.Empty);
        Assert.That(results.Where(r => !r.Passed).Select(r => r.Family), Is.Empty, output.ToString());
        Assert.That(output.ToString(), Does.Contain("PASS"));
        TestContext.Out.Write(output.ToString());
    }
}
