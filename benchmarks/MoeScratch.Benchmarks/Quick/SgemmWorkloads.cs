using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>sgemm-*</c>: C[M×N] = A[M×K] · B[K×N], contiguous row-major float32, the anchors' torch.mm shapes.
/// Glossary: M, K, N as in the anchors' "(M,K,N)"; GFLOP/s = 2MNK / time.
/// </summary>
/// <remarks>
/// Calls the kernel (<see cref="MatMulKernels.Gemm"/>) directly with C allocated once in <see cref="Setup"/> and
/// reused (torch.mm allocates per call; at these sizes its allocator cost is small next to the math, and reusing
/// keeps GC noise out of the kernel number). Threads come from <c>CpuThreads.Max</c>, set by the runner.
/// </remarks>
public abstract class SgemmWorkload : IQuickWorkload
{
    private readonly int m, k, n;
    private float[] a = [], b = [], c = [];

    /// <summary>Shape (M, K, N).</summary>
    protected SgemmWorkload(string name, int m, int k, int n)
    {
        Name = name;
        this.m = m;
        this.k = k;
        this.n = n;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double? Flops => 2.0 * m * n * k;

    /// <inheritdoc/>
    public void Setup(int threads)
    {
        var rng = new Random(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
    }

    /// <inheritdoc/>
    public void Run() => MatMulKernels.Gemm(false, false, m, n, k, a, k, b, n, c, n, accumulate: false);

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
