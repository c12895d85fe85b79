using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu.Kernels;
using MoeScratch.Tensors.Gpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>sgemm-*</c>: C[M×N] = A[M×K] · B[K×N], contiguous row-major float32, the anchors' torch.mm shapes.
/// Glossary: M, K, N as in the anchors' "(M,K,N)"; GFLOP/s = 2MNK / time.
/// </summary>
/// <remarks>
/// On the CPU it calls the kernel (<see cref="MatMulKernels.Gemm"/>) directly with C allocated once in
/// <see cref="Setup"/> and reused (torch.mm allocates per call; at these sizes its allocator cost is small next to the
/// math, and reusing keeps GC noise out of the kernel number). Threads come from <c>CpuThreads.Max</c>, set by the
/// runner. On a device it launches the backend's tiled GEMM on device-resident A, B, C and waits for it.
/// With <c>--smoke</c> every dimension is divided by 128 (at least 4).
/// </remarks>
public abstract class SgemmWorkload : IQuickWorkload
{
    private readonly int m0, k0, n0;
    private int m, k, n;
    private float[] a = [], b = [], c = [];
    private GpuBackend? gpu;
    private Tensor? da, db, dc;

    /// <summary>Shape (M, K, N).</summary>
    protected SgemmWorkload(string name, int m, int k, int n)
    {
        Name = name;
        (m0, k0, n0) = (m, k, n);
        (this.m, this.k, this.n) = (m, k, n);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double? Flops => 2.0 * m * n * k;

    /// <inheritdoc/>
    public bool RunsOnGpu => true;

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        static int Smoke(int d) => Math.Max(4, d / 128);
        (m, k, n) = setup.Smoke ? (Smoke(m0), Smoke(k0), Smoke(n0)) : (m0, k0, n0);
        var rng = new Random(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        gpu = setup.Gpu;
        if (gpu is null) return;
        da = Tensor.FromArray(a, new Shape(m, k), gpu);
        db = Tensor.FromArray(b, new Shape(k, n), gpu);
        dc = Tensor.Zeros(new Shape(m, n), gpu);
    }

    /// <inheritdoc/>
    public void Run()
    {
        if (gpu is null)
        {
            MatMulKernels.Gemm(false, false, m, n, k, a, k, b, n, c, n, accumulate: false);
            return;
        }
        gpu.MatMul(dc!, da!, false, db!, false, 1, 1, 1, m, n, k, accumulate: false);
        gpu.Synchronize(); // the launch returns at once; the sample must include the kernel
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) => "";
}

/// <summary>The DQN Linear 3136→512 at batch 32.</summary>
public sealed class Sgemm32x3136x512 : SgemmWorkload
{
    /// <summary>(M, K, N) = (32, 3136, 512).</summary>
    public Sgemm32x3136x512() : base("sgemm-32x3136x512", 32, 3136, 512) { }
}

/// <summary>Square 256³.</summary>
public sealed class Sgemm256 : SgemmWorkload
{
    /// <summary>(M, K, N) = (256, 256, 256).</summary>
    public Sgemm256() : base("sgemm-256", 256, 256, 256) { }
}

/// <summary>Square 512³.</summary>
public sealed class Sgemm512 : SgemmWorkload
{
    /// <summary>(M, K, N) = (512, 512, 512).</summary>
    public Sgemm512() : base("sgemm-512", 512, 512, 512) { }
}

/// <summary>Square 1024³.</summary>
public sealed class Sgemm1024 : SgemmWorkload
{
    /// <summary>(M, K, N) = (1024, 1024, 1024).</summary>
    public Sgemm1024() : base("sgemm-1024", 1024, 1024, 1024) { }
}

/// <summary>Square 2048³.</summary>
public sealed class Sgemm2048 : SgemmWorkload
{
    /// <summary>(M, K, N) = (2048, 2048, 2048).</summary>
    public Sgemm2048() : base("sgemm-2048", 2048, 2048, 2048) { }
}
