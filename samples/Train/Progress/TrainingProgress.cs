using System.Globalization;
using Spectre.Console;

namespace MoeScratch.Train.Progress;

/// <summary>What the progress display shows (ecosystem.md §5.1 item 5).</summary>
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

    /// <summary>The cleanrl-style one-line form, InvariantCulture (ecosystem.md §3).</summary>
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
/// few seconds, because Spectre's progress bar prints nothing when stdout is not a terminal (ecosystem.md §3 trap).
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
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, totalSteps));
                result = body(new SpectreProgress(task));
                task.StopTask();
            });
        return result;
    }

    private sealed class SpectreProgress(ProgressTask task) : IProgressSink
    {
        public void Report(ProgressSnapshot s)
        {
            task.Value = Math.Min(s.Steps, task.MaxValue);
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{s.Steps:N0} steps | {s.StepsPerSecond:F0} sps | return {s.RecentReturn:F2} ({s.Episodes} ep) | loss {s.Loss:G3} | ε {s.Epsilon:F3} | ETA {ProgressSnapshot.FormatEta(s.Eta)}"));
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
