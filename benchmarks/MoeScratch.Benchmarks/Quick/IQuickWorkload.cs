namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// One workload of the <c>quick</c> mode. Every public non-abstract class implementing this with a parameterless
/// constructor is discovered by reflection, so adding a workload is adding a file.
/// </summary>
/// <remarks>
/// Output line (one per workload and thread count):
/// <c>workload=&lt;name&gt; threads=&lt;n&gt; median_ms=&lt;x&gt; min_ms=&lt;y&gt;</c> plus <c> gflops=&lt;z&gt;</c> when
/// <see cref="Flops"/> is defined, plus any <see cref="ExtraFields"/>.
/// </remarks>
public interface IQuickWorkload
{
    /// <summary>Stable name, e.g. "sgemm-1024" or "minatar-breakout-steps".</summary>
    string Name { get; }

    /// <summary>Floating-point operations per <see cref="Run"/>, or null when not defined.</summary>
    double? Flops { get; }

    /// <summary>Builds inputs (not timed). Called once per thread count.</summary>
    void Setup(int threads);

    /// <summary>One timed iteration.</summary>
    void Run();

    /// <summary>Extra " key=value" fields computed from the median time in ms (e.g. steps_per_s).</summary>
    string ExtraFields(double medianMs);
}
