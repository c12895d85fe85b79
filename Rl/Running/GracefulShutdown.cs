using System.Runtime.InteropServices;

namespace MoeScratch.Rl.Running;

/// <summary>
/// Turns the first SIGINT/SIGTERM into a cancellation that <see cref="Runner.Run"/> honours at the next episode
/// boundary (it then checkpoints and returns <see cref="StopReason.Cancelled"/>); a second signal lets the process
/// die at once (ML-Agents' "hit Ctrl+C once and wait"). Dispose to unregister.
/// </summary>
public sealed class GracefulShutdown : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signals;

    /// <summary>Registers handlers for SIGINT and SIGTERM.</summary>
    /// <param name="log">Receives one line per signal (e.g. Console.Error.WriteLine); null is silent.</param>
    public GracefulShutdown(Action<string>? log = null)
    {
        Log = log;
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>The signal that requested the stop, or null.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>The conventional exit code after a graceful stop: 130 for SIGINT, 143 for SIGTERM, 0 otherwise.</summary>
    public int ExitCode => Signal switch { PosixSignal.SIGINT => 130, PosixSignal.SIGTERM => 143, _ => 0 };

    private Action<string>? Log { get; }

    /// <summary>Handles one signal; internal so tests can drive it without sending real signals.</summary>
    internal void Handle(PosixSignal signal, Action cancelDefault)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            // First signal: keep the process alive, finish the episode, checkpoint, then exit.
            cancelDefault();
            Signal = signal;
            Log?.Invoke($"{signal}: finishing the current episode, then writing a checkpoint. Send it again to abort at once.");
            _cts.Cancel();
        }
        else
        {
            Log?.Invoke($"{signal} again: aborting without a checkpoint.");
        }
    }

    private void OnSignal(PosixSignalContext context) => Handle(context.Signal, () => context.Cancel = true);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }
}
