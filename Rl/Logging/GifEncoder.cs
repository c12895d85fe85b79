namespace MoeScratch.Rl.Logging;

/// <summary>
/// Animated GIF89a encoder with one global palette and LZW compression: MinAtar and Atari
/// frames use a handful or 128 colours, so a fixed palette needs no quantizer. The LZW code-width and table-reset
/// rules follow giflib's EGifCompressOutput/EGifCompressLine, which every decoder accepts.
/// </summary>
public static class GifEncoder
{
    private const int MaxCodes = 4096;

    /// <summary>
    /// Encodes palette-index frames as an animated GIF.
    /// </summary>
    /// <param name="frames">Row-major palette indices, one array of width×height per frame.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="paletteRgb">RGB triples, at most 256 colours; padded with black to a power of two.</param>
    /// <param name="delayCentiseconds">Delay between frames in 1/100 s.</param>
    /// <param name="loopCount">NETSCAPE2.0 loop count; 0 loops forever.</param>
    public static byte[] Encode(IReadOnlyList<byte[]> frames, int width, int height, ReadOnlySpan<byte> paletteRgb, int delayCentiseconds = 5, int loopCount = 0)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (width is < 1 or > 65535 || height is < 1 or > 65535)
            throw new ArgumentException($"GIF size {width}x{height} must be within 1..65535 on each side.", nameof(width));
        if (paletteRgb.Length == 0 || paletteRgb.Length % 3 != 0 || paletteRgb.Length > 768)
            throw new ArgumentException($"Palette has {paletteRgb.Length} bytes; it must hold 1 to 256 RGB triples.", nameof(paletteRgb));
        if (frames.Count == 0) throw new ArgumentException("A GIF needs at least one frame.", nameof(frames));
        int colours = paletteRgb.Length / 3;
        int sizeBits = 1;
        while ((1 << sizeBits) < colours) sizeBits++;

        using var s = new MemoryStream();
        s.Write("GIF89a"u8);
        WriteU16(s, width);
        WriteU16(s, height);
        s.WriteByte((byte)(0x80 | ((sizeBits - 1) << 4) | (sizeBits - 1))); // global table, colour resolution, table size
        s.WriteByte(0); // background colour index
        s.WriteByte(0); // pixel aspect ratio: unspecified
        s.Write(paletteRgb);
        for (int i = colours; i < 1 << sizeBits; i++) s.Write([0, 0, 0]);
        // NETSCAPE2.0 application extension: loop count.
        s.Write([0x21, 0xFF, 0x0B]);
        s.Write("NETSCAPE2.0"u8);
        s.Write([0x03, 0x01]);
        WriteU16(s, loopCount);
        s.WriteByte(0);

