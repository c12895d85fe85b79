namespace MoeScratch.Tensors.Cpu;

/// <summary>
/// Process-wide limit on how many threads the CPU kernels (GEMM and everything built on it) may use at once.
/// Benchmarks set it to compare against the TorchSharp anchors at 2 and 1 threads.
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

    /// <summary>
    /// body(lo, hi) over [0, units) cut into <paramref name="threads"/> contiguous ranges, one per worker; on the
    /// calling thread alone when threads ≤ 1.
    /// </summary>
    internal static void ForRanges(int units, int threads, Action<int, int> body)
    {
        if (threads <= 1)
        {
            body(0, units);
            return;
        }
        int per = (units + threads - 1) / threads;
        CpuWorkers.Run(threads, t =>
        {
            int lo = t * per, hi = Math.Min(units, lo + per);
            if (lo < hi) body(lo, hi);
        });
    }
}
