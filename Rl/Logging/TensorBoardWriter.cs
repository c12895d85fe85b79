using System.Globalization;

namespace MoeScratch.Rl.Logging;

/// <summary>
/// Writes a TensorBoard event file (tensorflow/core/util/event.proto) without libtorch: one file per writer named
/// <c>events.out.tfevents.&lt;unix_seconds %010d&gt;.&lt;hostname&gt;.&lt;pid&gt;.&lt;counter&gt;</c> (tensorboard's
/// event_file_writer.py), wall times in Unix seconds as a double, int64 steps. Writes are buffered; data reaches
/// the disk on <see cref="Flush"/>, on the background timer, and on <see cref="Dispose"/>. Thread-safe.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private static int s_counter;
    private readonly object _gate = new();
    private readonly FileStream _stream;
    private readonly Func<double> _clock;
    private readonly Timer? _timer;
    private bool _disposed;
    private Exception? _backgroundError;

    /// <summary>
    /// Opens a new event file in <paramref name="runDirectory"/> (created if needed) and writes the file_version record.
    /// </summary>
    /// <param name="runDirectory">The run directory, e.g. <c>runs/Pong/dqn/seed0</c>.</param>
    /// <param name="clock">Wall time in Unix seconds; injectable for tests. Defaults to the system clock.</param>
    /// <param name="flushInterval">Background flush period; null or zero disables the timer. Default 15 s.</param>
    public TensorBoardWriter(string runDirectory, Func<double>? clock = null, TimeSpan? flushInterval = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        _clock = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        Directory.CreateDirectory(runDirectory);
        double now = _clock();
        string name = string.Format(CultureInfo.InvariantCulture, "events.out.tfevents.{0:D10}.{1}.{2}.{3}",
            (long)Math.Floor(now), Environment.MachineName, Environment.ProcessId, Interlocked.Increment(ref s_counter) - 1);
        FilePath = Path.Combine(runDirectory, name);
        _stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        WriteRecord(TensorBoardEvents.FileVersionEvent(now));
        Flush();
        TimeSpan interval = flushInterval ?? TimeSpan.FromSeconds(15);
        if (interval > TimeSpan.Zero) _timer = new Timer(_ => BackgroundFlush(), null, interval, interval);
    }

    /// <summary>Path of the event file.</summary>
    public string FilePath { get; }

    /// <summary>Logs a scalar (legacy simple_value, which TensorBoard still reads).</summary>
    public void AddScalar(string tag, float value, long step) =>
        WriteRecord(TensorBoardEvents.ScalarEvent(_clock(), step, tag, value));

    /// <summary>Logs markdown text, e.g. the resolved hyperparameter table, under <c>&lt;name&gt;/text_summary</c>.</summary>
    public void AddText(string name, string markdown, long step) =>
        WriteRecord(TensorBoardEvents.TextEvent(_clock(), step, name, markdown));

    /// <summary>Logs a key/value table (hyperparameters) as a markdown text summary.</summary>
    public void AddHyperparameters(IEnumerable<KeyValuePair<string, string>> values, long step = 0, string name = "hparams")
    {
        var sb = new System.Text.StringBuilder("| parameter | value |\n|---|---|\n");
        foreach (var kv in values) sb.Append(CultureInfo.InvariantCulture, $"| {kv.Key} | {kv.Value} |\n");
        AddText(name, sb.ToString(), step);
    }

    /// <summary>Logs an encoded image (PNG) or an animated GIF (<see cref="GifEncoder"/>), shown in the Images tab.</summary>
    public void AddImage(string tag, ReadOnlySpan<byte> encoded, int height, int width, TensorBoardEvents.Colorspace colorspace, long step) =>
        WriteRecord(TensorBoardEvents.ImageEvent(_clock(), step, tag, encoded, height, width, colorspace));

    /// <summary>
    /// Marks a resume at <paramref name="step"/>: TensorBoard discards events with step ≥ <paramref name="step"/>
    /// that a crashed run wrote after its last checkpoint.
    /// </summary>
    public void AddSessionStart(long step) => WriteRecord(TensorBoardEvents.SessionStartEvent(_clock(), step));

    /// <summary>Pushes buffered records to the operating system and the disk.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Stops the timer, flushes and closes the file.</summary>
    public void Dispose()
    {
        _timer?.Dispose();
        lock (_gate)
        {
            if (_disposed) return;
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            _disposed = true;
        }
    }

    // An exception escaping a timer callback would kill the process, so a failed background flush (disk full)
    // is kept and rethrown by the next write on the training thread.
    private void BackgroundFlush()
    {
        try { Flush(); }
        catch (IOException ex) { _backgroundError = ex; }
    }

    private void WriteRecord(byte[] eventBytes)
    {
        byte[] record = TensorBoardEvents.Frame(eventBytes);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_backgroundError is { } error)
            {
                _backgroundError = null;
                throw new IOException($"Background flush of '{FilePath}' failed: {error.Message}", error);
            }
            _stream.Write(record);
        }
    }
}
