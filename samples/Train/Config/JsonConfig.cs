using System.Text.Json;
using System.Text.Json.Serialization;

namespace MoeScratch.Train.Config;

/// <summary>
/// Strict JSON for config files: snake_case names, unknown keys are errors (a typo such as
/// <c>learning_rat</c> is refused with its name), comments and trailing commas allowed, nullability respected.
/// </summary>
public static class JsonConfig
{
    /// <summary>The strict options; shared so reading and writing agree.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    /// <summary>Serialises a config (the derived experiment name is included for readers of the folder).</summary>
    public static string Serialize(TrainConfig config) => JsonSerializer.Serialize(config, Options);

    /// <summary>Parses a config; errors name the file and the JSON path (<c>file: $.path: problem</c>).</summary>
    /// <exception cref="ArgumentException">Malformed JSON, an unknown key or a wrong type.</exception>
    public static TrainConfig Deserialize(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainConfig>(json, Options)
                   ?? throw new ArgumentException($"{source}: the file holds JSON null; expected an object of config fields.");
        }
        catch (JsonException e)
        {
            throw new ArgumentException(JsonErrors.Describe(e, typeof(TrainConfig), source), e);
        }
    }

    /// <summary>Reads a config file.</summary>
    public static TrainConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"Config file '{path}' does not exist.");
        return Deserialize(File.ReadAllText(path), path);
    }

    /// <summary>Writes <c>config.json</c> atomically (temp file + rename), so a crash never leaves half a file.</summary>
    public static void Save(TrainConfig config, string path) =>
        Nn.Checkpoints.AtomicFile.WriteAllText(path, Serialize(config));
}
