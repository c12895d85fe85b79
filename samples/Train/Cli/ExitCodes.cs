using System.Globalization;
using MoeScratch.Rl.Checkpointing;

namespace MoeScratch.Train.Cli;

/// <summary>
/// The documented exit codes of every command (printed by <c>--help</c>), and the mapping from an exception that
/// escapes a command to one line on stderr plus its code. Every bad input exits with <see cref="BadInput"/>; only an
/// unexpected exception exits with <see cref="Failure"/>, and its stack trace goes to a log file, not the console.
/// </summary>
public static class ExitCodes
{
    /// <summary>Done: trained to the end, or the run was already complete.</summary>
    public const int Success = 0;

    /// <summary>An unexpected error (a bug or a failing disk): one line on stderr, the stack trace in a log file.</summary>
    public const int Failure = 1;

    /// <summary>
    /// Bad input: a flag, value, config or protocol file, input file or run folder that cannot be used, or an
    /// environment that cannot be built (e.g. no ALE library). The one-line message names the value, what was
    /// expected and the fix. Rerunning the same command cannot succeed.
    /// </summary>
    public const int BadInput = 2;

    /// <summary>The run folder is locked by another live trainer (named in the message). Retry once it has exited.</summary>
    public const int RunBusy = 3;

    /// <summary>Stopped by SIGINT (Ctrl-C) after writing a checkpoint; the same command continues the run.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (e.g. Slurm preemption or time limit) after writing a checkpoint.</summary>
    public const int Terminated = 143;

    /// <summary>The exit-code table for <c>--help</c>.</summary>
    public const string HelpText =
        "Exit codes: 0 done (or already complete); 1 unexpected error (stack trace in the log file named on stderr); " +
        "2 bad input (flag, value, config/protocol file, input or run folder, environment unavailable); " +
        "3 run folder in use by another trainer; 130/143 stopped by SIGINT/SIGTERM after a checkpoint (rerun to continue).";

    private const string RunFolderKey = "MoeScratch.Train.RunFolder";

    /// <summary>
    /// Records in <paramref name="e"/> the run folder it escaped from, so that its crash log is written there (and
    /// travels with the run on a cluster) rather than in the temp folder. Returns false: use it as an exception filter.
    /// </summary>
    public static bool TagRunFolder(Exception e, string? runFolder)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (runFolder is not null && !e.Data.Contains(RunFolderKey)) e.Data[RunFolderKey] = runFolder;
        return false;
    }

    /// <summary>Maps an exception that escaped a command to its exit code and the line to print.</summary>
    public static (int Code, string Line) Describe(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e)
        {
            case RunLockedException:
                return (RunBusy, $"error: {e.Message}");
            case ArgumentException a:
                return (BadInput, $"error: {WithoutParameterName(a)}");
            case InvalidDataException or FileNotFoundException or DirectoryNotFoundException:
                return (BadInput, $"error: {e.Message}");
            case DllNotFoundException:
                return (BadInput, $"error: a native library could not be loaded: {e.Message}");
            case OperationCanceledException:
                return (Interrupted, "error: interrupted before the command finished.");
            default:
                string log = WriteCrashLog(e);
                return (Failure, $"error: unexpected {e.GetType().Name}: {FirstLine(e.Message)} The stack trace is in {log}.");
        }
    }

    /// <summary>The message without .NET's " (Parameter 'name')" suffix, which names a C# parameter, not a flag.</summary>
    public static string WithoutParameterName(ArgumentException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
    }

    private static string FirstLine(string message)
    {
        string line = message.Split('\n', 2)[0].Trim();
        return line.EndsWith('.') ? line : line + ".";
    }

    // Best effort: a log that cannot be written falls back to the temp folder, then to saying so.
    private static string WriteCrashLog(Exception e)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"moescratch-error-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:O} MoeScratch.Train {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}{Environment.NewLine}{e}{Environment.NewLine}");
        foreach (string? folder in new[] { e.Data[RunFolderKey] as string, Path.GetTempPath() })
        {
            if (folder is null) continue;
            try
            {
                string path = Path.GetFullPath(Path.Combine(folder, name));
                File.WriteAllText(path, text);
                return path;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // try the next folder
            }
        }
        return "(no log: neither the run folder nor the temp folder was writable)";
    }
}
