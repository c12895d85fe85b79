using System.Globalization;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Config;

/// <summary>
/// A sweep's network variant: <c>name[:part]…</c>, each part at most once and in any order:
/// <c>&lt;n&gt;</c> experts, <c>&lt;tokenizer&gt;</c> and <c>h&lt;n&gt;</c> expert hidden size for MoE networks,
/// <c>x&lt;k&gt;</c> width multiplier for dense ones. Examples: <c>baseline</c>, <c>baseline:x4</c>, <c>softmoe:4</c>,
/// <c>softmoe:4:perfeat</c>, <c>softmoe:1:h2048</c>. Parts left out keep <c>train</c>'s defaults.
/// </summary>
/// <param name="Text">The spec as written.</param>
/// <param name="Network">Network name.</param>
/// <param name="Experts">Experts, or null for the default.</param>
/// <param name="Tokenizer">Tokenizer, or null for the default.</param>
/// <param name="WidthMultiplier">Dense width multiplier, or null for 1.</param>
/// <param name="ExpertHidden">Expert hidden size, or null for the default.</param>
public sealed record NetworkSpec(string Text, string Network, int? Experts, string? Tokenizer, int? WidthMultiplier, int? ExpertHidden)
{
    /// <summary>The accepted forms, for error messages and <c>--help</c>.</summary>
    public static string Forms =>
        $"dense ({string.Join("|", Choices.Networks.Where(n => !Choices.IsMoe(n)))})[:x<width multiplier>]; " +
        $"MoE ({string.Join("|", Choices.Networks.Where(RunConfigRules.TakesTokenizer))})[:<experts>][:<tokenizer>][:h<expert hidden size>]; " +
        $"({string.Join("|", Choices.Networks.Where(n => Choices.IsMoe(n) && !RunConfigRules.TakesTokenizer(n)))})[:<experts>][:h<expert hidden size>]; " +
        $"tokenizers: {string.Join(", ", Choices.Tokenizers)}; e.g. baseline:x4, softmoe:4:perfeat, softmoe:1:h2048";

    /// <summary>Parses a spec.</summary>
    /// <exception cref="ArgumentException">One line naming the spec, the part and the forms allowed.</exception>
    public static NetworkSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().ToLowerInvariant().Split(':');
        string name = parts[0];
        ArgumentException Bad(string why) => new($"--networks: '{text}': {why}. Allowed: {Forms}.");
        if (!Choices.Networks.Contains(name)) throw Bad($"'{name}' is not a network");
        bool moe = Choices.IsMoe(name);
        int? experts = null, width = null, hidden = null;
        string? tokenizer = null;
        foreach (string part in parts.Skip(1))
        {
            if (part.Length == 0) throw Bad("an empty part (two ':' in a row or a trailing ':')");
            if (char.IsAsciiDigit(part[0]))
            {
                if (!moe) throw Bad($"'{part}' is an expert count, which applies to MoE networks; a dense network takes a width multiplier, e.g. {name}:x{part}");
                experts = Set(experts, Number(part, 1, 1024, "an expert count"), "an expert count");
            }
            else if (part[0] == 'x')
            {
                if (moe) throw Bad($"'{part}' is a width multiplier, which applies to dense networks; scale {name} by its expert count ({name}:8) or expert hidden size ({name}:4:h1024)");
                width = Set(width, Number(part[1..], 1, 64, "a width multiplier x<k>"), "a width multiplier");
            }
            else if (part[0] == 'h' && part.Length > 1 && char.IsAsciiDigit(part[1]))
            {
                if (!moe) throw Bad($"'{part}' is an expert hidden size, which applies to MoE networks");
                hidden = Set(hidden, Number(part[1..], 1, 65_536, "an expert hidden size h<n>"), "an expert hidden size");
            }
            else if (Choices.Tokenizers.Contains(part))
            {
                if (!RunConfigRules.TakesTokenizer(name)) throw Bad($"'{part}' is a tokenizer, which {name} does not take");
                tokenizer = Set(tokenizer, part, "a tokenizer");
            }
            else
            {
                throw Bad($"'{part}' is not a part of a network spec");
            }
        }
        return new NetworkSpec(text, name, experts, tokenizer, width, hidden);

        T Set<T>(T? current, T value, string what) => current is null ? value : throw Bad($"{what} is given twice");
        int Number(string digits, int min, int max, string what) =>
            int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
                ? v
                : throw Bad($"'{digits}' is not {what} in [{min}, {max}]");
    }

    /// <summary>The <c>train</c> flags this spec stands for.</summary>
    public IReadOnlyList<string> TrainFlags()
    {
        var flags = new List<string> { "--network", Network };
        if (Experts is int e) flags.AddRange(["--experts", e.ToString(CultureInfo.InvariantCulture)]);
        if (Tokenizer is string t) flags.AddRange(["--tokenizer", t]);
        if (WidthMultiplier is int w) flags.AddRange(["--width-multiplier", w.ToString(CultureInfo.InvariantCulture)]);
        if (ExpertHidden is int h) flags.AddRange(["--expert-hidden", h.ToString(CultureInfo.InvariantCulture)]);
        return flags;
    }

    /// <summary><paramref name="c"/> with this spec's network settings (parts left out keep <paramref name="c"/>'s).</summary>
    public TrainConfig ApplyTo(TrainConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c with
        {
            Network = Network,
            Experts = Experts ?? c.Experts,
            Tokenizer = Tokenizer ?? c.Tokenizer,
            WidthMultiplier = WidthMultiplier ?? c.WidthMultiplier,
            ExpertHidden = ExpertHidden ?? c.ExpertHidden,
        };
    }
}
