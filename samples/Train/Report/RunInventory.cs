using System.Globalization;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Report;

/// <summary>One run folder found by <see cref="RunInventory"/>.</summary>
/// <param name="Path">The folder.</param>
/// <param name="Config">Its config.json.</param>
/// <param name="Iteration">Iterations in its newest complete checkpoint (0 without one).</param>
/// <param name="Steps">Training steps in its newest complete checkpoint (0 without one).</param>
/// <param name="Running">True when a live trainer holds its lock.</param>
public sealed record RunEntry(string Path, TrainConfig Config, int Iteration, long Steps, bool Running)
{
    /// <summary>The identity a report counts once: (algorithm, task, seed), where the algorithm is the experiment
    /// name (by default the preset and the network tag), so (preset, env, network, seed) unless an experiment is named.</summary>
    public (string Algorithm, string Task, ulong Seed) Key => (Config.ExperimentName, EnvSpec.Parse(Config.Env).ShortName, Config.Seed);

    /// <summary>True when its newest checkpoint has reached the budget: unfinished runs are never reported as finished.</summary>
    public bool Finished => Iteration >= Config.Iterations;

    /// <summary>"iteration 3 of 10, 30,000 of 100,000 steps (running)".</summary>
    public string Progress => string.Create(CultureInfo.InvariantCulture,
        $"iteration {Iteration} of {Config.Iterations}, {Steps:N0} of {Config.TotalSteps:N0} steps{(Running ? ", running" : "")}");
}

/// <summary>
/// The run folders behind a report, counted once each: every folder with a config.json under the inputs, with its
/// progress read from its newest complete checkpoint (not from metrics.csv, which may hold rows past it). Folders that
/// are the same run (same <see cref="RunEntry.Key"/>: a restart under a new name, a copy) are resolved to the most
/// advanced with a warning naming the others; unfinished runs are listed with their progress and left out unless
/// asked for.
/// </summary>
public sealed class RunInventory
{
    /// <summary>CSV inputs, passed through.</summary>
    public List<string> CsvFiles { get; } = [];

    /// <summary>Run folders to report (one per key; finished ones, plus unfinished ones when asked).</summary>
    public List<RunEntry> Included { get; } = [];

    /// <summary>Unfinished runs (one per key), whether included or not.</summary>
    public List<RunEntry> Unfinished { get; } = [];

    /// <summary>Warnings: duplicates resolved, folders that could not be read.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Run folders found in all (before duplicates were resolved).</summary>
    public int FoldersFound { get; private set; }

    /// <summary>The inputs for <see cref="ScoreSet.Load"/>: the CSV files and the included run folders.</summary>
    public IReadOnlyList<string> Inputs => [.. CsvFiles, .. Included.Select(r => r.Path)];

    /// <summary>Scans the inputs.</summary>
    /// <exception cref="ArgumentException">An input that is neither a file nor a folder, or a folder with no run.</exception>
    public static RunInventory Scan(IEnumerable<string> inputs, bool includeUnfinished)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var inventory = new RunInventory();
        var runs = new List<RunEntry>();
        foreach (string input in inputs)
        {
            if (File.Exists(input))
            {
                inventory.CsvFiles.Add(input);
                continue;
            }
            if (!Directory.Exists(input)) throw new ArgumentException($"report: input '{input}' is neither a CSV file nor a folder.");
            var folders = IsRunFolder(input) ? [input]
                : Directory.EnumerateDirectories(input, "*", SearchOption.AllDirectories).Where(IsRunFolder).Order(StringComparer.Ordinal).ToList();
            if (folders.Count == 0) throw new ArgumentException($"report: '{input}' holds no run folder (a folder with {RunFolder.ConfigFile}).");
            foreach (string folder in folders)
            {
                try
                {
                    TrainConfig config = JsonConfig.Load(Path.Combine(folder, RunFolder.ConfigFile));
                    CheckpointSummary? newest = RunCheckpointer.PeekNewest(Path.Combine(folder, RunFolder.CheckpointDir));
                    runs.Add(new RunEntry(folder, config, newest?.Iteration ?? 0, newest?.TotalSteps ?? 0, RunLock.IsHeld(folder)));
                }
                catch (ArgumentException e)
                {
                    inventory.Warnings.Add($"left out '{folder}': {e.Message}");
                }
            }
        }
        inventory.FoldersFound = runs.Count;
        foreach (var group in runs.GroupBy(r => r.Key).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal))
        {
            // The most advanced: finished first, then the most checkpointed steps; the path breaks ties so reports repeat.
            var ordered = group.OrderByDescending(r => r.Finished).ThenByDescending(r => r.Steps).ThenBy(r => r.Path, StringComparer.Ordinal).ToList();
            RunEntry chosen = ordered[0];
            if (ordered.Count > 1)
            {
                inventory.Warnings.Add(
                    $"{ordered.Count} run folders are the same run ({group.Key.Algorithm}, {group.Key.Task}, seed {group.Key.Seed}): counted once, " +
                    $"using the most advanced, {chosen.Path} ({chosen.Progress}); ignored: {string.Join("; ", ordered.Skip(1).Select(r => $"{r.Path} ({r.Progress})"))}.");
            }
            if (!chosen.Finished) inventory.Unfinished.Add(chosen);
            if (chosen.Finished || includeUnfinished && HasTrainingEpisode(chosen.Path)) inventory.Included.Add(chosen);
        }
        return inventory;
    }

    private static bool IsRunFolder(string dir) => File.Exists(Path.Combine(dir, RunFolder.ConfigFile));

    // An unfinished run has a score only once an episode has ended, and while it runs (or after a crash) its last
    // metrics row may be half written: such a run stays listed as unfinished but is not scored.
    private static bool HasTrainingEpisode(string dir)
    {
        string metrics = Path.Combine(dir, RunFolder.MetricsFile);
        try
        {
            return File.Exists(metrics) && Training.MetricsCsv.Read(metrics).Any(r => r.Phase == "train");
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Markdown lines describing the runs: counts, unfinished runs with their progress, warnings.</summary>
    public IEnumerable<string> Describe(bool includeUnfinished)
    {
        int finished = Included.Count(r => r.Finished);
        string left = Unfinished.Count == 0 ? "."
            : includeUnfinished ? string.Create(CultureInfo.InvariantCulture, $", and {Unfinished.Count} unfinished run(s) reported at their current progress (--include-unfinished).")
            : string.Create(CultureInfo.InvariantCulture, $"; {Unfinished.Count} unfinished run(s) left out (pass --include-unfinished to report them at their current progress).");
        yield return string.Create(CultureInfo.InvariantCulture, $"{FoldersFound} run folder(s) found: {finished} finished run(s) reported") + left;
        foreach (RunEntry r in Unfinished) yield return $"- unfinished: {r.Path}: {r.Progress}";
        foreach (string w in Warnings) yield return $"- warning: {w}";
    }
}
