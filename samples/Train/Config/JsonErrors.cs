using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace MoeScratch.Train.Config;

/// <summary>
/// Rewrites System.Text.Json's messages, which name .NET types and members ("could not be converted to
/// System.Int32", "could not be mapped to any .NET member contained in type …TrainConfig"), into
/// <c>file: $.path: problem; fix</c> lines that name the key and what the file may hold.
/// </summary>
public static partial class JsonErrors
{
    /// <summary>One line for <paramref name="e"/>, raised while reading <paramref name="source"/> into <paramref name="target"/>.</summary>
    public static string Describe(JsonException e, Type target, string source)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(target);
        string path = e.Path ?? "$";
        string where = e.LineNumber is long line ? $"{source}:{line + 1}: {path}" : $"{source}: {path}";
        string message = e.Message;
        Match unknown = UnknownMember().Match(message);
        if (unknown.Success)
        {
            string key = unknown.Groups["key"].Value;
            string close = Keys(target).OrderBy(k => Cli.CliApp.Distance(k, key)).First();
            return $"{where}: unknown key '{key}'{(Cli.CliApp.Distance(close, key) <= 2 ? $" (did you mean '{close}'?)" : "")}; valid keys: {string.Join(", ", Keys(target))}.";
        }
        Match convert = CannotConvert().Match(message);
        if (convert.Success)
        {
            return path == "$"
                ? $"{where}: expected a JSON object {{ \"key\": value, … }} with keys {string.Join(", ", Keys(target))}."
                : $"{where}: wrong type; expected {Expected(convert.Groups["type"].Value)}.";
        }
        if (message.Contains("doesn't allow setting null values", StringComparison.Ordinal))
            return $"{where}: null is not allowed here; give a value or leave the key out for the default.";
        // Syntax errors: keep the parser's description, drop its "Path: … | LineNumber: …" tail (given in front).
        string text = message.Split(" Path: ", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd();
        return $"{where}: malformed JSON: {text}";
    }

    /// <summary>
    /// The snake_case keys a file may hold for <paramref name="target"/>, in declaration order: writable public
    /// properties, and non-public ones marked [JsonInclude] under their [JsonPropertyName] (a property whose public
    /// face is computed, such as <see cref="TrainConfig.Preset"/>, is stored through one).
    /// </summary>
    public static IReadOnlyList<string> Keys(Type target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return
        [
            .. target.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
                     .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null
                                 && (p.GetCustomAttribute<JsonIncludeAttribute>() is not null || (p.CanWrite && p.GetMethod?.IsPublic == true)))
                     .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)),
        ];
    }

    private static string Expected(string type) => type.Replace("System.", "", StringComparison.Ordinal) switch
    {
        "Int32" or "Int64" => "an integer",
        "UInt64" => "a non-negative integer",
        "Double" or "Single" => "a number",
        "String" => "a string in double quotes",
        "Boolean" => "true or false",
        var t when t.EndsWith("[]", StringComparison.Ordinal) || t.StartsWith("Collections.", StringComparison.Ordinal) => "a list [ … ]",
        var t when t.StartsWith("Nullable", StringComparison.Ordinal) && t.Contains("Int", StringComparison.Ordinal) => "an integer or null",
        var t when t.StartsWith("Nullable", StringComparison.Ordinal) && (t.Contains("Double", StringComparison.Ordinal) || t.Contains("Single", StringComparison.Ordinal)) => "a number or null",
        _ => "a value of another type",
    };

    [GeneratedRegex("The JSON property '(?<key>[^']*)' could not be mapped to any .NET member")]
    private static partial Regex UnknownMember();

    [GeneratedRegex("The JSON value could not be converted to (?<type>[^ ]*?)\\. Path:")]
    private static partial Regex CannotConvert();
}
