using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace MoeScratch.Rl.Offline;

/// <summary>
/// One checkpoint of the DQN Replay Dataset (Agarwal et al. 2020; Dopamine's circular replay buffer checkpoints,
/// on disk): four files <c>$store$_&lt;name&gt;_ckpt.&lt;N&gt;.gz</c>, each <c>gzip(np.save(array))</c>, for
/// observation (uint8, N×84×84 single frames), action (int32, N), reward (float32, N) and terminal (uint8, N).
/// Opening validates that all four exist and that their dtypes and lengths agree, reading only the headers;
/// the pickled scalars (<c>add_count</c>, …) are not needed because the count is the array length.
/// </summary>
public sealed partial class DqnReplayDatasetReader
{
    /// <summary>The array names of a checkpoint, in Dopamine's order.</summary>
    public static IReadOnlyList<string> ArrayNames { get; } = ["observation", "action", "reward", "terminal"];

    private readonly Dictionary<string, (string Path, NpyHeader Header)> _files = new(StringComparer.Ordinal);

    private DqnReplayDatasetReader(string directory, int checkpoint)
    {
        Directory = directory;
        Checkpoint = checkpoint;
    }

    /// <summary>The replay_logs directory.</summary>
    public string Directory { get; }

    /// <summary>The checkpoint number N.</summary>
    public int Checkpoint { get; }

    /// <summary>Number of transitions (length of every array).</summary>
    public long Count { get; private set; }

    /// <summary>Shape of one observation frame, e.g. [84, 84].</summary>
    public IReadOnlyList<long> ObservationShape { get; private set; } = [];

    /// <summary>The file name of one array of a checkpoint, e.g. <c>$store$_action_ckpt.50.gz</c>.</summary>
    public static string FileName(string array, int checkpoint) =>
        string.Create(CultureInfo.InvariantCulture, $"$store$_{array}_ckpt.{checkpoint}.gz");

    /// <summary>Checkpoint numbers in <paramref name="directory"/> for which all four array files exist, ascending.</summary>
    public static IReadOnlyList<int> AvailableCheckpoints(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) return [];
        var numbers = new HashSet<int>();
        foreach (string f in System.IO.Directory.EnumerateFiles(directory, "$store$_observation_ckpt.*.gz"))
        {
            var m = CheckpointPattern().Match(Path.GetFileName(f));
            if (m.Success) numbers.Add(int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture));
        }
        return [.. numbers.Where(n => ArrayNames.All(a => File.Exists(Path.Combine(directory, FileName(a, n))))).Order()];
    }

    /// <summary>
    /// Opens checkpoint <paramref name="checkpoint"/> in <paramref name="directory"/>, checking that all four files exist
    /// (Dopamine's "avoid loading a partially-specified buffer"), have the expected dtypes and the same length.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or inconsistent; the message names it and the expectation.</exception>
    public static DqnReplayDatasetReader Open(string directory, int checkpoint)
    {
        var reader = new DqnReplayDatasetReader(directory, checkpoint);
        var missing = ArrayNames.Select(a => Path.Combine(directory, FileName(a, checkpoint))).Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException(
                $"DQN replay checkpoint {checkpoint} in '{directory}' is incomplete: missing {string.Join(", ", missing.Select(Path.GetFileName))}. All four of {string.Join(", ", ArrayNames)} are required.",
                missing[0]);
        foreach (string a in ArrayNames)
        {
            string path = Path.Combine(directory, FileName(a, checkpoint));
            NpyHeader header;
            using (var s = NpyReader.Open(path)) header = NpyReader.ReadHeader(s, path);
            reader._files[a] = (path, header);
        }
        reader.Validate();
        return reader;
    }

    private void Validate()
    {
        var obs = _files["observation"];
        if (obs.Header.DType != NpyDType.UInt8 || obs.Header.Shape.Length < 2)
            throw Mismatch(obs.Path, $"uint8 observations of shape (N, H, W), found {obs.Header.DType} {obs.Header.ShapeText}");
        Count = obs.Header.Shape[0];
        ObservationShape = obs.Header.Shape[1..];
        Check("action", NpyDType.Int32, NpyDType.Int64);
        Check("reward", NpyDType.Float32, NpyDType.Float32);
        Check("terminal", NpyDType.UInt8, NpyDType.Bool);

        void Check(string name, NpyDType dtype, NpyDType alt)
        {
            var (path, h) = _files[name];
            if (h.DType != dtype && h.DType != alt)
                throw Mismatch(path, $"dtype {dtype}{(alt != dtype ? " or " + alt : "")}, found {h.DType}");
            if (h.Shape.Length != 1 || h.Shape[0] != Count)
                throw Mismatch(path, $"shape ({Count},) to match the {Count} observations in {Path.GetFileName(obs.Path)}, found {h.ShapeText}");
        }
    }

    /// <summary>Actions as int32.</summary>
    public int[] ReadActions()
    {
        var (path, h) = _files["action"];
        byte[] data = ReadAll("action");
        if (h.DType == NpyDType.Int32) return MemoryMarshal.Cast<byte, int>(data).ToArray();
        var wide = MemoryMarshal.Cast<byte, long>(data);
        var result = new int[wide.Length];
        for (int i = 0; i < wide.Length; i++)
            result[i] = wide[i] is >= int.MinValue and <= int.MaxValue ? (int)wide[i] : throw Mismatch(path, $"actions that fit in int32, found {wide[i]} at {i}");
        return result;
    }

    /// <summary>Rewards as float32.</summary>
    public float[] ReadRewards() => MemoryMarshal.Cast<byte, float>(ReadAll("reward")).ToArray();

    /// <summary>Terminal flags (0 or 1).</summary>
    public byte[] ReadTerminals() => ReadAll("terminal");

    /// <summary>All observation frames in one array (Count × frame size bytes); throws if it exceeds 2 GiB.</summary>
    public byte[] ReadObservations() => ReadAll("observation");

    /// <summary>
    /// Streams observation frames to <paramref name="sink"/> in order, <paramref name="framesPerChunk"/> frames per call,
    /// for checkpoints too large for one array (1 M Atari frames are 7 GB).
    /// </summary>
    public void StreamObservations(Action<ReadOnlySpan<byte>> sink, int framesPerChunk = 1024)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (framesPerChunk < 1) throw new ArgumentException($"framesPerChunk must be ≥ 1, got {framesPerChunk}.", nameof(framesPerChunk));
        var (path, h) = _files["observation"];
        long frameBytes = ObservationShape.Aggregate(1L, (a, d) => a * d);
        using var s = NpyReader.Open(path);
        NpyReader.ReadHeader(s, path);
        NpyReader.CopyData(s, h, path, sink, (int)Math.Min(int.MaxValue, Math.Max(1, frameBytes * framesPerChunk)));
    }

    private byte[] ReadAll(string name)
    {
        var (path, expected) = _files[name];
        var (header, data) = NpyReader.ReadFile(path);
        if (header != expected && (header.DType != expected.DType || !header.Shape.SequenceEqual(expected.Shape)))
            throw Mismatch(path, $"the header read at open ({expected.DType} {expected.ShapeText}), found {header.DType} {header.ShapeText}; the file changed");
        return data;
    }

    private static InvalidDataException Mismatch(string path, string expectation) =>
        new($"DQN replay file '{path}': expected {expectation}.");

    [GeneratedRegex(@"^\$store\$_observation_ckpt\.(\d+)\.gz$")]
    private static partial Regex CheckpointPattern();
}
