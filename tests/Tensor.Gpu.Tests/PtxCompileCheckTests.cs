using ILGPU.Runtime.Cuda;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>
/// Hopper codegen without a GPU: every kernel is compiled by ILGPU's PTX backend for sm_90. This proves ILGPU 1.5.3
/// generates PTX for them; running it needs a device (the ...OnCuda suites).
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
}
