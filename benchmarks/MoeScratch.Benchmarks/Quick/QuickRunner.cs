using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// The <c>quick</c> mode: discovers every <see cref="IQuickWorkload"/> by reflection and times it with the
/// TorchSharp anchors' policy (/work/shared/anchors/torchsharp/Bench.cs) so the numbers compare line by line.
/// Glossary: warm-up = untimed iterations; sample = one Stopwatch-timed <see cref="IQuickWorkload.Run"/>.
/// </summary>
public static class QuickRunner
{
    // Anchor TimingPolicy.Full: warm-up ≥ 5 iterations and ≥ 0.5 s (stop early at 50 iterations once 0.5 s passed),
    // then ≥ 20 samples and ≥ 3 s, at most 5000 samples.
    private const int WarmupMinIters = 5, MinIters = 20, MaxIters = 5000;
    private const double WarmupMinSeconds = 0.5, MinSeconds = 3.0;

    /// <summary>Runs quick mode with the arguments after "quick"; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        int[] threads = [2, 1]; // like the anchors: 2 threads, then 1
        string[]? only = null;
        bool list = false;
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
                case "--list":
                    list = true;
                    break;
                default:
                    Console.Error.WriteLine($"quick: unknown or incomplete argument '{args[i]}'. " +
                                            "Usage: quick [--threads N[,M...]] [--only a,b] [--list]");
                    return 2;
            }
        }

        var all = Discover();
        if (list)
        {
            foreach (var w in all) Console.WriteLine(w.Name);
            return 0;
        }

        var selected = all;
        if (only is not null)
        {
            var unknown = only.Where(o => all.All(w => w.Name != o)).ToArray();
            if (unknown.Length > 0)
            {
                Console.Error.WriteLine($"quick: unknown workload(s) {string.Join(", ", unknown)}; " +
                                        $"available: {string.Join(", ", all.Select(w => w.Name))} (see --list).");
                return 2;
            }

            // In the order asked for.
            selected = [.. only.Select(o => all.First(w => w.Name == o))];
        }

        if (threads.Length == 0 || threads.Any(t => t < 1))
        {
            Console.Error.WriteLine("quick: --threads needs positive counts, e.g. --threads 2,1.");
            return 2;
        }

        int failures = 0;
        foreach (int t in threads)
        {
            foreach (var w in selected)
            {
                try
                {
                    CpuThreads.Max = t; // the global knob every CPU kernel obeys
                    w.Setup(t);
                    var (median, min) = Measure(w.Run);
                    Console.WriteLine(FormatLine(w, t, median, min));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One broken workload (e.g. missing hardware) must not hide the others' numbers.
                    failures++;
                    Console.Error.WriteLine($"workload={w.Name} threads={t} error={e.GetType().Name}: {e.Message}");
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

    /// <summary>Every public concrete <see cref="IQuickWorkload"/> with a parameterless constructor, by name.</summary>
    public static IReadOnlyList<IQuickWorkload> Discover() =>
        [.. typeof(QuickRunner).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && t.IsPublic && typeof(IQuickWorkload).IsAssignableFrom(t)
                        && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IQuickWorkload)Activator.CreateInstance(t)!)
            .OrderBy(w => w.Name, StringComparer.Ordinal)];

    /// <summary>The result line; invariant culture so the output parses the same everywhere.</summary>
    public static string FormatLine(IQuickWorkload w, int threads, double medianMs, double minMs)
    {
        var ic = CultureInfo.InvariantCulture;
        string line = string.Format(ic, "workload={0} threads={1} median_ms={2} min_ms={3}",
            w.Name, threads, Num(medianMs), Num(minMs));
        if (w.Flops is double f) line += string.Format(ic, " gflops={0:0.00}", f / (medianMs * 1e6));
        string extra = w.ExtraFields(medianMs) ?? "";
        return extra.Length == 0 || extra[0] == ' ' ? line + extra : line + " " + extra;
    }

    private static string Num(double ms) => ms.ToString(ms >= 100 ? "0.0" : ms >= 1 ? "0.000" : "0.00000",
                                                        CultureInfo.InvariantCulture);

    /// <summary>Anchor policy: collect garbage, warm up, then time each iteration; returns (median, min) in ms.</summary>
    public static (double MedianMs, double MinMs) Measure(Action step)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var total = Stopwatch.StartNew();
        int w = 0;
        while (w < WarmupMinIters || total.Elapsed.TotalSeconds < WarmupMinSeconds)
        {
            step();
            w++;
            if (w >= 10 * WarmupMinIters && total.Elapsed.TotalSeconds >= WarmupMinSeconds) break;
        }

        var samples = new List<double>(256);
        var sw = new Stopwatch();
        total.Restart();
        while (samples.Count < MaxIters && (samples.Count < MinIters || total.Elapsed.TotalSeconds < MinSeconds))
        {
            sw.Restart();
            step();
            sw.Stop();
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }

        samples.Sort();
        int n = samples.Count;
        double median = n % 2 == 1 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
        return (median, samples[0]);
    }
}
