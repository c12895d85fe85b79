using System.Buffers.Binary;
using System.Text.Json;

namespace MoeScratch.Nn.Checkpoints;

/// <summary>The contents of a safetensors file: optional string metadata and the tensors in file order.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, SafeTensorEntry> _byName;

    internal SafeTensorsFile(IReadOnlyDictionary<string, string>? metadata, IReadOnlyList<SafeTensorEntry> entries)
    {
        Metadata = metadata;
        Entries = entries;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>The <c>__metadata__</c> block, or null when the file has none.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; }

    /// <summary>Tensors in the order of their data offsets.</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    /// <summary>The tensor called <paramref name="name"/>; throws a KeyNotFoundException listing what exists.</summary>
    public SafeTensorEntry this[string name] => _byName.TryGetValue(name, out var e) ? e
        : throw new KeyNotFoundException($"No tensor '{name}' in the safetensors file; it holds: {string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal))}.");

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGet(string name, out SafeTensorEntry entry) => _byName.TryGetValue(name, out entry!);
}

/// <summary>
/// Hand-written safetensors writer and reader (huggingface/safetensors `tensor.rs`).
/// The writer reproduces the reference layout byte for byte; the reader performs the reference checks.
/// </summary>
public static class SafeTensors
{
    /// <summary>The reserved header key for string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The reference reader refuses headers above 100 000 000 bytes (`HeaderTooLarge`).</summary>
    public const long MaxHeaderSize = 100_000_000;

