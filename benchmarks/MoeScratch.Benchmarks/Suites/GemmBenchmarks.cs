using BenchmarkDotNet.Attributes;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Benchmarks.Suites;

/// <summary>
/// BenchmarkDotNet suite for the CPU SGEMM at the TorchSharp anchor shapes:
/// C[M×N] = A[M×K] · B[K×N], row-major, C reused. Glossary: Shape = "MxKxN"; Threads = CpuThreads.Max.
/// Run: dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- --filter '*GemmBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] a = [], b = [], c = [];
    private int m, k, n;

    /// <summary>Problem shape "MxKxN".</summary>
    [Params("32x3136x512", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048")]
    public string Shape { get; set; } = "256x256x256";

    /// <summary>Thread limit for the kernel.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Allocates random operands and sets the thread knob.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var dims = Shape.Split('x').Select(int.Parse).ToArray();
        (m, k, n) = (dims[0], dims[1], dims[2]);
        var rng = new Random(7);
        a = [.. Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        b = [.. Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        c = new float[m * n];
        CpuThreads.Max = Threads;
    }

    /// <summary>Restores the default thread limit.</summary>
    [GlobalCleanup]
    public void Cleanup() => CpuThreads.Max = Environment.ProcessorCount;

    /// <summary>One C = A·B.</summary>
    [Benchmark]
    public void Sgemm() => MatMulKernels.Gemm(false, false, m, n, k, a, k, b, n, c, n, accumulate: false);
}
