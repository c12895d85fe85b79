using System.Globalization;
using System.Text.Json;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Sweep;

/// <summary>
/// A study in one file (<c>sweep --protocol FILE</c>): the axes, the budget and any further <c>train</c> settings
/// shared by every job. Strict JSON like config files (snake_case keys, unknown keys are errors, comments allowed):
/// <code>
/// {
///   "presets": ["minatar-dqn"],
///   "envs": ["minatar:breakout", "minatar:asterix"],
///   "networks": ["baseline", "baseline:x4", "softmoe:4", "softmoe:4:perfeat", "softmoe:1:h2048"],
///   "seeds": [0, 1, 2, 3, 4],
///   "total_steps": 1000000,
///   "train": { "iterations": 10, "learning_rate": 0.0001 }
/// }
/// </code>
/// Every key is optional; an axis typed on the command line replaces the file's. <c>train</c> takes the snake_case
/// names of <c>train</c>'s flags except those a sweep sets itself (<see cref="SweepOwned"/>): network settings belong
/// in the network specs, so that run-folder names tell the runs apart.
/// </summary>
public sealed record SweepProtocol
{
    /// <summary>Agent presets.</summary>
    public IReadOnlyList<string>? Presets { get; init; }

    /// <summary>Environments.</summary>
    public IReadOnlyList<string>? Envs { get; init; }

    /// <summary>Network specs (<see cref="NetworkSpec"/>).</summary>
    public IReadOnlyList<string>? Networks { get; init; }

    /// <summary>Seeds.</summary>
    public IReadOnlyList<ulong>? Seeds { get; init; }

    /// <summary>Training steps per run.</summary>
    public long? TotalSteps { get; init; }

    /// <summary>Further <c>train</c> settings for every job, by snake_case flag name.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Train { get; init; }

    /// <summary>The train flags a sweep sets itself (per job, or from the axes and <c>total_steps</c>).</summary>
    public static IReadOnlySet<string> SweepOwned { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "preset", "env", "network", "experts", "tokenizer", "width_multiplier", "expert_hidden", "seed", "total_steps",
        "out", "experiment", "run_dir", "resume", "config", "threads", "progress",
    };

    /// <summary>Reads a protocol file.</summary>
    /// <exception cref="ArgumentException">Missing file, malformed JSON, an unknown key or a wrong type (one line naming
    /// the file, the key and what is allowed).</exception>
    public static SweepProtocol Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"--protocol: file '{path}' does not exist.");
        try
        {
            return JsonSerializer.Deserialize<SweepProtocol>(File.ReadAllText(path), JsonConfig.Options)
                   ?? throw new ArgumentException($"{path}: the file holds JSON null; expected an object with keys {string.Join(", ", JsonErrors.Keys(typeof(SweepProtocol)))}.");
        }
        catch (JsonException e)
        {
            throw new ArgumentException(JsonErrors.Describe(e, typeof(SweepProtocol), path), e);
        }
    }

    /// <summary>
    /// The <c>train</c> flags of <see cref="Train"/>, in the file's order. Keys must name <c>train</c> flags
    /// (<paramref name="trainFlags"/>, snake_case) outside <see cref="SweepOwned"/>; values are numbers or strings.
    /// </summary>
    /// <exception cref="ArgumentException">A key or value that is not allowed.</exception>
    public IReadOnlyList<string> TrainArguments(IReadOnlyCollection<string> trainFlags, string source)
    {
        ArgumentNullException.ThrowIfNull(trainFlags);
        var args = new List<string>();
        if (Train is null) return args;
        var allowed = trainFlags.Where(k => !SweepOwned.Contains(k)).ToList();
        foreach (var (key, value) in Train)
        {
            if (SweepOwned.Contains(key))
            {
                throw new ArgumentException($"{source}: $.train.{key}: a sweep sets '{key}' itself; " +
                    (key is "network" or "experts" or "tokenizer" or "width_multiplier" or "expert_hidden"
                        ? "put network settings in the network specs (e.g. \"softmoe:4:perfeat:h1024\"), so run-folder names tell the runs apart."
                        : $"use the top-level keys {string.Join(", ", JsonErrors.Keys(typeof(SweepProtocol)).Where(k => k != "train"))}."));
            }
            if (!allowed.Contains(key))
                throw new ArgumentException($"{source}: $.train.{key}: '{key}' is not a train flag; allowed: {string.Join(", ", allowed)}.");
            string text = value.ValueKind switch
            {
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.String => value.GetString()!,
                _ => throw new ArgumentException($"{source}: $.train.{key}: expected a number or a string, not {value.ValueKind.ToString().ToLowerInvariant()}."),
            };
            args.AddRange(["--" + key.Replace('_', '-'), text]);
        }
        return args;
    }

    /// <summary>The budget flag, when set.</summary>
    public IReadOnlyList<string> BudgetArguments() =>
        TotalSteps is long t ? ["--total-steps", t.ToString(CultureInfo.InvariantCulture)] : [];
}
