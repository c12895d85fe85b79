using System.Globalization;
using MoeScratch.Tensors;
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
            Console.Error.WriteLine("profile: usage: profile <dqn-train-b32|softmoe-train-b32|impala-train-b32|forward|forward-softmoe|forward-impala|moe|minatar-moe|softmax|" +
                                    "conv|gemm|minatar-*-train-b32> [--threads n] [--iters n] [--ops] " +
                                    "[--batch n (forward, forward-softmoe, conv, minatar-moe)] [--experts n (minatar-moe)]");
            return 2;
        }
        int threads = 2, iters = 30, batch = 32, experts = 4;
        bool ops = false;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--ops") ops = true;
            else if (args[i] == "--threads" && i + 1 < args.Length) threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--iters" && i + 1 < args.Length) iters = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--batch" && i + 1 < args.Length) batch = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--experts" && i + 1 < args.Length) experts = int.Parse(args[++i], CultureInfo.InvariantCulture);
        }
        if (args[0] == "gemm")
        {
            CpuThreads.Max = threads;
            GemmProfile.Run();
            return 0;
        }
        if (args[0] == "softmax")
        {
            GemmProfile.RunSoftmax();
            return 0;
        }
        if (args[0] == "forward-impala")
        {
            CpuThreads.Max = threads;
            ImpalaForwardProfile.Run(iters);
            return 0;
        }
        if (args[0] == "minatar-moe")
        {
            CpuThreads.Max = threads;
            MinAtarMoeProfile.Run(iters, experts, batch);
            return 0;
        }
        if (args[0] == "moe")
        {
            CpuThreads.Max = threads;
            MoeProfile.Run(iters);
            return 0;
        }
        if (args[0] is "forward" or "forward-softmoe")
        {
            CpuThreads.Max = threads;
            ForwardProfile.Run(iters, args[0] == "forward" ? AnchorModel.NatureDqn : AnchorModel.SoftMoeDqn, batch);
            return 0;
        }
        if (args[0] == "conv")
        {
            CpuThreads.Max = threads;
            ConvProfile.Run(batch);
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
        // Warm up for at least 10 steps and 1.5 s: the JIT promotes a method to optimized code only after enough calls and
        // a quiet spell, and kernels called a few times per step (the conv drivers) were still unoptimized after 10
        // steps, which tripled the medians.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 10 || warm.Elapsed.TotalSeconds < 1.5; i++) w.Run();
        // --ops: each step's backward time per op tag (summed over the step's nodes with that tag), to find the
        // backward's non-GEMM time. Off by default: the timer's Stopwatch reads add a little to every node.
        var opSteps = new Dictionary<string, List<double>>();
        var opStep = new Dictionary<string, (double ms, int n)>();
        if (ops) Tensor.BackwardNodeTimer = (op, ms) =>
        {
            var cur = opStep.GetValueOrDefault(op);
            opStep[op] = (cur.ms + ms, cur.n + 1);
        };
        var names = AnchorDqnTrainer.PhaseNames;
        var per = names.Select(_ => new List<double>()).ToArray();
        var totals = new List<double>();
        var cpuTotals = new List<double>();
        long misses0 = CpuBackend.Instance.PoolMisses, alloc0 = GC.GetAllocatedBytesForCurrentThread();
        int gc0 = GC.CollectionCount(0), gc2 = GC.CollectionCount(2);
        for (int i = 0; i < iters; i++)
        {
            var ph = new double[names.Length];
            opStep.Clear();
            double c0 = ThreadCpuClock.NowMs();
            w.Trainer.Step(ph);
            cpuTotals.Add(ThreadCpuClock.NowMs() - c0);
            foreach (var (op, v) in opStep)
            {
                if (!opSteps.TryGetValue(op, out var l)) opSteps[op] = l = [];
                l.Add(v.ms);
            }
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
        if (threads == 1 && ThreadCpuClock.Available)
        {
            Console.WriteLine(string.Format(ic, "  {0,-12} min_ms={1,8:0.000} median_ms={2,8:0.000}", "thread_cpu", cpuTotals.Min(),
                                            Median(cpuTotals)));
        }
        if (ops)
        {
            Tensor.BackwardNodeTimer = null;
            Console.WriteLine("backward by op (per step: nodes, min and median of the step's summed time):");
            foreach (var (op, l) in opSteps.OrderByDescending(kv => kv.Value.Min()))
            {
                Console.WriteLine(string.Format(ic, "  {0,-16} nodes={1,3} min_ms={2,8:0.000} median_ms={3,8:0.000}",
                    op, opStep.GetValueOrDefault(op).n, l.Min(), Median(l)));
            }
        }
        return 0;
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
