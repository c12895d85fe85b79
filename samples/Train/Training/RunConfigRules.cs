using System.Globalization;
using System.Text.Json.Nodes;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Training;

/// <summary>
/// What may change when a run continues, and what a typed flag must agree with. A run is defined by its config.json;
/// a later session may only extend its budget (<c>--total-steps</c> and <c>--iterations</c>, keeping the length of an
/// iteration so the checkpointed iteration protocol stays valid) and change settings that never affect training
/// (logging cadence, analysis probes, the runs root). Everything else must equal the saved value.
/// </summary>
public static class RunConfigRules
{
    /// <summary>snake_case keys that a continuing session may change (the budget only upwards).</summary>
    public static IReadOnlySet<string> Mutable { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "total_steps", "iterations", "log_every_seconds", "summary_episodes", "probe_every", "probe_batch", "dormant_tau", "out",
    };

    /// <summary>The flag of a config key: <c>expert_hidden</c> → <c>--expert-hidden</c>.</summary>
    public static string Flag(string key) => "--" + key.Replace('_', '-');

    /// <summary>The keys outside <see cref="Mutable"/> on which <paramref name="a"/> and <paramref name="b"/> differ,
    /// with both values as JSON text.</summary>
    public static List<(string Key, string A, string B)> Differences(JsonObject a, JsonObject b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var keys = a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)).Where(k => !Mutable.Contains(k));
        var diffs = new List<(string, string, string)>();
        foreach (string k in keys)
        {
            string va = a[k]?.ToJsonString() ?? "null", vb = b[k]?.ToJsonString() ?? "null";
            if (va != vb) diffs.Add((k, va, vb));
        }
        return diffs;
    }

    /// <summary>The config as a JSON object (the form stored in config.json and in checkpoint manifests).</summary>
    public static JsonObject ToJson(TrainConfig c) => JsonNode.Parse(JsonConfig.Serialize(c))!.AsObject();

    /// <summary>
    /// Checks that <paramref name="requested"/> continues <paramref name="saved"/>: equal outside <see cref="Mutable"/>,
    /// and a budget that is the same or extended. Returns the config to run: <paramref name="requested"/> with the
    /// budget resolved (an extension keeps the saved iteration length; the same number of iterations keeps the
    /// saved budget exactly).
    /// </summary>
    /// <param name="saved">The run's config.json.</param>
    /// <param name="requested">The session's config (the saved one with the typed flags applied).</param>
    /// <param name="savedPath">Path of config.json, for messages.</param>
    /// <param name="iterationsGiven">True when the number of iterations was asked for explicitly (then it wins over
    /// the steps, which must agree with it).</param>
    /// <exception cref="ArgumentException">A fixed setting differs, the budget shrinks, or steps and iterations disagree.</exception>
    public static TrainConfig Continue(TrainConfig saved, TrainConfig requested, string savedPath, bool iterationsGiven)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(requested);
        var diffs = Differences(ToJson(requested), ToJson(saved));
        if (diffs.Count > 0)
        {
            throw new ArgumentException(
                $"{string.Join("; ", diffs.Select(d => $"{Flag(d.Key)} {d.A} differs from the run's {d.B}"))}: these settings cannot change " +
                $"once a run exists (they are in {savedPath}). Give the run's values or leave the flags out; use a new run folder " +
                "for other settings. Only --total-steps and --iterations (to extend the run) and the logging and probe flags may change.");
        }
        if (requested.TotalSteps == saved.TotalSteps && requested.Iterations == saved.Iterations) return requested;
        long perIteration = (saved.TotalSteps + saved.Iterations - 1) / saved.Iterations;
        int iterations = iterationsGiven ? requested.Iterations : (int)Math.Min(int.MaxValue, (requested.TotalSteps + perIteration - 1) / perIteration);
        if (iterationsGiven && requested.TotalSteps != saved.TotalSteps
            && (requested.TotalSteps + perIteration - 1) / perIteration != iterations)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--total-steps {requested.TotalSteps} and --iterations {iterations} disagree: the run's iterations are {perIteration} steps long, " +
                $"so {iterations} iterations are {iterations * perIteration} steps. Give one of the two flags."));
        }
        if (iterations < saved.Iterations)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--total-steps/--iterations may only extend a run: it has {saved.Iterations} iterations ({saved.TotalSteps} steps, {perIteration} per iteration) " +
                $"and the flags ask for {iterations}. Leave them out to continue it as it is."));
        }
        return iterations == saved.Iterations
            ? requested with { TotalSteps = saved.TotalSteps, Iterations = saved.Iterations }
            : requested with { TotalSteps = iterations * perIteration, Iterations = iterations };
    }

    /// <summary>
    /// Refuses typed flags that the chosen network would silently ignore: <c>--experts</c>, <c>--expert-hidden</c> and
    /// <c>--tokenizer</c> on a dense network, and <c>--tokenizer</c> on Soft MoE's Big and All variants, which route
    /// per-sample tokens (P1 §5.3).
    /// </summary>
    /// <param name="c">The resolved config.</param>
    /// <param name="typed">Whether the user typed a flag (by its name, e.g. "--experts").</param>
    /// <exception cref="ArgumentException">The first such flag, with the networks it applies to.</exception>
    public static void CheckNetworkFlags(TrainConfig c, Func<string, bool> typed)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(typed);
        var moe = Choices.Networks.Where(Choices.IsMoe).ToList();
        var tokenized = moe.Where(TakesTokenizer).ToList();
        foreach (string flag in new[] { "--experts", "--expert-hidden" })
        {
            if (typed(flag) && !Choices.IsMoe(c.Network))
                throw new ArgumentException($"{flag} applies to MoE networks ({string.Join(", ", moe)}) but --network is '{c.Network}', which would ignore it; drop {flag} or choose an MoE network.");
        }
        if (typed("--tokenizer") && !TakesTokenizer(c.Network))
            throw new ArgumentException($"--tokenizer applies to {string.Join(", ", tokenized)} but --network is '{c.Network}', which would ignore it; drop --tokenizer or choose one of those networks.");
    }

    /// <summary>True for the networks whose tokens come from <c>--tokenizer</c> (the Regular MoE layers).</summary>
    public static bool TakesTokenizer(string network) => Choices.IsMoe(network) && network is not ("softmoe-big" or "softmoe-all");
}
