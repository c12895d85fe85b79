using System.Globalization;
using System.Text.Json.Nodes;
using MoeScratch.Nn.Checkpoints;

namespace MoeScratch.Rl.Checkpointing;

/// <summary>Who holds (or last held) a run folder's lock, as written in its owner file.</summary>
/// <param name="Pid">Process id.</param>
/// <param name="Host">Machine name.</param>
/// <param name="StartedUtc">When the lock was taken (UTC, round-trip format), or null when unknown.</param>
public sealed record RunLockOwner(int Pid, string Host, string? StartedUtc)
{
    /// <summary>"PID 123 on host node7 since 2026-12-07T19:42:08Z".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"PID {Pid} on host {Host}{(StartedUtc is null ? "" : $" since {StartedUtc}")}");
}

/// <summary>A second process tried to take a run folder's lock while its owner still holds it.</summary>
public sealed class RunLockedException : IOException
{
    /// <summary>Creates the exception; the message names the folder and, when known, the owner.</summary>
    public RunLockedException(string directory, RunLockOwner? owner)
        : base($"run folder '{directory}' is in use by {(owner is null ? "another process (owner unknown)" : owner.ToString())}; " +
               "a run has one trainer at a time: wait for it to finish, or stop it, then run the command again.")
    {
        Directory = directory;
        Owner = owner;
    }

    /// <summary>Creates the exception with a message of the caller's (e.g. a race lost to another starter).</summary>
    public RunLockedException(string directory, string message)
        : base(message)
    {
        Directory = directory;
    }

    /// <summary>The locked folder.</summary>
    public string Directory { get; }

    /// <summary>The owner recorded in the folder, or null when none was readable.</summary>
    public RunLockOwner? Owner { get; }
}

/// <summary>
/// One owner per run folder: an OS-level exclusive lock on <c>&lt;dir&gt;/run.lock</c> held for the lifetime of
/// this object, plus <c>run.owner</c> recording the holder's PID, host and start time. The lock is a
/// <see cref="FileStream"/> opened with <see cref="FileShare.None"/>: <c>flock(LOCK_EX | LOCK_NB)</c> on Unix, a
/// share-mode lock on Windows. The operating system drops it when the process dies (even by <c>kill -9</c>), so a
/// lock can never outlive its owner; the owner file it leaves behind is what tells the next owner that it is
/// taking over from a dead process.
/// </summary>
/// <remarks>
/// The lock file itself is never deleted: deleting it on release would let a waiting process lock the old inode
/// while a third creates and locks a new one. <c>run.owner</c> is deleted before the lock is released, so a clean
/// exit leaves no owner behind. Network file systems honour <c>flock</c> when mounted with lock support (NFSv4,
/// Lustre with <c>-o flock</c>); on a mount without it the lock is advisory-only and .NET ignores the failure.
/// </remarks>
public sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name.</summary>
    public const string LockFileName = "run.lock";

    /// <summary>The owner file's name.</summary>
    public const string OwnerFileName = "run.owner";

    private readonly FileStream _stream;
    private bool _disposed;

    private RunLock(string directory, FileStream stream, RunLockOwner owner, RunLockOwner? previous)
    {
        Directory = directory;
        _stream = stream;
        Owner = owner;
        TakenOverFrom = previous;
    }

    /// <summary>The locked folder (full path).</summary>
    public string Directory { get; }

    /// <summary>This process's owner record.</summary>
    public RunLockOwner Owner { get; }

    /// <summary>The owner a crashed or killed process left behind, when this lock took over from it; else null.</summary>
    public RunLockOwner? TakenOverFrom { get; }

    /// <summary>A one-line note for the log when the lock was taken over from a dead process, else null.</summary>
    public string? TakeOverMessage => TakenOverFrom is { } p
        ? $"Took over the lock of '{Directory}' left by {p}, which no longer holds it (it crashed or was killed)."
        : null;

    /// <summary>
    /// Takes the lock of <paramref name="directory"/> (which must exist) without waiting.
    /// </summary>
    /// <exception cref="RunLockedException">A live process holds it; the message names that process.</exception>
    public static RunLock Acquire(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string full = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(full)) throw new DirectoryNotFoundException($"Run folder '{full}' does not exist, so it cannot be locked.");
        FileStream stream = TryOpen(Path.Combine(full, LockFileName)) ?? throw new RunLockedException(full, ReadOwner(full));
        RunLockOwner? previous = ReadOwner(full);
        var me = new RunLockOwner(Environment.ProcessId, Environment.MachineName,
                                  DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        try
        {
            AtomicFile.WriteAllText(Path.Combine(full, OwnerFileName), new JsonObject
            {
                ["pid"] = me.Pid,
                ["host"] = me.Host,
                ["started_utc"] = me.StartedUtc,
            }.ToJsonString());
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new RunLock(full, stream, me, previous);
    }

    /// <summary>The owner recorded in <paramref name="directory"/>, or null when there is none or it is unreadable.</summary>
    public static RunLockOwner? ReadOwner(string directory)
    {
        string path = Path.Combine(directory, OwnerFileName);
        try
        {
            if (!File.Exists(path)) return null;
            JsonObject? o = JsonNode.Parse(File.ReadAllText(path))?.AsObject();
            if (o?["pid"] is null || o["host"] is null) return null;
            return new RunLockOwner(o["pid"]!.GetValue<int>(), o["host"]!.GetValue<string>(), o["started_utc"]?.GetValue<string>());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>True when a live process holds the lock of <paramref name="directory"/> (probes by taking it briefly).</summary>
    public static bool IsHeld(string directory)
    {
        string path = Path.Combine(directory, LockFileName);
        if (!File.Exists(path)) return false;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            return true;
        }
    }

    // A few tries 50 ms apart, so that a brief probe (IsHeld, from `report`) never makes a starting trainer give up.
    private static FileStream? TryOpen(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                if (attempt == 3) return null;
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Deletes the owner file, then releases the lock.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            File.Delete(Path.Combine(Directory, OwnerFileName));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale owner file only adds a "took over" note to the next owner's log.
        }
        _stream.Dispose();
    }
}
