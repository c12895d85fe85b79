using MoeScratch.Tensors.Gpu.Tests.Kernels;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Cuda;

// Every abstract suite on CUDA device 0; reported as ignored ("no CUDA device") when there is none.

public sealed class ElementwiseKernelsOnCuda : ElementwiseKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class ReduceKernelsOnCuda : ReduceKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class MatMulKernelsOnCuda : MatMulKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class MemoryOnCuda : MemoryTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class OptimKernelsOnCuda : OptimKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class Conv2dKernelsOnCuda : Conv2dKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class TrainingStepOnCuda : TrainingStepTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class SoftmaxKernelsOnCuda : SoftmaxKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class MovementKernelsOnCuda : MovementKernelsTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}

public sealed class NetworkOnCuda : NetworkTests
{
    protected override GpuBackend? AcquireBackend() => SharedBackends.Cuda;
}