        int minCodeSize = Math.Max(2, sizeBits);
        for (int f = 0; f < frames.Count; f++)
        {
            byte[] frame = frames[f];
            if (frame.Length != width * height)
                throw new ArgumentException($"Frame {f} has {frame.Length} pixels; expected {width}x{height} = {width * height}.", nameof(frames));
            foreach (byte p in frame)
                if (p >= colours) throw new ArgumentException($"Frame {f} uses palette index {p} but the palette has {colours} colours.", nameof(frames));
            s.Write([0x21, 0xF9, 0x04, 0x00]); // graphic control extension, no disposal/transparency
            WriteU16(s, delayCentiseconds);
            s.Write([0x00, 0x00]);
            s.WriteByte(0x2C); // image descriptor at (0, 0), full size, no local table, not interlaced
            WriteU16(s, 0);
            WriteU16(s, 0);
            WriteU16(s, width);
            WriteU16(s, height);
            s.WriteByte(0);
            s.WriteByte((byte)minCodeSize);
            byte[] lzw = LzwCompress(frame, minCodeSize);
            for (int i = 0; i < lzw.Length; i += 255)
            {
                int n = Math.Min(255, lzw.Length - i);
                s.WriteByte((byte)n);
                s.Write(lzw, i, n);
            }
            s.WriteByte(0); // block terminator
        }
        s.WriteByte(0x3B); // trailer
        return s.ToArray();
    }

    /// <summary>Encodes 8-bit grayscale frames (e.g. 84×84 Atari observations) with a 256-level gray palette.</summary>
    public static byte[] EncodeGrayscale(IReadOnlyList<byte[]> frames, int width, int height, int delayCentiseconds = 5)
    {
        var palette = new byte[768];
        for (int i = 0; i < 256; i++) palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = (byte)i;
        return Encode(frames, width, height, palette, delayCentiseconds);
    }

    /// <summary>
    /// Encodes MinAtar states (row-major H×W×C booleans as 0/1 bytes, at most 10 channels) like MinAtar's own
    /// display: each cell takes the colour of its highest active channel, black when empty; cells are scaled up by
    /// <paramref name="scale"/> pixels.
    /// </summary>
    public static byte[] EncodeMinAtar(IReadOnlyList<byte[]> states, int height, int width, int channels, int scale = 8, int delayCentiseconds = 10)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (channels is < 1 or > 10) throw new ArgumentException($"MinAtar has 1..10 channels, got {channels}.", nameof(channels));
        if (scale < 1) throw new ArgumentException($"scale must be ≥ 1, got {scale}.", nameof(scale));
        // Black plus ten well-separated colours (one per channel).
        byte[] palette =
        [
            0, 0, 0, 230, 25, 75, 60, 180, 75, 255, 225, 25, 0, 130, 200, 245, 130, 48,
            145, 30, 180, 70, 240, 240, 240, 50, 230, 210, 245, 60, 250, 190, 212,
        ];
        int w = width * scale, h = height * scale;
        var frames = new List<byte[]>(states.Count);
        foreach (var state in states)
        {
            if (state.Length != height * width * channels)
                throw new ArgumentException($"MinAtar state has {state.Length} values; expected {height}x{width}x{channels}.", nameof(states));
            var img = new byte[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int cell = ((y / scale) * width + x / scale) * channels;
                    byte idx = 0;
                    for (int c = 0; c < channels; c++) if (state[cell + c] != 0) idx = (byte)(c + 1);
                    img[y * w + x] = idx;
                }
            frames.Add(img);
        }
        return Encode(frames, w, h, palette, delayCentiseconds);
    }

    /// <summary>
    /// GIF-variant LZW of palette indices: variable code width from minCodeSize+1 up to 12 bits, LSB-first packing,
    /// a clear code first, a clear code whenever the table reaches 4095 entries, and the end-of-information code last.
    /// </summary>
    internal static byte[] LzwCompress(ReadOnlySpan<byte> indices, int minCodeSize)
    {
        int clear = 1 << minCodeSize, eoi = clear + 1;
        var table = new Dictionary<int, int>(MaxCodes); // key = prefix << 8 | pixel
        var bits = new BitPacker();
        int width = minCodeSize + 1, next = eoi + 1;
        bits.Write(clear, width);
        if (indices.Length == 0)
        {
            bits.Write(eoi, width);
            return bits.ToArray();
        }
        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int pixel = indices[i];
            int key = (prefix << 8) | pixel;
            if (table.TryGetValue(key, out int code))
            {
                prefix = code;
                continue;
            }
            Emit(prefix);
            prefix = pixel;
            if (next >= MaxCodes - 1)
            {
                // Table full (giflib: RunningCode >= LZ_MAX_CODE): send a clear code and restart the dictionary.
                Emit(clear);
                table.Clear();
                next = eoi + 1;
                width = minCodeSize + 1;
            }
            else
            {
                table[key] = next++;
            }
        }
        Emit(prefix);
        Emit(eoi);
        return bits.ToArray();

        void Emit(int code)
        {
            bits.Write(code, width);
            // giflib's EGifCompressOutput: widen once the next code to be assigned no longer fits.
            if (next >= 1 << width && width < 12) width++;
        }
    }

    private static void WriteU16(Stream s, int v)
    {
        s.WriteByte((byte)v);
        s.WriteByte((byte)(v >> 8));
    }

    private sealed class BitPacker
    {
        private readonly List<byte> _bytes = [];
        private int _acc, _count;

        public void Write(int code, int width)
        {
            _acc |= code << _count;
            _count += width;
            while (_count >= 8)
            {
                _bytes.Add((byte)_acc);
                _acc >>= 8;
                _count -= 8;
            }
        }

        public byte[] ToArray()
        {
            if (_count > 0) _bytes.Add((byte)_acc);
            _acc = _count = 0;
            return [.. _bytes];
        }
    }
}
