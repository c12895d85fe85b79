using ILGPU.Runtime.Cuda;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>
/// Hopper codegen without a GPU: every kernel the suites load is compiled by ILGPU's PTX backend for sm_90.
/// This proves ILGPU 1.5.3 generates PTX for them; running it needs a device (the ...OnCuda suites).
/// </summary>
[NonParallelizable]
public sealed class PtxCompileCheckTests
{
    [Test]
    public void EveryKernel_CompilesToPtx_ForSm90()
    {
        var results = PtxCompileCheck.CompileAllKernels(CudaArchitecture.SM_90, CudaInstructionSet.ISA_80);
        TestContext.Out.WriteLine(string.Join("\n", results.Select(r => $"{r.Kernel}: {(r.Success ? r.Target : r.Error)}")));
        // 16 unary ops × 2 + 9 binary × 2 + 3 reductions × 2 + the non-generic kernels.
        Assert.That(results, Has.Count.GreaterThan(60));
        var failed = results.Where(r => !r.Success).Select(r => $"{r.Kernel}: {r.Error}").ToList();
        Assert.That(failed, Is.Empty);
        Assert.That(results.All(r => r.PtxLength > 0 && r.Target is not null), Is.True);
    }

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

    [Test]
    public void CreateCuda_WithoutDevice_ExplainsWhatIlgpuSees()
    {
        if (SharedBackends.Cuda is not null) Assert.Ignore("a CUDA device is present");
        var e = Assert.Throws<InvalidOperationException>(() => GpuBackend.CreateCuda());
        Assert.That(e!.Message, Does.Contain("no CUDA device").And.Contain("CPU").And.Contain("CreateCpuAccelerator"));
        Assert.That(GpuBackend.TryCreateCuda(), Is.Null);
    }
}
