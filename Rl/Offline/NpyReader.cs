using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MoeScratch.Rl.Offline;

/// <summary>NPY element types MoeScratch reads (numpy's .npy format).</summary>
public enum NpyDType
{
    /// <summary>uint8 ('|u1' or '&lt;u1').</summary>
    UInt8,
    /// <summary>int32 ('&lt;i4').</summary>
    Int32,
    /// <summary>int64 ('&lt;i8').</summary>
    Int64,
    /// <summary>float32 ('&lt;f4').</summary>
    Float32,
    /// <summary>bool ('|b1'), one byte per element.</summary>
    Bool,
}

/// <summary>The parsed header of an NPY file: dtype and C-order shape.</summary>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
public sealed record NpyHeader(NpyDType DType, long[] Shape)
{
    /// <summary>Bytes per element.</summary>
    public int ElementSize => DType switch { NpyDType.Int32 or NpyDType.Float32 => 4, NpyDType.Int64 => 8, _ => 1 };

    /// <summary>Product of the dimensions.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => checked(a * d));

    /// <summary>Bytes of array data that follow the header.</summary>
    public long DataLength => checked(ElementCount * ElementSize);

    /// <summary>Shape as numpy prints it, e.g. (1000, 84, 84).</summary>
    public string ShapeText => Shape.Length == 1 ? $"({Shape[0]},)" : "(" + string.Join(", ", Shape) + ")";
}

/// <summary>
/// NPY v1/v2/v3 parser (numpy `lib/format.py`): magic <c>\x93NUMPY</c>, major/minor version, header length
/// (uint16 LE for v1, uint32 LE for v2/v3), an ASCII/UTF-8 Python dict literal with 'descr', 'fortran_order' and
/// 'shape', then raw little-endian C-order data. Gzipped files (<c>gzip(np.save(array))</c>, as in the DQN Replay
/// Dataset) are decompressed on the fly.
/// </summary>
public static class NpyReader
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Opens a .npy or gzipped .npy file (detected by the gzip magic 1F 8B), positioned at the header.</summary>
    public static Stream Open(string path)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        int b0 = fs.ReadByte(), b1 = fs.ReadByte();
        fs.Position = 0;
        return b0 == 0x1F && b1 == 0x8B ? new GZipStream(fs, CompressionMode.Decompress) : fs;
    }

    /// <summary>Reads an NPY header from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static NpyHeader ReadHeader(Stream stream, string source)
    {
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, source, "the 8-byte magic and version");
        if (!prefix[..6].SequenceEqual(Magic))
            throw Fail(source, $"not an NPY file: magic is {Convert.ToHexString(prefix[..6])}, expected 934E554D5059 (\\x93NUMPY)");
        int major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            ReadExactly(stream, len, source, "the header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            ReadExactly(stream, len, source, "the header length");
            uint n = BinaryPrimitives.ReadUInt32LittleEndian(len);
            if (n > 1 << 24) throw Fail(source, $"header length {n} is implausible (corrupted file?)");
            headerLength = (int)n;
        }
        else
        {
            throw Fail(source, $"unsupported NPY format version {major}.{prefix[7]}; this reader handles 1.x, 2.x and 3.x");
        }
        var header = new byte[headerLength];
        ReadExactly(stream, header, source, $"the {headerLength}-byte header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        return ParseHeader(text, source);
    }

    /// <summary>Parses the header dict literal, e.g. <c>{'descr': '|u1', 'fortran_order': False, 'shape': (3, 84, 84), }</c>.</summary>
    public static NpyHeader ParseHeader(string text, string source)
    {
        var dict = new NpyDictParser(text, source).Parse();
        if (!dict.TryGetValue("descr", out var descrObj) || descrObj is not string descr)
            throw Fail(source, $"header has no string 'descr': {text.Trim()}");
        if (!dict.TryGetValue("fortran_order", out var fo) || fo is not bool fortran)
            throw Fail(source, $"header has no boolean 'fortran_order': {text.Trim()}");
        if (fortran)
            throw Fail(source, "array is stored in Fortran (column-major) order; only C order is supported. Re-save it with np.ascontiguousarray");
        if (!dict.TryGetValue("shape", out var shapeObj) || shapeObj is not long[] shape)
            throw Fail(source, $"header has no tuple 'shape': {text.Trim()}");
        NpyDType dtype = descr switch
        {
            "|u1" or "<u1" => NpyDType.UInt8,
            "<i4" => NpyDType.Int32,
            "<i8" => NpyDType.Int64,
            "<f4" => NpyDType.Float32,
            "|b1" => NpyDType.Bool,
            _ => throw Fail(source, $"dtype '{descr}' is not supported; expected one of '|u1', '<i4', '<i8', '<f4', '|b1' (little-endian)"),
        };
        return new NpyHeader(dtype, shape);
    }

    /// <summary>
    /// Copies the array data (<see cref="NpyHeader.DataLength"/> bytes) to <paramref name="sink"/> in chunks of at most
    /// <paramref name="chunkBytes"/>, so arrays larger than 2 GiB (1 M Atari frames are 7 GB) stream without one buffer.
    /// </summary>
    public static void CopyData(Stream stream, NpyHeader header, string source, Action<ReadOnlySpan<byte>> sink, int chunkBytes = 1 << 20)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(sink);
        var buffer = new byte[(int)Math.Min(chunkBytes, Math.Max(1, header.DataLength))];
        long remaining = header.DataLength;
        while (remaining > 0)
        {
            int n = (int)Math.Min(buffer.Length, remaining);
            ReadExactly(stream, buffer.AsSpan(0, n), source,
                $"{header.DataLength} data bytes for {header.DType} shape {header.ShapeText} (got {header.DataLength - remaining})");
            sink(buffer.AsSpan(0, n));
            remaining -= n;
        }
        int extra;
        try { extra = stream.Read(buffer, 0, 1); }
        catch (InvalidDataException ex) { throw Fail(source, $"compressed stream is corrupted after the array data ({ex.Message})"); }
        if (extra != 0) throw Fail(source, $"unexpected bytes after the {header.DataLength} data bytes of shape {header.ShapeText}");
    }

    /// <summary>Reads a whole (gzipped) NPY file into memory; for arrays under 2 GiB.</summary>
    public static (NpyHeader Header, byte[] Data) ReadFile(string path)
    {
        using var s = Open(path);
        var header = ReadHeader(s, path);
        if (header.DataLength > Array.MaxLength)
            throw Fail(path, $"array of {header.DataLength} bytes is too large for one buffer; stream it with CopyData");
        var data = new byte[header.DataLength];
        int pos = 0;
        CopyData(s, header, path, chunk => { chunk.CopyTo(data.AsSpan(pos)); pos += chunk.Length; });
        return (header, data);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source, string what)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = stream.Read(buffer[total..]);
                if (n == 0) throw Fail(source, $"file ends early while reading {what} (truncated?)");
                total += n;
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException && !ex.Message.StartsWith("NPY '", StringComparison.Ordinal))
        {
            throw Fail(source, $"read failed while reading {what}: {ex.Message} (truncated or corrupted gzip?)");
        }
    }

    internal static InvalidDataException Fail(string source, string problem) => new($"NPY '{source}': {problem}.");
}
