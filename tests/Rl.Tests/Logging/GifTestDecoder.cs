namespace MoeScratch.Rl.Tests.Logging;

/// <summary>
/// Independent GIF reader for tests: walks the block structure and LZW-decodes each frame with the textbook
/// decoder (table grows one code behind the encoder; widen when the table size reaches 2^width).
/// </summary>
internal static class GifTestDecoder
{
    public sealed record Gif(int Width, int Height, byte[] Palette, List<byte[]> Frames, List<int> Delays, int? LoopCount);

    public static Gif Decode(byte[] b)
    {
        if (System.Text.Encoding.ASCII.GetString(b, 0, 6) != "GIF89a") throw new InvalidDataException("not GIF89a");
        int w = b[6] | b[7] << 8, h = b[8] | b[9] << 8;
        int packed = b[10];
        if ((packed & 0x80) == 0) throw new InvalidDataException("no global colour table");
        int tableSize = 3 << ((packed & 7) + 1);
        byte[] palette = b[13..(13 + tableSize)];
        int pos = 13 + tableSize;
        var frames = new List<byte[]>();
        var delays = new List<int>();
        int? loop = null;
        while (true)
        {
            byte block = b[pos++];
            if (block == 0x3B) break;
            if (block == 0x21)
            {
                byte label = b[pos++];
                var data = SubBlocks(b, ref pos);
                if (label == 0xF9) delays.Add(data[1] | data[2] << 8);
                if (label == 0xFF && System.Text.Encoding.ASCII.GetString(data, 0, 11) == "NETSCAPE2.0") loop = data[12] | data[13] << 8; // sub-blocks "NETSCAPE2.0" + {1, lo, hi}
                continue;
            }
            if (block != 0x2C) throw new InvalidDataException($"unexpected block 0x{block:X2} at {pos - 1}");
            int fw = b[pos + 4] | b[pos + 5] << 8, fh = b[pos + 6] | b[pos + 7] << 8;
            pos += 9;
            int min = b[pos++];
            frames.Add(Lzw(SubBlocks(b, ref pos), min, fw * fh));
        }
        if (pos != b.Length) throw new InvalidDataException("bytes after trailer");
        return new Gif(w, h, palette, frames, delays, loop);
    }

    private static byte[] SubBlocks(byte[] b, ref int pos)
    {
        var ms = new MemoryStream();
        while (b[pos] != 0)
        {
            int n = b[pos++];
            ms.Write(b, pos, n);
            pos += n;
        }
        pos++;
        return ms.ToArray();
    }

    public static byte[] Lzw(byte[] data, int min, int pixels)
    {
        int clear = 1 << min, eoi = clear + 1;
        var prefix = new int[4096];
        var suffix = new byte[4096];
        var length = new int[4096];
        for (int i = 0; i < clear; i++) { prefix[i] = -1; suffix[i] = (byte)i; length[i] = 1; }
        var output = new List<byte>();
        int width = min + 1, next = eoi + 1, prev = -1;
        long bitPos = 0;
        while (true)
        {
            int code = 0;
            for (int i = 0; i < width; i++, bitPos++)
                code |= ((data[(int)(bitPos >> 3)] >> (int)(bitPos & 7)) & 1) << i;
            if (code == clear) { width = min + 1; next = eoi + 1; prev = -1; continue; }
            if (code == eoi) break;
            if (prev >= 0)
            {
                if (code > next) throw new InvalidDataException($"LZW code {code} beyond table size {next}");
                if (next < 4096)
                {
                    prefix[next] = prev;
                    suffix[next] = First(code == next ? prev : code);
                    length[next] = length[prev] + 1;
                    next++;
                    if (next == 1 << width && width < 12) width++;
                }
            }
            output.AddRange(Sequence(code));
            prev = code;
        }
        if (output.Count != pixels) throw new InvalidDataException($"decoded {output.Count} pixels, expected {pixels}");
        return [.. output];

        byte First(int c) { while (prefix[c] >= 0) c = prefix[c]; return suffix[c]; }
        byte[] Sequence(int c)
        {
            var s = new byte[length[c]];
            for (int i = s.Length - 1; i >= 0; i--) { s[i] = suffix[c]; c = prefix[c]; }
            return s;
        }
    }
}
