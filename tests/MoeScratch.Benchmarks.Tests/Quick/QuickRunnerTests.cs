using System.Text.RegularExpressions;
using MoeScratch.Benchmarks.Quick;
using MoeScratch.Tensors.Gpu;

namespace MoeScratch.Benchmarks.Tests.Quick;

/// <summary>
/// The quick runner's backend handling, in process: result lines keep the fields compare-torchsharp.sh parses and
/// gain <c>backend=</c>; a device run skips CPU-only workloads with a line; a missing GPU is one clear line and a
/// non-zero exit, not an exception dump.
/// </summary>
[NonParallelizable]
public sealed partial class QuickRunnerTests
{
    // The parse of benchmarks/compare-torchsharp.sh (and gpu-compare.sh): key=value pairs split on spaces.
    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex Field();

    private static (int Code, string[] Output, string Error) Quick(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = QuickRunner.Run(args, output, error);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (code, lines, error.ToString());
    }

    private static Dictionary<string, string> Fields(string line) =>
        Field().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    [Test]
    public void CpuLine_KeepsTheComparedFields_AndEndsWithTheBackend()
    {
        var (code, output, error) = Quick("--smoke", "--threads", "1", "--only", "sgemm-256");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Has.Length.EqualTo(1), error);
        var f = Fields(output[0]);
        string[] cpu = ThreadCpuClock.Available ? ["thread_cpu_ms"] : [];
        Assert.That(f.Keys, Is.EqualTo((string[])["workload", "threads", "median_ms", "min_ms", "gflops", .. cpu, "backend", "smoke"]));
        Assert.That((f["workload"], f["threads"], f["backend"], f["smoke"]), Is.EqualTo(("sgemm-256", "1", "cpu", "1")));
        Assert.That(error, Does.Contain("MEANINGLESS"), "a smoke run says its times mean nothing");
    }

    [Test]
    public void ThreadCpuClock_CountsThisThreadsWork_NotItsSleep()
    {
        Assume.That(ThreadCpuClock.Available, "no per-thread CPU clock on this platform");
        double c0 = ThreadCpuClock.NowMs();
        Thread.Sleep(50);
        double slept = ThreadCpuClock.NowMs() - c0;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double x = 1;
        while (sw.ElapsedMilliseconds < 30) x = Math.Sqrt(x + 1);
        double worked = ThreadCpuClock.NowMs() - c0 - slept;
        Assert.That(slept, Is.LessThan(10), "sleeping costs no CPU time");
        Assert.That(worked, Is.GreaterThan(1).And.LessThan(31 + 10), $"30 ms of spinning ({x})");
    }

    [Test]
    public void CpuAccelerator_RunsTheDeviceWorkload_AndSkipsTheCpuOnlyOne()
    {
        var (code, output, error) = Quick("--backend", "cpu-accelerator", "--smoke", "--only", "sgemm-256,fma-peak");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Has.Length.EqualTo(1), "one result line: fma-peak has no device version");
        var f = Fields(output[0]);
        Assert.That((f["workload"], f["threads"], f["backend"]), Is.EqualTo(("sgemm-256", "1", "cpu-accelerator")));
        Assert.That(double.Parse(f["median_ms"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(0));
        Assert.That(error, Does.Contain("workload=fma-peak backend=cpu-accelerator skipped"));
    }

    [Test]
    public void Fma512_RunsWhereAvx512Is_ElseIsSkippedWithoutFailingTheRun()
    {
        var (code, output, error) = Quick("--smoke", "--threads", "1", "--only", "fma-peak-512");
        Assert.That(code, Is.EqualTo(0), error);
        bool wide = System.Runtime.Intrinsics.X86.Avx512F.IsSupported &&
                    System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        if (wide)
        {
            Assert.That(output, Has.Length.EqualTo(1), error);
            Assert.That(Fields(output[0])["workload"], Is.EqualTo("fma-peak-512"));
        }
        else
        {
            Assert.That(output, Is.Empty);
            Assert.That(error, Does.Contain("workload=fma-peak-512 backend=cpu skipped: needs AVX-512F"));
        }
    }

    [Test]
    public void Cuda_WithoutADevice_FailsWithOneLineSayingWhatIlgpuSees()
    {
        using (var cuda = GpuBackend.TryCreateCuda())
        {
            Assume.That(cuda, Is.Null, "this machine has a CUDA device");
        }
        var (code, output, error) = Quick("--backend", "cuda", "--only", "dqn-train-b32");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error, Does.StartWith("quick: cannot open --backend cuda:0: ").And.Contain("no CUDA device")
                               .And.Contain("it sees: CPU"));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
        Assert.That(GpuSelfTestCommand.Run(["--backend", "cuda"], TextWriter.Null, TextWriter.Null), Is.EqualTo(1),
                    "gpu-selftest without a device");
    }

    [TestCase("quick", "opencl")]
    [TestCase("quick", "cuda:x")]
    [TestCase("gpu-selftest", "cpu")]
    public void UnknownBackend_IsAUsageError_ThatListsTheChoices(string command, string value)
    {
        var error = new StringWriter();
        int code = command == "quick"
            ? QuickRunner.Run(["--backend", value], TextWriter.Null, error)
            : GpuSelfTestCommand.Run(["--backend", value], TextWriter.Null, error);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.ToString(), Does.Contain(value).And.Contain("cuda:N|cpu-accelerator"));
    }
}
