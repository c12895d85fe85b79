using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace MoeScratch.Rl.Offline;

/// <summary>
/// Writes NPY v1.0 files (numpy <c>lib/format.py</c>), the inverse of <see cref="NpyReader"/>: magic
/// <c>\x93NUMPY</c>, version 1.0, a uint16 LE header length, the dict literal
/// <c>{'descr': '|u1', 'fortran_order': False, 'shape': (N, H, W), }</c> padded with spaces and a final
/// <c>\n</c> so the data starts on a 64-byte boundary, then the raw little-endian C-order data.
/// </summary>
public static class NpyWriter
{
    /// <summary>The header bytes (magic through padding) for an array of <paramref name="dtype"/> and <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">A negative dimension, or a header too long for NPY v1.</exception>
    public static byte[] Header(NpyDType dtype, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d < 0)) throw new ArgumentException($"NpyWriter: shape ({string.Join(", ", shape)}) has a negative dimension.", nameof(shape));
        string descr = dtype switch
        {
            NpyDType.UInt8 => "|u1",
            NpyDType.Int32 => "<i4",
            NpyDType.Int64 => "<i8",
            NpyDType.Float32 => "<f4",
            _ => "|b1",
        };
        string dims = shape.Count == 1
            ? shape[0].ToString(CultureInfo.InvariantCulture) + ","
            : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var dict = new StringBuilder($"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}");
        // 6 magic + 2 version + 2 length bytes precede the dict; numpy pads the whole prefix to a multiple of 64.
        int total = 10 + dict.Length + 1;
        dict.Append(' ', (64 - total % 64) % 64).Append('\n');
        if (dict.Length > ushort.MaxValue) throw new ArgumentException("NpyWriter: the header is too long for NPY version 1.0.", nameof(shape));
        var bytes = new byte[10 + dict.Length];
        bytes[0] = 0x93;
        "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        bytes[8] = (byte)(dict.Length & 0xFF);
        bytes[9] = (byte)(dict.Length >> 8);
        Encoding.ASCII.GetBytes(dict.ToString(), bytes.AsSpan(10));
        return bytes;
    }

    /// <summary>Writes an array to <paramref name="stream"/>; <paramref name="data"/> must hold exactly the shape's bytes.</summary>
    /// <exception cref="ArgumentException">The data length does not match the shape and dtype.</exception>
    public static void Write(Stream stream, NpyDType dtype, IReadOnlyList<long> shape, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new NpyHeader(dtype, [.. shape]);
        if (data.Length != header.DataLength)
        {
            throw new ArgumentException(
                $"NpyWriter: {dtype} shape {header.ShapeText} needs {header.DataLength} bytes but {data.Length} were given.", nameof(data));
        }
        stream.Write(Header(dtype, shape));
        stream.Write(data);
    }

    /// <summary>Writes <c>gzip(np.save(array))</c>, the DQN Replay Dataset's per-array layout.</summary>
    public static void WriteGzip(Stream stream, NpyDType dtype, IReadOnlyList<long> shape, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var gz = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
        Write(gz, dtype, shape, data);
    }
}
