using MoeScratch.Rl.Logging;

namespace MoeScratch.Rl.Tests.Logging;

public class GifEncoderTests
{
    // The 10x10 four-colour sample of "What's in a GIF" (Matthew Flickinger), min code size 2; its published
    // image data block is 02 16 8C 2D 99 87 2A 1C DC 33 A0 02 75 EC 95 FA A8 DE 60 8C 04 91 4C 01 00.
    private static readonly string[] SampleRows =
    [
        "1111122222", "1111122222", "1111122222", "1110000222", "1110000222",
        "2220000111", "2220000111", "2222211111", "2222211111", "2222211111",
    ];

    private static byte[] Sample() => [.. SampleRows.SelectMany(r => r.Select(c => (byte)(c - '0')))];

    [Test]
    public void Lzw_KnownSample_MatchesPublishedBytes()
    {
        byte[] lzw = GifEncoder.LzwCompress(Sample(), 2);
        Assert.That(Convert.ToHexString(lzw), Is.EqualTo("8C2D99872A1CDC33A00275EC95FAA8DE608C04914C01"));
    }

    [Test]
    public void Encode_AnimatedFrames_DecodeBackExactly()
    {
        var rng = new Random(3);
        var frames = new List<byte[]>();
        for (int f = 0; f < 3; f++)
        {
            var px = new byte[37 * 23];
            for (int i = 0; i < px.Length; i++) px[i] = (byte)rng.Next(5);
            frames.Add(px);
        }
        byte[] palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9];
        var gif = GifTestDecoder.Decode(GifEncoder.Encode(frames, 37, 23, palette, delayCentiseconds: 7));
        Assert.That((gif.Width, gif.Height), Is.EqualTo((37, 23)));
        Assert.That(gif.Palette, Has.Length.EqualTo(8 * 3), "5 colours padded to a power of two");
        Assert.That(gif.Palette[..15], Is.EqualTo(palette));
        Assert.That(gif.Frames, Is.EqualTo(frames));
        Assert.That(gif.Delays, Is.EqualTo(new[] { 7, 7, 7 }));
        Assert.That(gif.LoopCount, Is.Zero);
    }

    [Test]
    public void Encode_GrayscaleNoise_ExercisesTableResetAndRoundTrips()
    {
        // 84x84 random bytes emit far more than 4096 codes, so the clear-and-restart path runs several times.
        var rng = new Random(11);
        var frame = new byte[84 * 84];
        rng.NextBytes(frame);
        var smooth = Enumerable.Range(0, 84 * 84).Select(i => (byte)(i % 84 * 3)).ToArray();
        var gif = GifTestDecoder.Decode(GifEncoder.EncodeGrayscale([frame, smooth], 84, 84));
        Assert.That(gif.Frames[0], Is.EqualTo(frame));
        Assert.That(gif.Frames[1], Is.EqualTo(smooth));
        Assert.That(gif.Palette[3 * 200], Is.EqualTo(200));
    }

    [Test]
    public void EncodeMinAtar_UsesHighestActiveChannelPerCell()
    {
        // 2x2 grid, 3 channels: cell (0,0) empty, (0,1) channel 0, (1,0) channels 0 and 2, (1,1) channel 1.
        byte[] state = [0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0];
        var gif = GifTestDecoder.Decode(GifEncoder.EncodeMinAtar([state], 2, 2, 3, scale: 2));
        Assert.That(gif.Frames[0], Is.EqualTo(new byte[]
        {
            0, 0, 1, 1,
            0, 0, 1, 1,
            3, 3, 2, 2,
            3, 3, 2, 2,
        }));
    }

    [Test]
    public void Encode_IndexOutsidePalette_Throws() =>
        Assert.Throws<ArgumentException>(() => GifEncoder.Encode([new byte[] { 0, 2 }], 2, 1, [0, 0, 0, 1, 1, 1]));
}
