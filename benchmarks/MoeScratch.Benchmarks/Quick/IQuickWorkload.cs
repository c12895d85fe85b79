using MoeScratch.Tensors.Gpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>What <see cref="IQuickWorkload.Setup"/> is given.</summary>
/// <param name="Threads">CPU threads; the runner has already set <c>CpuThreads.Max</c> to it.</param>
/// <param name="Gpu">The device backend to build on (<c>--backend cuda|cuda:N|cpu-accelerator</c>), or null for the
/// CPU backend. Only workloads with <see cref="IQuickWorkload.RunsOnGpu"/> are given one.</param>
/// <param name="Smoke">Tiny sizes (<c>--smoke</c>): shows that the workload runs end to end; its time means nothing.
/// Workloads without a tiny size keep their size and only get fewer iterations.</param>
public sealed record QuickSetup(int Threads, GpuBackend? Gpu = null, bool Smoke = false);

/// <summary>
/// One workload of the <c>quick</c> mode. Every public non-abstract class implementing this with a parameterless
/// constructor is discovered by reflection, so adding a workload is adding a file.
/// </summary>
/// <remarks>
/// Output line (one per workload and thread count):
/// <c>workload=&lt;name&gt; threads=&lt;n&gt; median_ms=&lt;x&gt; min_ms=&lt;y&gt;</c> plus <c> gflops=&lt;z&gt;</c> when
/// <see cref="Flops"/> is defined, plus any <see cref="ExtraFields"/>, plus <c> backend=&lt;name&gt;</c>.
/// </remarks>
public interface IQuickWorkload
{
    /// <summary>Stable name, e.g. "sgemm-1024" or "minatar-breakout-steps".</summary>
    string Name { get; }

    /// <summary>Floating-point operations per <see cref="Run"/>, or null when not defined.</summary>
    double? Flops { get; }

    /// <summary>
    /// Whether the workload has a device version. CPU-only workloads (SIMD peak, environments, CPU kernel profiles)
    /// keep the default and are skipped with a line when the runner is given a GPU backend.
    /// </summary>
    bool RunsOnGpu => false;

    /// <summary>
    /// Why this machine cannot run the workload (e.g. "needs AVX-512F"), or null. The runner then prints a skipped line
    /// instead of failing, so one quick run covers machines with and without the optional instruction sets.
    /// </summary>
    string? Unavailable => null;

    /// <summary>
    /// Builds inputs (not timed). Called once per thread count. On a device, <see cref="Run"/> must not return before
    /// the device has finished its work (read a result back or synchronize), so that the sample times the work and not
    /// only its launch.
    /// </summary>
    void Setup(QuickSetup setup);

    /// <summary>One timed iteration.</summary>
    void Run();

    /// <summary>Untimed work before each timed sample (default: none); warm-up iterations skip it.</summary>
    void BeforeSample()
    {
    }

    /// <summary>Extra " key=value" fields computed from the median time in ms (e.g. steps_per_s).</summary>
    string ExtraFields(double medianMs);
}
