using System.IO.Compression;
using System.Text;

namespace MoeScratch.Rl.Tests.Offline;

/// <summary>Builds NPY bytes the way numpy's `_write_array_header` does: dict + spaces + '\n' to a 64-byte boundary.</summary>
internal static class NpyTestFiles
{
    public static byte[] Npy(string descr, string shape, byte[] data, int major = 1, bool fortran = false)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int prefix = 6 + 2 + (major == 1 ? 2 : 4);
        int total = prefix + Encoding.UTF8.GetByteCount(dict) + 1;
        int pad = (64 - total % 64) % 64;
        byte[] header = Encoding.UTF8.GetBytes(dict + new string(' ', pad) + "\n");
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)header.Length));
        else ms.Write(BitConverter.GetBytes((uint)header.Length));
        ms.Write(header);
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    public static byte[] Bytes<T>(T[] values) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