    /// <summary>Serializes tensors and optional metadata to the exact bytes the reference writer produces.</summary>
    public static byte[] Serialize(IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in list)
            if (!names.Add(e.Name)) throw new ArgumentException($"Duplicate tensor name '{e.Name}'; safetensors forbids duplicate keys.", nameof(entries));
        // Reference `prepare`: sort by dtype descending (alignment order), then by name, so every tensor is aligned.
        list.Sort((a, b) =>
        {
            int c = SafeTensorDTypes.WriterRank(b.DType).CompareTo(SafeTensorDTypes.WriterRank(a.DType));
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });

        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is not null)
            {
                // The reference keeps a HashMap (unordered); sorting keys makes our output deterministic.
                w.WriteStartObject(MetadataKey);
                foreach (var kv in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in list)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", SafeTensorDTypes.ToName(e.DType));
                w.WriteStartArray("shape");
                foreach (int d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.Data.LongLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.Data.LongLength;
            }
            w.WriteEndObject();
        }
        int headerLen = (int)headerStream.Length;
        int padded = (headerLen + 7) / 8 * 8;
        long total = 8 + padded + list.Sum(e => e.Data.LongLength);
        var result = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        headerStream.GetBuffer().AsSpan(0, headerLen).CopyTo(result.AsSpan(8));
        result.AsSpan(8 + headerLen, padded - headerLen).Fill((byte)' ');
        long pos = 8 + padded;
        foreach (var e in list)
        {
            e.Data.CopyTo(result, pos);
            pos += e.Data.LongLength;
        }
        return result;
    }

    /// <summary>Writes a safetensors file atomically (temp file, fsync, rename; see <see cref="AtomicFile"/>).</summary>
    public static void Save(string path, IEnumerable<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] bytes = Serialize(entries, metadata);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Reads and validates a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The file is truncated or malformed; the message names the file and the problem.</exception>
    public static SafeTensorsFile Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return Deserialize(bytes, path);
    }

    /// <summary>Parses and validates safetensors bytes; <paramref name="source"/> names them in error messages.</summary>
    public static SafeTensorsFile Deserialize(ReadOnlySpan<byte> bytes, string source = "<memory>")
    {
        if (bytes.Length < 8)
            throw Fail(source, $"file is {bytes.Length} bytes, shorter than the 8-byte header length prefix (truncated?)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderSize)
            throw Fail(source, $"header length {n} exceeds the {MaxHeaderSize}-byte limit (corrupted length prefix?)");
        if (8 + (long)n > bytes.Length)
            throw Fail(source, $"header length {n} runs past the end of the {bytes.Length}-byte file (truncated?)");
        var header = bytes.Slice(8, (int)n);
        if (n == 0 || header[0] != (byte)'{')
            throw Fail(source, "header does not start with '{' (not a safetensors file, or corrupted header)");

        var (metadata, infos) = ParseHeader(header, source);
        var ordered = infos.OrderBy(t => t.Begin).ToList();
        long buffer = bytes.Length - 8 - (long)n;
        long start = 0;
        var entries = new List<SafeTensorEntry>(ordered.Count);
        foreach (var t in ordered)
        {
            if (t.Begin != start || t.End < t.Begin)
                throw Fail(source, $"tensor '{t.Name}' has data_offsets [{t.Begin}, {t.End}] but the previous tensor ends at {start}; offsets must be contiguous from 0 (InvalidOffset)");
            long size = ByteSize(t, source);
            if (t.End - t.Begin != size)
                throw Fail(source, $"tensor '{t.Name}' is {t.DType} [{string.Join(", ", t.Shape)}] = {size} bytes but its data_offsets span {t.End - t.Begin} (TensorInvalidInfo)");
            if (t.End > buffer)
                throw Fail(source, $"tensor '{t.Name}' ends at byte {t.End} of a {buffer}-byte data buffer (truncated?)");
            var data = bytes.Slice(8 + (int)n + (int)t.Begin, (int)size).ToArray();
            entries.Add(new SafeTensorEntry(t.Name, t.DType, t.Shape, data));
            start = t.End;
        }
        if (start != buffer)
            throw Fail(source, $"tensors cover {start} bytes but the data buffer holds {buffer}; the buffer must be covered exactly, with no trailing bytes (MetadataIncompleteBuffer)");
        return new SafeTensorsFile(metadata, entries);
    }

    private static long ByteSize(TensorInfo t, string source)
    {
        try
        {
            long count = 1;
            foreach (int d in t.Shape) count = checked(count * d);
            return checked(count * SafeTensorDTypes.SizeOf(t.DType));
        }
        catch (OverflowException)
        {
            throw Fail(source, $"tensor '{t.Name}' shape [{string.Join(", ", t.Shape)}] overflows a 64-bit byte count (TensorInvalidInfo)");
        }
    }

    private readonly record struct TensorInfo(string Name, SafeTensorDType DType, int[] Shape, long Begin, long End);

    private static (Dictionary<string, string>?, List<TensorInfo>) ParseHeader(ReadOnlySpan<byte> header, string source)
    {
        Dictionary<string, string>? metadata = null;
        var infos = new List<TensorInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var r = new Utf8JsonReader(header);
            Expect(ref r, JsonTokenType.StartObject, "the header object", source);
            while (Next(ref r, source) != JsonTokenType.EndObject)
            {
                string key = r.GetString()!;
                if (!seen.Add(key)) throw Fail(source, $"duplicate key '{key}' in the header");
                if (key == MetadataKey)
                {
                    metadata = [];
                    Expect(ref r, JsonTokenType.StartObject, "__metadata__ to be an object of strings", source);
                    while (Next(ref r, source) != JsonTokenType.EndObject)
                    {
                        string mk = r.GetString()!;
                        Expect(ref r, JsonTokenType.String, $"__metadata__.{mk} to be a string (no nested JSON)", source);
                        if (!metadata.TryAdd(mk, r.GetString()!)) throw Fail(source, $"duplicate key '{mk}' in __metadata__");
                    }
                    continue;
                }
                infos.Add(ParseTensor(ref r, key, source));
            }
            if (r.Read()) throw Fail(source, "unexpected content after the header object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"safetensors '{source}': header is not valid JSON: {ex.Message}", ex);
        }
        return (metadata, infos);
    }

    private static TensorInfo ParseTensor(ref Utf8JsonReader r, string name, string source)
    {
        Expect(ref r, JsonTokenType.StartObject, $"tensor '{name}' to be an object", source);
        string? dtypeName = null;
        List<int>? shape = null;
        long[]? offsets = null;
        while (Next(ref r, source) != JsonTokenType.EndObject)
        {
            string field = r.GetString()!;
            switch (field)
            {
                case "dtype":
                    Expect(ref r, JsonTokenType.String, $"'{name}'.dtype to be a string", source);
                    dtypeName = r.GetString();
                    break;
                case "shape":
                    Expect(ref r, JsonTokenType.StartArray, $"'{name}'.shape to be an array", source);
                    shape = [];
                    while (Next(ref r, source) != JsonTokenType.EndArray)
                    {
                        if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out int d) || d < 0)
                            throw Fail(source, $"tensor '{name}': shape entries must be non-negative integers");
                        shape.Add(d);
                    }
                    break;
                case "data_offsets":
                    Expect(ref r, JsonTokenType.StartArray, $"'{name}'.data_offsets to be an array", source);
                    var o = new List<long>();
                    while (Next(ref r, source) != JsonTokenType.EndArray)
                    {
                        if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v) || v < 0)
                            throw Fail(source, $"tensor '{name}': data_offsets entries must be non-negative integers");
                        o.Add(v);
                    }
                    if (o.Count != 2) throw Fail(source, $"tensor '{name}': data_offsets must hold [begin, end], found {o.Count} values");
                    offsets = [.. o];
                    break;
                default:
                    throw Fail(source, $"tensor '{name}' has unknown field '{field}' (expected dtype, shape, data_offsets)");
            }
        }
        if (dtypeName is null || shape is null || offsets is null)
            throw Fail(source, $"tensor '{name}' lacks one of dtype, shape, data_offsets");
        if (!SafeTensorDTypes.TryParse(dtypeName, out var dtype))
            throw Fail(source, $"tensor '{name}' has dtype '{dtypeName}'; MoeScratch supports F32, F16, BF16, I32, I64, U8");
        return new TensorInfo(name, dtype, [.. shape], offsets[0], offsets[1]);
    }

    private static JsonTokenType Next(ref Utf8JsonReader r, string source)
    {
        if (!r.Read()) throw Fail(source, "header JSON ends early");
        return r.TokenType;
    }

    private static void Expect(ref Utf8JsonReader r, JsonTokenType type, string what, string source)
    {
        if (Next(ref r, source) != type) throw Fail(source, $"expected {what}, found {r.TokenType}");
    }

    private static InvalidDataException Fail(string source, string problem) =>
        new($"safetensors '{source}': {problem}.");
}
