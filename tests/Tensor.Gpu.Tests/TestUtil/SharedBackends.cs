namespace MoeScratch.Tensors.Gpu.Tests.TestUtil;

/// <summary>
/// One backend per accelerator kind for the whole test run: kernels are compiled once per accelerator, so
/// sharing keeps the CPU-accelerator suite fast. Disposed after the last test (see <see cref="GpuTestSetup"/>).
/// </summary>
public static class SharedBackends
{
    private static readonly Lazy<GpuBackend> s_cpu = new(GpuBackend.CreateCpuAccelerator);
    private static readonly Lazy<GpuBackend?> s_cuda = new(() => GpuBackend.TryCreateCuda());

    /// <summary>ILGPU's CPU accelerator (always available).</summary>
    public static GpuBackend CpuAccelerator => s_cpu.Value;

    /// <summary>CUDA device 0, or null without one.</summary>
    public static GpuBackend? Cuda => s_cuda.Value;

    internal static void DisposeAll()
    {
        if (s_cpu.IsValueCreated) s_cpu.Value.Dispose();
        if (s_cuda.IsValueCreated) s_cuda.Value?.Dispose();
    }
}
