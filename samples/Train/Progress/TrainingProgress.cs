using System.Globalization;
using Spectre.Console;

namespace MoeScratch.Train.Progress;

/// <summary>What the progress display shows.</summary>
/// <param name="Steps">Training steps done.</param>
/// <param name="TotalSteps">Training steps of the whole run.</param>
/// <param name="StepsPerSecond">Recent throughput (agent steps per wall second).</param>
/// <param name="RecentReturn">Mean return of the recent training episodes (NaN before the first).</param>
/// <param name="Episodes">Training episodes finished.</param>
/// <param name="Loss">Latest training loss (NaN before the first update).</param>
/// <param name="Epsilon">Current exploration ε.</param>
public readonly record struct ProgressSnapshot(long Steps, long TotalSteps, double StepsPerSecond, double RecentReturn,
                                               long Episodes, double Loss, double Epsilon)
{
    /// <summary>Estimated time left at the recent throughput.</summary>
    public TimeSpan? Eta => StepsPerSecond > 0 ? TimeSpan.FromSeconds((TotalSteps - Steps) / StepsPerSecond) : null;

    /// <summary>The cleanrl-style one-line form, InvariantCulture.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"step={Steps}/{TotalSteps} sps={StepsPerSecond:F0} episodes={Episodes} ret_recent={RecentReturn:F2} loss={Loss:G4} eps={Epsilon:F3} eta={FormatEta(Eta)}");

    /// <summary>"h:mm:ss", or "?" when unknown.</summary>
    public static string FormatEta(TimeSpan? eta) =>
        eta is { } t ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}") : "?";
}

/// <summary>Receives progress updates from the training loop.</summary>
public interface IProgressSink
{
    /// <summary>Shows the latest state (cheap to call often; implementations throttle).</summary>
    void Report(ProgressSnapshot snapshot);
}

/// <summary>
/// Chooses the display: a Spectre.Console progress bar on an interactive terminal, otherwise plain lines every
/// few seconds, because Spectre's progress bar prints nothing when stdout is not a terminal.
/// </summary>
public static class TrainingProgress
{
    /// <summary>True when a live Spectre display can render.</summary>
    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="body"/> with a progress sink suited to the console.</summary>
    /// <param name="mode">"auto", "rich" or "plain".</param>
    /// <param name="title">Description of the run.</param>
    /// <param name="totalSteps">Steps of the whole run (the bar's maximum).</param>
    /// <param name="plainEvery">Interval between plain lines.</param>
    /// <param name="output">Where plain lines go.</param>
    /// <param name="body">The training loop.</param>
    public static T Run<T>(string mode, string title, long totalSteps, TimeSpan plainEvery, TextWriter output, Func<IProgressSink, T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        bool rich = mode == "rich" || (mode == "auto" && Interactive);
        if (!rich) return body(new PlainProgress(output, plainEvery));
        // A live table rather than Spectre's Progress: its description column is cut to "…" on an 80-column
        // terminal once the statistics are in it.
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        foreach (string header in new[] { "progress", "steps", "steps/s", "return", "episodes", "loss", "ε", "ETA" })
            table.AddColumn(new TableColumn(header).RightAligned());
        table.AddRow(Enumerable.Repeat("…", 8).ToArray());
        T result = default!;
        AnsiConsole.Live(table).AutoClear(false).Start(ctx =>
        {
            var sink = new SpectreProgress(table, ctx);
            result = body(sink);
            sink.Render(force: true);
        });
        return result;
    }

    private sealed class SpectreProgress(Table table, LiveDisplayContext context) : IProgressSink
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.MinValue;
        private ProgressSnapshot _latest;

        public void Report(ProgressSnapshot s)
        {
            _latest = s;
            Render(force: false);
        }

        public void Render(bool force)
        {
            if (!force && _last != TimeSpan.MinValue && _clock.Elapsed - _last < TimeSpan.FromMilliseconds(250)) return;
            _last = _clock.Elapsed;
            ProgressSnapshot s = _latest;
            double fraction = s.TotalSteps > 0 ? Math.Clamp((double)s.Steps / s.TotalSteps, 0, 1) : 0;
            const int Width = 10;
            int filled = (int)Math.Round(fraction * Width);
            string bar = $"[green]{new string('━', filled)}[/][grey]{new string('━', Width - filled)}[/] {fraction * 100:F0}%";
            string[] cells =
            [
                bar,
                s.Steps.ToString("N0", CultureInfo.InvariantCulture),
                s.StepsPerSecond.ToString("F0", CultureInfo.InvariantCulture),
                s.RecentReturn.ToString("F2", CultureInfo.InvariantCulture),
                s.Episodes.ToString(CultureInfo.InvariantCulture),
                s.Loss.ToString("G3", CultureInfo.InvariantCulture),
                s.Epsilon.ToString("F3", CultureInfo.InvariantCulture),
                ProgressSnapshot.FormatEta(s.Eta),
            ];
            for (int c = 0; c < cells.Length; c++) table.UpdateCell(0, c, c == 0 ? cells[c] : Markup.Escape(cells[c]));
            context.Refresh();
        }
    }
}

/// <summary>Plain progress lines at most every <c>every</c> (and always for the final step), for CI logs.</summary>
public sealed class PlainProgress(TextWriter output, TimeSpan every) : IProgressSink
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.MinValue;

    /// <inheritdoc/>
    public void Report(ProgressSnapshot snapshot)
    {
        bool final = snapshot.Steps >= snapshot.TotalSteps;
        if (!final && _last != TimeSpan.MinValue && _clock.Elapsed - _last < every) return;
        _last = _clock.Elapsed;
        output.WriteLine(snapshot.ToLine());
        output.Flush();
    }
}
