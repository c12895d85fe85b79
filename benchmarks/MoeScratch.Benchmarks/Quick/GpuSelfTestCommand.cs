using MoeScratch.Tensors.Gpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>gpu-selftest [--backend cuda|cuda:N|cpu-accelerator] [--small]</c>: <see cref="GpuSelfTest.Run"/> on the chosen
/// device (default <c>cuda</c>), one PASS/FAIL line per kernel family against the CPU backend. The first command to
/// run on a new GPU machine, before timing anything. Exit code 0 when every family passes, 1 otherwise.
/// </summary>
public static class GpuSelfTestCommand
{
    private const string Usage = "usage: gpu-selftest [--backend cuda|cuda:N|cpu-accelerator] [--small]";

    /// <summary>Runs the self-test on the console; returns the process exit code.</summary>
    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the self-test: the report to <paramref name="output"/>, failures to open or parse to
    /// <paramref name="error"/>. Returns 0 when every family passes, 1 on a failure, 2 for a usage error.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var backend = QuickBackend.Parse("cuda")!;
        bool small = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--small")
            {
                small = true;
                continue;
            }
            var parsed = args[i] == "--backend" && i + 1 < args.Length ? QuickBackend.Parse(args[++i]) : null;
            if (parsed is null)
            {
                error.WriteLine($"gpu-selftest: argument '{args[i]}' is not understood; {Usage}");
                return 2;
            }
            if (parsed.IsCpu)
            {
                error.WriteLine("gpu-selftest: --backend cpu has no device to check (the self-test compares a device " +
                                $"with the CPU backend); {Usage}");
                return 2;
            }
            backend = parsed;
        }

        if (!backend.TryOpen(error, "gpu-selftest", out var gpu)) return 1;
        using var device = gpu!;
        var results = GpuSelfTest.Run(output, device, small);
        int failed = results.Count(r => !r.Passed);
        output.WriteLine($"gpu-selftest: {results.Count - failed} of {results.Count} kernel families passed on {device.Name}");
        return failed == 0 ? 0 : 1;
    }
}
