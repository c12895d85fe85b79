using System.Buffers.Binary;
using System.Text;

namespace MoeScratch.Rl.Logging;

/// <summary>One scalar read back from an event file.</summary>
/// <param name="Tag">Summary tag.</param>
/// <param name="Step">Global step.</param>
/// <param name="Value">simple_value.</param>
/// <param name="WallTime">Unix seconds.</param>
public readonly record struct ScalarEvent(string Tag, long Step, float Value, double WallTime);

/// <summary>
/// Reads TFRecord event files, checking both masked CRCs of every record (TensorBoard reports a mismatch as a
/// corrupted record), and extracts scalar summaries. Used by tests and by result aggregation.
/// </summary>
public static class EventFileReader
{
    /// <summary>
    /// Returns the payload of every record. A CRC mismatch or a truncated record throws
    /// <see cref="InvalidDataException"/> naming the file and byte offset, except that with
    /// <paramref name="allowTruncatedTail"/> a partial last record (a file still being written) ends the read.
    /// </summary>
    public static List<byte[]> ReadRecords(string path, bool allowTruncatedTail = false)
    {
        byte[] file = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        long pos = 0;
        while (pos < file.Length)
        {
            if (pos + 12 > file.Length)
            {
                if (allowTruncatedTail) break;
                throw new InvalidDataException($"Event file '{path}': truncated record header at byte {pos}.");
            }
            var header = file.AsSpan((int)pos, 12);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != Crc32C.ComputeMasked(header[..8]))
                throw new InvalidDataException($"Event file '{path}': length CRC mismatch at byte {pos} (corrupted record).");
            ulong len = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (len > (ulong)(file.Length - pos - 16))
            {
                if (allowTruncatedTail) break;
                throw new InvalidDataException($"Event file '{path}': record at byte {pos} declares {len} bytes but the file ends first (truncated).");
            }
            var data = file.AsSpan((int)pos + 12, (int)len);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)(pos + 12 + (long)len), 4));
            if (crc != Crc32C.ComputeMasked(data))
                throw new InvalidDataException($"Event file '{path}': data CRC mismatch in the record at byte {pos} (corrupted record).");
            records.Add(data.ToArray());
            pos += 16 + (long)len;
        }
        return records;
    }

    /// <summary>Returns the file_version string of the first record, or null if it has none.</summary>
    public static string? ReadFileVersion(string path)
    {
        var records = ReadRecords(path, allowTruncatedTail: true);
        if (records.Count == 0) return null;
        var r = new ProtoReader(records[0]);
        while (r.Next())
        {
            if (r.Field == 3 && r.WireType == 2) return Encoding.UTF8.GetString(r.ReadBytes());
            r.Skip();
        }
        return null;
    }

    /// <summary>All simple_value scalars in file order.</summary>
    public static List<ScalarEvent> ReadScalars(string path, bool allowTruncatedTail = false)
    {
        var result = new List<ScalarEvent>();
        foreach (var record in ReadRecords(path, allowTruncatedTail))
        {
            double wall = 0;
            long step = 0;
            ReadOnlySpan<byte> summary = default;
            var e = new ProtoReader(record);
            while (e.Next())
            {
                if (e.Field == 1 && e.WireType == 1) wall = e.ReadDouble();
                else if (e.Field == 2 && e.WireType == 0) step = unchecked((long)e.ReadVarint());
                else if (e.Field == 5 && e.WireType == 2) summary = e.ReadBytes();
                else e.Skip();
            }
            var s = new ProtoReader(summary);
            while (s.Next())
            {
                if (s.Field != 1 || s.WireType != 2) { s.Skip(); continue; }
                string? tag = null;
                float? value = null;
                var v = new ProtoReader(s.ReadBytes());
                while (v.Next())
                {
                    if (v.Field == 1 && v.WireType == 2) tag = Encoding.UTF8.GetString(v.ReadBytes());
                    else if (v.Field == 2 && v.WireType == 5) value = v.ReadFloat();
                    else v.Skip();
                }
                if (tag is not null && value is not null) result.Add(new ScalarEvent(tag, step, value.Value, wall));
            }
        }
        return result;
    }
}
