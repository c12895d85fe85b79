using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MoeScratch.Nn.Checkpoints;

/// <summary>Length and XxHash3 of one file of a checkpoint directory.</summary>
/// <param name="Name">File name relative to the checkpoint directory.</param>
/// <param name="Length">Byte length.</param>
/// <param name="XxHash3">XxHash3-64 (seed 0) of the contents, as 16 lowercase hex digits.</param>
public sealed record ManifestFile(string Name, long Length, string XxHash3);

/// <summary>
/// <c>manifest.json</c> of a checkpoint directory: format version, per-file length and XxHash3, and free-form
/// <see cref="Extra"/> JSON for the trainer (config, counters, RNG states). It is written last, so a directory
/// with a valid manifest is complete.
/// </summary>
public sealed class CheckpointManifest
{
    /// <summary>The manifest's file name inside a checkpoint directory.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The format version this code writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Format version read from or written to the file.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The files the manifest covers.</summary>
    public IReadOnlyList<ManifestFile> Files { get; init; } = [];

    /// <summary>Trainer-owned JSON (resolved config, step counters, RNG states), or null.</summary>
    public JsonObject? Extra { get; init; }

    /// <summary>Hashes a file's contents with XxHash3-64, returning 16 lowercase hex digits.</summary>
    public static string HashFile(string path)
    {
        var h = new XxHash3();
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            h.Append(fs);
        return h.GetCurrentHashAsUInt64().ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>Serializes the manifest as indented JSON.</summary>
    public string ToJson()
    {
        var files = new JsonArray();
        foreach (var f in Files)
            files.Add(new JsonObject { ["name"] = f.Name, ["length"] = f.Length, ["xxhash3"] = f.XxHash3 });
        var root = new JsonObject { ["format_version"] = FormatVersion, ["files"] = files };
        if (Extra is not null) root["extra"] = Extra.DeepClone();
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parses manifest JSON; <paramref name="source"/> names the file in errors.</summary>
    public static CheckpointManifest Parse(string json, string source)
    {
        try
        {
            var root = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException($"{source}: manifest is empty.");
            int version = root["format_version"]?.GetValue<int>() ?? throw new InvalidDataException($"{source}: missing format_version.");
            if (version != CurrentFormatVersion)
                throw new InvalidDataException($"{source}: manifest format_version {version} is not supported (this build reads {CurrentFormatVersion}).");
            var files = new List<ManifestFile>();
            foreach (var n in root["files"]?.AsArray() ?? throw new InvalidDataException($"{source}: missing files list."))
            {
                var o = n?.AsObject() ?? throw new InvalidDataException($"{source}: null entry in files.");
                files.Add(new ManifestFile(Required(o, "name", source).GetValue<string>(),
                    Required(o, "length", source).GetValue<long>(), Required(o, "xxhash3", source).GetValue<string>()));
            }
            return new CheckpointManifest { FormatVersion = version, Files = files, Extra = root["extra"]?.DeepClone().AsObject() };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: malformed checkpoint manifest: {ex.Message}", ex);
        }
    }

    private static JsonNode Required(JsonObject o, string key, string source) =>
        o[key] ?? throw new InvalidDataException($"{source}: a files entry lacks '{key}'.");

    /// <summary>
    /// Reads <c>manifest.json</c> in <paramref name="directory"/> and checks every listed file's length and XxHash3
    /// before anything is used. Throws <see cref="InvalidDataException"/> naming the first file that fails.
    /// </summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="lengthOnly">Files the caller will not read: checked for presence and length, not hashed.</param>
    public static CheckpointManifest LoadAndVerify(string directory, IReadOnlyCollection<string>? lengthOnly = null)
    {
        string manifestPath = Path.Combine(directory, FileName);
        if (!File.Exists(manifestPath))
            throw new InvalidDataException($"Checkpoint '{directory}' has no {FileName}; it is incomplete (crashed mid-write?) and must not be loaded.");
        var manifest = Parse(File.ReadAllText(manifestPath), manifestPath);
        foreach (var f in manifest.Files)
        {
            string path = Path.Combine(directory, f.Name);
            if (!File.Exists(path))
                throw new InvalidDataException($"Checkpoint file '{path}' listed in the manifest is missing.");
            long len = new FileInfo(path).Length;
            if (len != f.Length)
                throw new InvalidDataException($"Checkpoint file '{path}' is {len} bytes but the manifest records {f.Length} (truncated or overwritten).");
            if (lengthOnly is not null && lengthOnly.Contains(f.Name)) continue;
            string hash = HashFile(path);
            if (!string.Equals(hash, f.XxHash3, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"Checkpoint file '{path}' has XxHash3 {hash} but the manifest records {f.XxHash3} (corrupted).");
        }
        return manifest;
    }
}
