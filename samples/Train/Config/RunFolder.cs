using System.Globalization;

namespace MoeScratch.Train.Config;

/// <summary>
/// The run folder <c>&lt;out&gt;/&lt;env&gt;__&lt;experiment&gt;__&lt;seed&gt;__&lt;timestamp&gt;/</c> (cleanrl's naming,
/// as users of RL training tools expect) and the names of the files inside it.
/// </summary>
public static class RunFolder
{
    /// <summary>The resolved configuration.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>One row per training episode (the learning curve).</summary>
    public const string MetricsFile = "metrics.csv";

    /// <summary>
    /// The analysis probes (P1 Fig. 10), in long format: one row (total_steps, tag, value) per scalar and probe, the
    /// same <c>analysis/…</c> tags as in TensorBoard. Long because the tag set depends on the network (one
    /// <c>expert_mass_i</c> per expert) while <see cref="MetricsFile"/> has fixed columns. Absent when probes are off.
    /// </summary>
    public const string AnalysisFile = "analysis.csv";

    /// <summary>Checkpoint root inside the run folder.</summary>
    public const string CheckpointDir = "checkpoints";

    /// <summary>The learning-curve plot written at the end of training.</summary>
    public const string LearningCurveFile = "learning_curve.png";

    /// <summary>The end-of-run summary paragraph.</summary>
    public const string SummaryFile = "summary.txt";

    /// <summary>Builds the folder name; the timestamp is UTC with second resolution, sortable.</summary>
    public static string Name(string env, string experiment, ulong seed, DateTime utc) =>
        string.Join("__", Sanitize(env), Sanitize(experiment), seed.ToString(CultureInfo.InvariantCulture),
                    utc.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    /// <summary>Splits a folder name into (env, experiment, seed); false when it does not follow <see cref="Name"/>.</summary>
    public static bool TryParseName(string folderName, out string env, out string experiment, out ulong seed)
    {
        env = experiment = "";
        seed = 0;
        string[] parts = folderName.Split("__");
        if (parts.Length != 4 || !ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out seed)) return false;
        env = parts[0];
        experiment = parts[1];
        return true;
    }

    /// <summary>True when <paramref name="name"/> uses only characters safe in folder names on every OS.</summary>
    public static bool IsSafeName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') && !name.Contains("__", StringComparison.Ordinal);

    /// <summary>Replaces characters that are unsafe in folder names (':', '/', spaces …) with '-'.</summary>
    public static string Sanitize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var chars = text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-').ToArray();
        return new string(chars).Replace("__", "_", StringComparison.Ordinal);
    }
}
