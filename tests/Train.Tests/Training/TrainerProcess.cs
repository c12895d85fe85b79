using System.Diagnostics;
using System.Text;

namespace MoeScratch.Train.Tests.Training;

/// <summary>
/// The built trainer (<c>dotnet MoeScratch.Train.dll</c> from the test output folder) as a child process, with its
/// stdout and stderr collected line by line, for tests that kill or signal it.
/// </summary>
internal sealed class TrainerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private TrainerProcess(ProcessStartInfo psi)
    {
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The trainer's dll next to the tests.</summary>
    public static string Dll => Path.Combine(TestContext.CurrentContext.TestDirectory, "MoeScratch.Train.dll");

    /// <summary>Starts <c>dotnet MoeScratch.Train.dll args…</c>.</summary>
    public static TrainerProcess Start(IEnumerable<string> args) => Start("dotnet", [Dll, .. args]);

    /// <summary>Starts any program (e.g. bash with a sweep script), collecting its output the same way.</summary>
    public static TrainerProcess Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return new TrainerProcess(psi);
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Seconds since the start.</summary>
    public double Elapsed => _clock.Elapsed.TotalSeconds;

    /// <summary>Everything printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Waits for the exit and the end of its output; returns the exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"the child did not exit within {timeout.TotalSeconds:F0} s; its output:\n{Output}");
        }
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>Waits until a line containing <paramref name="text"/> appears, or the process exits; true when it appeared.</summary>
    public bool WaitFor(string text, TimeSpan timeout) => WaitForAny([text], timeout);

    /// <summary>Waits until one of <paramref name="texts"/> appears, or the process exits; true when one appeared.</summary>
    public bool WaitForAny(IReadOnlyList<string> texts, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        bool Seen() => texts.Any(t => Output.Contains(t, StringComparison.Ordinal));
        while (deadline.Elapsed < timeout)
        {
            if (Seen()) return true;
            if (_process.HasExited)
            {
                _process.WaitForExit();
                return Seen();
            }
            Thread.Sleep(5);
        }
        return false;
    }

    /// <summary>SIGKILL after <paramref name="delay"/> unless it has exited by then; true when it was killed.</summary>
    public bool KillAfter(TimeSpan delay)
    {
        if (_process.WaitForExit(delay)) return false;
        try
        {
            _process.Kill(); // SIGKILL on Unix: no handler runs, nothing is flushed
        }
        catch (InvalidOperationException)
        {
            return false; // exited in between
        }
        _process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Append(line).Append('\n');
    }
}
