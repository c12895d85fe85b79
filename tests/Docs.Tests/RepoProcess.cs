using System.Diagnostics;
using System.Text;

namespace MoeScratch.Docs.Tests;

/// <summary>
/// The repository root, the build configuration of this test run, and child processes with a deadline.
/// </summary>
internal static class RepoProcess
{
    /// <summary>The folder holding MoeScratch.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>"Release" or "Debug": the configuration of this test assembly (bin/&lt;config&gt;/net10.0).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name;

    /// <summary>The dotnet host that runs these tests (set by the SDK), else "dotnet" from PATH.</summary>
    public static string DotnetHost { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p ? p : "dotnet";

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "MoeScratch.sln"))) return d.FullName;
        }
        throw new InvalidOperationException(
            $"No MoeScratch.sln above {TestContext.CurrentContext.TestDirectory}; " +
            "run the tests from a repository checkout.");
    }

    /// <summary>A finished child process: exit code (null when killed at the deadline), output and wall time.</summary>
    public sealed record Result(int? ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
    {
        /// <summary>Everything the process printed, for assertion messages.</summary>
        public string Log =>
            $"exit {(ExitCode?.ToString() ?? "killed at the deadline")} after {Elapsed.TotalSeconds:F1} s\n" +
                             $"--- stdout ---\n{Tail(StdOut)}\n--- stderr ---\n{Tail(StdErr)}";

        private static string Tail(string s) => s.Length <= 4000 ? s : "…" + s[^4000..];
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>;
    /// kills the process tree at <paramref name="timeout"/>.</summary>
    public static Result Run(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited = process.WaitForExit(timeout);
        if (!exited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        clock.Stop();
        int? exitCode = exited ? process.ExitCode : null;
        lock (stdout) lock (stderr) return new Result(exitCode, stdout.ToString(), stderr.ToString(), clock.Elapsed);
    }
}
