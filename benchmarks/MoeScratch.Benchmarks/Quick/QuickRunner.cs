using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// The <c>quick</c> mode: discovers every <see cref="IQuickWorkload"/> by reflection and times it with the
/// TorchSharp anchors' policy (their Bench.cs) so the numbers compare line by line.
/// Glossary: warm-up = untimed iterations; sample = one Stopwatch-timed <see cref="IQuickWorkload.Run"/>.
/// </summary>
public static class QuickRunner
{
    // Anchor TimingPolicy.Full: warm-up ≥ 5 iterations and ≥ 0.5 s (stop early at 50 iterations once 0.5 s passed),
    // then ≥ 20 samples and ≥ 3 s, at most 5000 samples.
    private const int WarmupMinIters = 5, MinIters = 20, MaxIters = 5000;
    private const double WarmupMinSeconds = 0.5, MinSeconds = 3.0;

    /// <summary><c>--smoke</c> iterations: enough to run every path twice, too few to time anything.</summary>
    public const int SmokeWarmupIters = 1, SmokeIters = 2;

    /// <summary>Runs quick mode with the arguments after "quick" on the console; returns the process exit code.</summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>
    /// Runs quick mode: result lines to <paramref name="output"/>, everything else (notes, skips, errors) to
    /// <paramref name="error"/>, so that the output holds only parseable lines. Returns the process exit code: 0, 1
    /// when a workload failed or the backend could not be opened, 2 for a usage error.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        int[]? threads = null;
        string[]? only = null;
        bool list = false, smoke = false;
        var backend = QuickBackend.Cpu;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads" when i + 1 < args.Length:
                    threads = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)
                                            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                    break;
                case "--only" when i + 1 < args.Length:
                    only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--backend" when i + 1 < args.Length:
                    var parsed = QuickBackend.Parse(args[++i]);
                    if (parsed is null)
                    {
                        error.WriteLine($"quick: --backend '{args[i]}' is not understood; use {QuickBackend.Values}.");
                        return 2;
                    }
                    backend = parsed;
                    break;
                case "--smoke":
                    smoke = true;
                    break;
                case "--list":
                    list = true;
                    break;
                default:
                    error.WriteLine($"quick: unknown or incomplete argument '{args[i]}'. Usage: quick [--threads N[,M...]] " +
                                    $"[--only a,b] [--backend {QuickBackend.Values}] [--smoke] [--list]");
                    return 2;
            }
        }

        var all = Discover();
        if (list)
        {
            foreach (var w in all) output.WriteLine(w.Name);
            return 0;
        }

        var selected = all;
        if (only is not null)
        {
            var unknown = only.Where(o => all.All(w => w.Name != o)).ToArray();
            if (unknown.Length > 0)
            {
                error.WriteLine($"quick: unknown workload(s) {string.Join(", ", unknown)}; " +
                                $"available: {string.Join(", ", all.Select(w => w.Name))} (see --list).");
                return 2;
            }

            // In the order asked for.
            selected = [.. only.Select(o => all.First(w => w.Name == o))];
        }

        // Like the anchors: 2 threads, then 1. On a device the work does not run on CPU threads, so one pass.
        threads ??= backend.IsCpu ? [2, 1] : [1];
        if (threads.Length == 0 || threads.Any(t => t < 1))
        {
            error.WriteLine("quick: --threads needs positive counts, e.g. --threads 2,1.");
            return 2;
        }

        if (!backend.TryOpen(error, "quick", out var gpu)) return 1;
        using var device = gpu;
        if (gpu is not null) error.WriteLine($"quick: backend={backend.Label} is {gpu.Name}");
        if (smoke)
        {
            error.WriteLine($"quick: --smoke: tiny sizes, {SmokeWarmupIters} warm-up and {SmokeIters} timed " +
                            "iterations; the times are MEANINGLESS (they only show that each workload runs).");
        }

        int failures = 0;
        foreach (int t in threads)
        {
            foreach (var w in selected)
            {
                if (gpu is not null && !w.RunsOnGpu)
                {
                    error.WriteLine($"workload={w.Name} backend={backend.Label} skipped: a CPU-only workload " +
                                    "(SIMD peak, environment steps or CPU kernel profile); run it with --backend cpu.");
                    continue;
                }
                if (w.Unavailable is { } why)
                {
                    error.WriteLine($"workload={w.Name} backend={backend.Label} skipped: {why}");
                    continue;
                }
                try
                {
                    CpuThreads.Max = t; // the global knob every CPU kernel obeys
                    w.Setup(new QuickSetup(t, gpu, smoke));
                    var (median, min, cpu) = Measure(w.Run, smoke, BeforeSampleOf(w));
                    // Thread CPU time counts the work of the calling thread only: meaningful with one thread on the CPU.
                    output.WriteLine(FormatLine(w, t, median, min, backend.Label, smoke, t == 1 && gpu is null ? cpu : double.NaN));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One broken workload (e.g. missing hardware) must not hide the others' numbers.
                    failures++;
                    error.WriteLine($"workload={w.Name} threads={t} backend={backend.Label} error={e.GetType().Name}: " +
                                    e.Message);
                }
                finally
                {
                    (w as IDisposable)?.Dispose();
                }
            }
        }

        CpuThreads.Max = Environment.ProcessorCount;
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The workload's <see cref="IQuickWorkload.BeforeSample"/>, or null where it keeps the empty default.</summary>
    private static Action? BeforeSampleOf(IQuickWorkload w)
    {
        var map = w.GetType().GetInterfaceMap(typeof(IQuickWorkload));
        int i = Array.FindIndex(map.InterfaceMethods, m => m.Name == nameof(IQuickWorkload.BeforeSample));
        return map.TargetMethods[i].DeclaringType == typeof(IQuickWorkload) ? null : w.BeforeSample;
    }

    /// <summary>Every public concrete <see cref="IQuickWorkload"/> with a parameterless constructor, by name.</summary>
    public static IReadOnlyList<IQuickWorkload> Discover() =>
        [.. typeof(QuickRunner).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && t.IsPublic && typeof(IQuickWorkload).IsAssignableFrom(t)
                        && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IQuickWorkload)Activator.CreateInstance(t)!)
            .OrderBy(w => w.Name, StringComparer.Ordinal)];

    /// <summary>
    /// The result line; invariant culture so the output parses the same everywhere. <c>backend=</c> comes last but
    /// for <c>smoke=1</c>, which marks times that mean nothing. <c>thread_cpu_ms=</c> (the calling thread's CPU time
    /// per sample, see <see cref="Measure"/>, when <paramref name="threadCpuMs"/> is a number) follows the extra fields: on a
    /// machine shared with other processes it leaves out the time they held the core, which the wall times include.
    /// </summary>
    public static string FormatLine(IQuickWorkload w, int threads, double medianMs, double minMs,
                                    string backend = "cpu", bool smoke = false, double threadCpuMs = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(w);
        var ic = CultureInfo.InvariantCulture;
        string line = string.Format(ic, "workload={0} threads={1} median_ms={2} min_ms={3}",
            w.Name, threads, Num(medianMs), Num(minMs));
        if (w.Flops is double f) line += string.Format(ic, " gflops={0:0.00}", f / (medianMs * 1e6));
        string extra = w.ExtraFields(medianMs) ?? "";
        line = extra.Length == 0 || extra[0] == ' ' ? line + extra : line + " " + extra;
        if (!double.IsNaN(threadCpuMs)) line += " thread_cpu_ms=" + Num(threadCpuMs);
        return line + " backend=" + backend + (smoke ? " smoke=1" : "");
    }

    private static string Num(double ms) => ms.ToString(ms >= 100 ? "0.0" : ms >= 1 ? "0.000" : "0.00000",
                                                        CultureInfo.InvariantCulture);

    /// <summary>
    /// Anchor policy: collect garbage, warm up, then time each iteration (after the untimed
    /// <paramref name="beforeSample"/>, if any); returns the median and min wall time and the CPU time of the calling
    /// thread per sample (NaN where <see cref="ThreadCpuClock"/> is unavailable), in ms: the mean over the samples,
    /// or with <paramref name="beforeSample"/>, which must not count, the median of per-sample reads. With
    /// <paramref name="smoke"/>: <see cref="SmokeWarmupIters"/> warm-up and <see cref="SmokeIters"/> timed iterations.
    /// </summary>
    public static (double MedianMs, double MinMs, double ThreadCpuMs) Measure(Action step, bool smoke = false,
                                                                              Action? beforeSample = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        if (smoke)
        {
            for (int i = 0; i < SmokeWarmupIters; i++) step();
            return Summarize([.. Enumerable.Range(0, SmokeIters).Select(_ => Time(step, beforeSample))]);
        }

        var total = Stopwatch.StartNew();
        int w = 0;
        while (w < WarmupMinIters || total.Elapsed.TotalSeconds < WarmupMinSeconds)
        {
            step();
            w++;
            if (w >= 10 * WarmupMinIters && total.Elapsed.TotalSeconds >= WarmupMinSeconds) break;
        }

        var samples = new List<(double Wall, double Cpu)>(256);
        total.Restart();
        if (beforeSample is null)
        {
            // The thread's CPU clock is read once around all samples, not around each: a read is a system call, and
            // on this VM (page-table isolation) its after-effects landed in the next sample's wall time, which the
            // anchors' Stopwatch-only loop does not pay: minatar-dqn-act-b1 read 0.074 ms with a read per sample,
            // 0.045 ms without (its 3.2 MB of weights are ~800 pages whose TLB entries the call evicted).
            double c0 = ThreadCpuClock.NowMs();
            while (samples.Count < MaxIters && (samples.Count < MinIters || total.Elapsed.TotalSeconds < MinSeconds))
            {
                long t0 = Stopwatch.GetTimestamp();
                step();
                samples.Add((Stopwatch.GetElapsedTime(t0).TotalMilliseconds, double.NaN));
            }
            double cpuMean = (ThreadCpuClock.NowMs() - c0) / samples.Count;
            var (median, min, _) = Summarize(samples);
            return (median, min, cpuMean);
        }
        while (samples.Count < MaxIters && (samples.Count < MinIters || total.Elapsed.TotalSeconds < MinSeconds))
        {
            samples.Add(Time(step, beforeSample));
        }
        return Summarize(samples);
    }

    private static (double Wall, double Cpu) Time(Action step, Action? beforeSample)
    {
        beforeSample?.Invoke(); // untimed
        double c0 = ThreadCpuClock.NowMs();
        long t0 = Stopwatch.GetTimestamp();
        step();
        double wall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        return (wall, ThreadCpuClock.NowMs() - c0);
    }

    private static (double MedianMs, double MinMs, double ThreadCpuMs) Summarize(List<(double Wall, double Cpu)> samples)
    {
        var wall = samples.Select(s => s.Wall).Order().ToArray();
        var cpu = samples.Select(s => s.Cpu).Order().ToArray();
        return (Median(wall), wall[0], Median(cpu));
    }

    private static double Median(double[] sorted)
    {
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }
}
