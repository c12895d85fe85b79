using MoeScratch.Tensors.Gpu.Tests.Kernels;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.CpuAccelerator;

// Every abstract suite on ILGPU's CPU accelerator: always runs, also in CI without a GPU.

public sealed class ElementwiseKernelsOnCpuAccelerator : ElementwiseKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class ReduceKernelsOnCpuAccelerator : ReduceKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class MatMulKernelsOnCpuAccelerator : MatMulKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class MemoryOnCpuAccelerator : MemoryTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class OptimKernelsOnCpuAccelerator : OptimKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class Conv2dKernelsOnCpuAccelerator : Conv2dKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class TrainingStepOnCpuAccelerator : TrainingStepTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class SoftmaxKernelsOnCpuAccelerator : SoftmaxKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class MovementKernelsOnCpuAccelerator : MovementKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}

public sealed class NetworkOnCpuAccelerator : NetworkTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.CpuAccelerator;
}
