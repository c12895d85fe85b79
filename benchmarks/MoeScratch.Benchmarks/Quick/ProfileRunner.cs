using System.Globalization;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>profile &lt;train-workload&gt; [--threads n] [--iters n]</c>: where a training step's time goes, by phase
/// (min and median over the iterations, the min being the figure to trust on a loaded machine), with managed
/// allocation per step, CpuBackend pool misses per step and GC counts. Stopwatch-based; no profiler needed.
/// <c>profile forward</c> times the stages of <c>dqn-forward-b32</c> (<see cref="ForwardProfile"/>); <c>profile conv</c>
/// and <c>profile gemm</c> time kernel parts at the anchor shapes.
/// </summary>
public static class ProfileRunner
{
    /// <summary>Runs the profile; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("profile: usage: profile <dqn-train-b32|softmoe-train-b32|impala-train-b32|forward|conv|" +
                                    "gemm> [--threads n] [--iters n]");
            return 2;
        }
        int threads = 2, iters = 30;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--threads") threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            else if (args[i] == "--iters") iters = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        if (args[0] == "gemm")
        {
            CpuThreads.Max = threads;
            GemmProfile.Run();
            return 0;
        }
        if (args[0] == "forward")
        {
            CpuThreads.Max = threads;
            ForwardProfile.Run(iters);
            return 0;
        }
        if (args[0] == "conv")
        {
            CpuThreads.Max = threads;
            ConvProfile.Run();
            return 0;
        }
        var w = QuickRunner.Discover().OfType<TrainStepWorkload>().FirstOrDefault(x => x.Name == args[0]);
        if (w is null)
        {
            Console.Error.WriteLine($"profile: '{args[0]}' is not a training-step workload.");
            return 2;
        }
        CpuThreads.Max = threads;
        w.Setup(new QuickSetup(threads));
        for (int i = 0; i < 10; i++) w.Run();
        var names = AnchorDqnTrainer.PhaseNames;
        var per = names.Select(_ => new List<double>()).ToArray();
        var totals = new List<double>();
        long misses0 = CpuBackend.Instance.PoolMisses, alloc0 = GC.GetAllocatedBytesForCurrentThread();
        int gc0 = GC.CollectionCount(0), gc2 = GC.CollectionCount(2);
        for (int i = 0; i < iters; i++)
        {
            var ph = new double[names.Length];
            w.Trainer.Step(ph);
            for (int p = 0; p < ph.Length; p++) per[p].Add(ph[p]);
            totals.Add(ph.Sum());
        }
        var ic = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(ic, "profile={0} threads={1} iters={2} alloc_bytes_per_step={3} pool_misses_per_step={4:0.0} gen0={5} gen2={6}",
            w.Name, threads, iters, (GC.GetAllocatedBytesForCurrentThread() - alloc0) / iters,
            (CpuBackend.Instance.PoolMisses - misses0) / (double)iters, GC.CollectionCount(0) - gc0, GC.CollectionCount(2) - gc2));
        for (int p = 0; p < names.Length; p++)
        {
            Console.WriteLine(string.Format(ic, "  {0,-12} min_ms={1,8:0.000} median_ms={2,8:0.000}", names[p], per[p].Min(), Median(per[p])));
        }
        Console.WriteLine(string.Format(ic, "  {0,-12} min_ms={1,8:0.000} median_ms={2,8:0.000}", "total", totals.Min(), Median(totals)));
        return 0;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
