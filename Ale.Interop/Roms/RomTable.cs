using System.Security.Cryptography;
using System.Text.Json;

namespace MoeScratch.Ale.Roms;

/// <summary>A ROM that passed the pre-load checks.</summary>
/// <param name="Id">ALE game id (snake_case), e.g. "tetris".</param>
/// <param name="Path">Full path of the file.</param>
/// <param name="Md5">Lowercase hex MD5 of the file.</param>
public readonly record struct RomInfo(string Id, string Path, string Md5);

/// <summary>
/// ALE's supported-ROM table (file name → MD5, ALE's roms/md5.json, embedded from
/// <c>reference/ale-rom-md5.json</c>) and the checks that must run before <c>loadROM</c>: ALE ends the whole
/// process on a missing or unknown ROM (0.12: <c>std::exit(1)</c>; 0.6.1: exit or segfault), which no
/// exception handler can catch.
/// </summary>
public sealed class RomTable
{
    private readonly Dictionary<string, string> _md5ById;
    private readonly Dictionary<string, string> _idByMd5;

    /// <summary>Builds a table from <c>"&lt;id&gt;.bin" → md5</c> entries.</summary>
    public RomTable(IEnumerable<KeyValuePair<string, string>> md5ByFileName)
    {
        _md5ById = new Dictionary<string, string>(StringComparer.Ordinal);
        _idByMd5 = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (file, md5) in md5ByFileName)
        {
            string id = System.IO.Path.GetFileNameWithoutExtension(file).ToLowerInvariant();
            string hash = md5.ToLowerInvariant();
            _md5ById[id] = hash;
            _idByMd5.TryAdd(hash, id);
        }
    }

    /// <summary>The embedded ALE 0.12 table (108 ROMs).</summary>
    public static RomTable Ale { get; } = LoadEmbedded();

    /// <summary>Number of ROMs in the table.</summary>
    public int Count => _md5ById.Count;

    /// <summary>The expected MD5 of a game id, or null when the id is unknown.</summary>
    public string? ExpectedMd5(string id) => _md5ById.GetValueOrDefault(id.ToLowerInvariant());

    /// <summary>The game id whose ROM has this MD5, or null.</summary>
    public string? IdForMd5(string md5) => _idByMd5.GetValueOrDefault(md5.ToLowerInvariant());

    /// <summary>
    /// Checks that <paramref name="path"/> exists and that its MD5 is a supported ROM. With
    /// <paramref name="requireCanonicalName"/> (legacy libale_c.so, which matches by file name only and segfaults on
    /// an unknown name, ALE 0.6.1) the file must also be named <c>&lt;id&gt;.bin</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">The MD5 is not supported, or the name is not canonical when required.</exception>
    public RomInfo Validate(string path, bool requireCanonicalName = false)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("ROM path is empty: pass the path of an Atari 2600 ROM such as roms/breakout.bin.", nameof(path));
        }

        string full = System.IO.Path.GetFullPath(path);
        string stem = System.IO.Path.GetFileNameWithoutExtension(full).ToLowerInvariant();
        string? expectedForName = ExpectedMd5(stem);
        if (!File.Exists(full))
        {
            string game = expectedForName is null ? "" : $" (the ROM of game '{stem}', md5 {expectedForName})";
            throw new FileNotFoundException(
                $"ROM file '{full}'{game} does not exist. ALE would end the process on it, so it was not loaded. " +
                "Supply your own ROM directory (see README.md, section 'Atari (ALE)', part 3).", full);
        }

        string md5;
        using (var stream = File.OpenRead(full))
        {
            md5 = Convert.ToHexStringLower(MD5.HashData(stream));
        }

        string? id = IdForMd5(md5);
        if (id is null)
        {
            string hint = expectedForName is null
                ? $"'{stem}' is not a game id of ALE either; ids are snake_case such as breakout, ms_pacman, tetris"
                : $"a '{stem}' ROM must have md5 {expectedForName}: this is a different dump or a corrupt file";
            throw new ArgumentException(
                $"ROM file '{full}' has md5 {md5}, which is not in ALE's supported table ({Count} ROMs); {hint}. " +
                "ALE would end the process on it, so it was not loaded.", nameof(path));
        }

        if (requireCanonicalName && stem != id)
        {
            throw new ArgumentException(
                $"ROM file '{full}' is the ROM of '{id}', but a legacy libale_c.so identifies ROMs by file name only " +
                $"and crashes on an unknown name: rename or copy it to '{id}.bin', or use the MoeScratch shim.", nameof(path));
        }

        return new RomInfo(id, full, md5);
    }

    private static RomTable LoadEmbedded()
    {
        const string name = "MoeScratch.Ale.Roms.ale-rom-md5.json";
        using var stream = typeof(RomTable).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from MoeScratch.Ale: the build is broken.");
        // JsonDocument rather than JsonSerializer: no reflection, so it also works in trimmed/AOT apps.
        using var doc = JsonDocument.Parse(stream);
        return new RomTable(doc.RootElement.EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, p.Value.GetString() ?? "")));
    }
}
