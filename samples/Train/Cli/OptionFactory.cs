using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MoeScratch.Train.Cli;

/// <summary>
/// Typed options whose parse errors name the flag, the bad value and what is allowed (the issue's requirement;
/// System.CommandLine's stock message only names the .NET type).
/// </summary>
internal static class OptionFactory
{
    /// <summary>A string option restricted to <paramref name="allowed"/> (case-insensitive, stored lower case).</summary>
    public static Option<string> Choice(string name, string description, IReadOnlyList<string> allowed, string? defaultValue = null)
    {
        var o = new Option<string>(name)
        {
            Description = $"{description} One of: {string.Join(", ", allowed)}." + (defaultValue is null ? "" : $" [default: {defaultValue}]"),
            HelpName = string.Join("|", allowed),
            CustomParser = r => r.Tokens.Count == 0 ? "" : r.Tokens[^1].Value.ToLowerInvariant(),
        };
        if (defaultValue is not null) o.DefaultValueFactory = _ => defaultValue;
        o.Validators.Add(r =>
        {
            string? v = r.GetValueOrDefault<string>();
            if (v is not null && !allowed.Contains(v))
                r.AddError($"{name}: '{v}' is not allowed; allowed values: {string.Join(", ", allowed)}.");
        });
        return o;
    }

    /// <summary>An integer option with an inclusive range.</summary>
    public static Option<long?> Integer(string name, string description, long min, long max = long.MaxValue)
    {
        string range = max == long.MaxValue ? $"an integer ≥ {min}" : $"an integer in [{min}, {max}]";
        return new Option<long?>(name)
        {
            Description = $"{description} ({range})",
            HelpName = "n",
            CustomParser = r =>
            {
                string text = r.Tokens.Count == 0 ? "" : r.Tokens[^1].Value.Replace("_", "", StringComparison.Ordinal);
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max) return v;
                r.AddError($"{name}: '{(r.Tokens.Count == 0 ? "" : r.Tokens[^1].Value)}' is not valid; expected {range}.");
                return null;
            },
        };
    }

    /// <summary>A floating-point option with exclusive bounds.</summary>
    public static Option<double?> Real(string name, string description, double greaterThan, double lessThan = double.PositiveInfinity)
    {
        string range = double.IsPositiveInfinity(lessThan)
            ? string.Create(CultureInfo.InvariantCulture, $"a number > {greaterThan}")
            : string.Create(CultureInfo.InvariantCulture, $"a number in ({greaterThan}, {lessThan})");
        return RealOption(name, description, range, v => v > greaterThan && v < lessThan);
    }

    /// <summary>A floating-point option with inclusive bounds [min, max] (e.g. a threshold that may be 0).</summary>
    public static Option<double?> Closed(string name, string description, double min, double max) =>
        RealOption(name, description, string.Create(CultureInfo.InvariantCulture, $"a number in [{min}, {max}]"),
                   v => v >= min && v <= max);

    // NaN fails every comparison, so "NaN" is refused like any other out-of-range text.
    private static Option<double?> RealOption(string name, string description, string range, Func<double, bool> allowed) =>
        new(name)
        {
            Description = $"{description} ({range})",
            HelpName = "x",
            CustomParser = r =>
            {
                string text = r.Tokens.Count == 0 ? "" : r.Tokens[^1].Value;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && allowed(v)) return v;
                r.AddError($"{name}: '{text}' is not valid; expected {range}.");
                return null;
            },
        };

    /// <summary>A free-text option (paths, names).</summary>
    public static Option<string?> Text(string name, string description, string helpName = "text") =>
        new(name) { Description = description, HelpName = helpName };

    /// <summary>True when the user typed the option (not a default).</summary>
    public static bool Given(ParseResult pr, Option option) => pr.GetResult(option) is { Implicit: false };
}
