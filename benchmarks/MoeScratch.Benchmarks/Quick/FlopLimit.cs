using System.Diagnostics;
using System.Globalization;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// The FLOP limit of the train and loop workloads: the <c>fma-peak</c> register loop measured in the same process on
/// the workload's thread count, at the vector width our kernels run (<c>fma-peak-512</c> where the 512-bit kernels are
/// on, else the 256-bit loop, e.g. under <c>MOESCRATCH_AVX512=0</c>). Best of 20 short runs (a tenth of the quick
/// workload's, ≈ 3–6 ms), measured once per process and thread count: the peak is a physical limit, so a run slowed
/// by another process must not lower it, and short runs are less often interrupted on a busy machine.
/// </summary>
public static class FlopLimit
{
    private const int Runs = 20;
    private const long Iters = 2_000_000;
    private static readonly Dictionary<(int Threads, bool Wide), double> Peaks = [];

    /// <summary>Whether the 512-bit kernels run in this process.</summary>
    public static bool Wide => GemmMicroKernel.Wide;

    /// <summary>FMA peak in GFLOP/s on <paramref name="threads"/> threads at the given width (measured on first use).</summary>
    public static double PeakGflops(int threads, bool wide)
    {
        if (Peaks.TryGetValue((threads, wide), out double g)) return g;
        FmaPeakWorkloadBase loop = wide ? new FmaPeak512Workload() : new FmaPeakWorkload();
        if (loop.Unavailable is not null) return Peaks[(threads, wide)] = double.NaN; // no FMA: no limit to print
        loop.Setup(new QuickSetup(threads));
        double best = 0;
        for (int i = 0; i < Runs; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            loop.Run(Iters);
            best = Math.Max(best, loop.FlopsOf(Iters) / (Stopwatch.GetElapsedTime(t0).TotalSeconds * 1e9));
        }
        return Peaks[(threads, wide)] = best;
    }

    /// <summary>
    /// " flop_limit_fraction=… fma_peak_gflops=… fma_bits=…" for a workload that ran at <paramref name="gflops"/>, plus
    /// " flop_limit_fraction_256=…" (against the 256-bit loop, the limit of AVX2 machines) when the 512-bit kernels run.
    /// </summary>
    public static string Fields(double gflops, int threads)
    {
        var ic = CultureInfo.InvariantCulture;
        double peak = PeakGflops(threads, Wide);
        if (double.IsNaN(peak)) return "";
        string s = string.Format(ic, " flop_limit_fraction={0:0.000} fma_peak_gflops={1:0.0} fma_bits={2}",
                                 gflops / peak, peak, Wide ? 512 : 256);
        if (Wide) s += string.Format(ic, " flop_limit_fraction_256={0:0.000}", gflops / PeakGflops(threads, false));
        return s;
    }
}
