namespace MoeScratch.Tensors.Cpu;

/// <summary>
/// Process-wide limit on how many threads the CPU kernels (GEMM and everything built on it) may use at once.
/// Benchmarks set it to compare against the TorchSharp anchors at 2 and 1 threads (performance-anchors.md).
/// </summary>
public static class CpuThreads
{
    private static int max = Environment.ProcessorCount;

    /// <summary>
    /// Maximum worker threads per kernel call (default <see cref="Environment.ProcessorCount"/>). 1 makes every
    /// kernel single-threaded. Small problems stay single-threaded regardless (see <c>GemmDriver.ParallelMinFlops</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When set below 1.</exception>
    public static int Max
    {
        get => Volatile.Read(ref max);
        set
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    "CpuThreads.Max must be >= 1; use 1 for single-threaded kernels.");
            }

            Volatile.Write(ref max, value);
        }
    }
}
