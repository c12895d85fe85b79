using System.Diagnostics;
using System.Reflection;

namespace MoeScratch.Train.Sweep;

/// <summary>What one local job ended with.</summary>
public readonly record struct JobOutcome(SweepJob Job, int ExitCode, string LogPath, TimeSpan Wall);

/// <summary>
/// Runs sweep jobs as child processes of this same app, at most k at a time; each child's output goes to its own
/// log file. Cancelling (Ctrl-C) stops starting new jobs and forwards the interrupt to running children (SIGTERM on
/// Unix, the same graceful checkpoint-and-exit path as Ctrl-C), then waits for them.
/// </summary>
public static class LocalSweepRunner
{
    /// <summary>The words that start this app again: the native apphost, or <c>dotnet &lt;dll&gt;</c>.</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = Assembly.GetEntryAssembly()?.Location ?? "";
        bool viaHost = Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        return viaHost && dll.Length > 0 ? [process, dll] : [process];
    }

    /// <summary>Runs <paramref name="jobs"/>, <paramref name="parallel"/> at a time.</summary>
    /// <param name="jobs">Jobs to run.</param>
    /// <param name="app">Command words of the app (see <see cref="SelfCommand"/>).</param>
    /// <param name="logDir">Folder for the logs: <c>&lt;run folder name&gt;.log</c>, or <c>job-&lt;index&gt;.log</c> for a job without one.</param>
    /// <param name="parallel">Concurrent children (≥ 1).</param>
    /// <param name="onDone">Called as each job finishes.</param>
    /// <param name="ct">Stops launching and interrupts running jobs.</param>
    public static async Task<List<JobOutcome>> RunAsync(IReadOnlyList<SweepJob> jobs, IReadOnlyList<string> app, string logDir,
                                                        int parallel, Action<JobOutcome>? onDone, CancellationToken ct)
    {
        if (parallel < 1) throw new ArgumentException($"--parallel must be ≥ 1, got {parallel}.", nameof(parallel));
        Directory.CreateDirectory(logDir);
        using var gate = new SemaphoreSlim(parallel);
        var results = new List<JobOutcome>();
        var tasks = new List<Task>();
        foreach (SweepJob job in jobs)
        {
            try { await gate.WaitAsync(ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    JobOutcome r = await RunOneAsync(job, app, logDir, ct).ConfigureAwait(false);
                    lock (results) results.Add(r);
                    onDone?.Invoke(r);
                }
                finally { gate.Release(); }
            }, CancellationToken.None));
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return [.. results.OrderBy(r => r.Job.Index)];
    }

    private static async Task<JobOutcome> RunOneAsync(SweepJob job, IReadOnlyList<string> app, string logDir, CancellationToken ct)
    {
        // Named after the run folder and appended to, so a sweep run again adds the resumed session to the same log.
        string log = Path.Combine(logDir, job.RunDir is null ? $"job-{job.Index:D4}.log" : Path.GetFileName(job.RunDir) + ".log");
        var psi = new ProcessStartInfo(app[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in app.Skip(1)) psi.ArgumentList.Add(a);
        foreach (string a in job.Arguments) psi.ArgumentList.Add(a);
        var wall = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        await using var writer = new StreamWriter(log, append: true) { AutoFlush = true };
        var sync = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sync) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sync) writer.WriteLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (ct.Register(() => Interrupt(process)))
        {
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        return new JobOutcome(job, process.ExitCode, log, wall.Elapsed);
    }

    // SIGTERM lets the child checkpoint and exit (the trainer handles it like Ctrl-C); Kill elsewhere.
    private static void Interrupt(Process p)
    {
        try
        {
            if (p.HasExited) return;
            if (OperatingSystem.IsWindows()) p.Kill(entireProcessTree: true);
            else _ = NativeSignal.Kill(p.Id, NativeSignal.SigTerm);
        }
        catch (InvalidOperationException) { }
    }
}

internal static partial class NativeSignal
{
    public const int SigTerm = 15;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);
}
