namespace MoeScratch.Docs.Tests.Samples;

/// <summary>
/// Each teaching sample in samples/ runs top to bottom as a smoke run and finishes in under 30 s. The guide's code
/// blocks are included from these programs, so this is also what keeps the guide's code compiling and running.
/// </summary>
[NonParallelizable]
public class SampleRunTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    // CustomAgent gets 3,000 steps: 1,000 of warm-up, then 500 updates; its default (20,000) is a learning run.
    [TestCase("Autodiff", "", "OK")]
    [TestCase("SoftMoeLayer", "", "OK")]
    [TestCase("CustomAgent", "3000", "breakout: ")]
    public void Sample_SmokeRun_ExitsZeroWithinDeadline(string sample, string args, string expectedLastLine)
    {
        string dll = Path.Combine(RepoProcess.Root, "samples", sample, "bin", RepoProcess.Configuration, "net10.0",
                                  $"MoeScratch.Samples.{sample}.dll");
        Assert.That(File.Exists(dll), Is.True,
                    $"{dll} is missing: the test project builds the samples first (its ProjectReferences).");

        string[] argv = [dll, .. args.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        var run = RepoProcess.Run(RepoProcess.DotnetHost, argv, RepoProcess.Root, Deadline);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.Log);
        Assert.That(run.Elapsed, Is.LessThan(Deadline), run.Log);
        string lastLine = run.StdOut.TrimEnd().Split('\n')[^1];
        Assert.That(lastLine, Does.StartWith(expectedLastLine), run.Log);
        TestContext.Out.WriteLine($"{sample}: {run.Elapsed.TotalSeconds:F1} s");
    }
}
