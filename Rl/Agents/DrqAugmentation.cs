using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>
/// DrQ image augmentation as Dopamine's Atari-100k agents apply it (google/dopamine
/// <c>dopamine/labs/atari_100k/atari_100k_rainbow_agent.py</c> <c>drq_image_aug</c>, P1 Table 1): pad each
/// image by 4 pixels with edge replication, crop a random H×W window back out (offsets 0..8 on each axis,
/// one draw per image), then scale the intensity by 1 + 0.05·clip(N(0, 1), −2, 2), one draw per image.
/// States and next states of a batch are augmented independently (two calls).
/// </summary>
public static class DrqAugmentation
{
    /// <summary>Padding on each side, in pixels (DrQ: 4).</summary>
    public const int Pad = 4;

    /// <summary>Standard deviation scale of the intensity noise (DrQ: 0.05).</summary>
    public const float IntensityScale = 0.05f;

    /// <summary>
    /// Augments a batch of HWC byte images into floats (byte · <paramref name="scale"/> · intensity). Draw order
    /// per image: crop row offset, crop column offset (each <c>NextInt(2·Pad + 1)</c>), then one normal.
    /// </summary>
    /// <param name="images">[B, H, W, C] bytes.</param>
    /// <param name="batch">B.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="channels">C (stacked frames included).</param>
    /// <param name="scale">Byte-to-float factor (1/255 for Atari, 1 for MinAtar).</param>
    /// <param name="rng">The augmentation stream.</param>
    /// <param name="output">[B, H, W, C] floats (overwritten).</param>
    /// <exception cref="ArgumentException">Sizes disagree.</exception>
    public static void Apply(ReadOnlySpan<byte> images, int batch, int height, int width, int channels, float scale,
                             Rng rng, Span<float> output) =>
        ApplyCore(images, batch, height, width, channels, scale, rng, output);

    /// <summary>
    /// The same augmentation on float images (already scaled, or with <paramref name="scale"/> applied here);
    /// draws exactly as the byte overload, so both give the same result on the same data.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree.</exception>
    public static void Apply(ReadOnlySpan<float> images, int batch, int height, int width, int channels, float scale,
                             Rng rng, Span<float> output) =>
        ApplyCore(images, batch, height, width, channels, scale, rng, output);

    private static void ApplyCore<T>(ReadOnlySpan<T> images, int batch, int height, int width, int channels,
                                     float scale, Rng rng, Span<float> output)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        ArgumentNullException.ThrowIfNull(rng);
        long image = (long)height * width * channels;
        if (batch <= 0 || height <= 0 || width <= 0 || channels <= 0 || images.Length != batch * image ||
            output.Length != images.Length)
        {
            throw new ArgumentException(
                $"DrqAugmentation.Apply: [{batch}, {height}, {width}, {channels}] needs {batch * image} bytes and as " +
                $"many floats; got {images.Length} and {output.Length}.");
        }
        for (int b = 0; b < batch; b++)
        {
            int dy = rng.NextInt((2 * Pad) + 1), dx = rng.NextInt((2 * Pad) + 1);
            float noise = 1f + (IntensityScale * (float)Math.Clamp(rng.NextNormal(), -2.0, 2.0));
            float factor = scale * noise;
            var src = images.Slice((int)(b * image), (int)image);
            var dst = output.Slice((int)(b * image), (int)image);
            CropCore(src, height, width, channels, dy, dx, factor, dst);
        }
    }

    /// <summary>
    /// One image: dst[y, x, c] = src[clamp(y + dy − Pad), clamp(x + dx − Pad), c] · factor, where clamping to the
    /// image is exactly the edge-replicating pad (<c>jnp.pad(..., 'edge')</c>) followed by the crop at (dy, dx).
    /// </summary>
    public static void CropOne(ReadOnlySpan<byte> src, int height, int width, int channels, int dy, int dx,
                               float factor, Span<float> dst) =>
        CropCore(src, height, width, channels, dy, dx, factor, dst);

    private static void CropCore<T>(ReadOnlySpan<T> src, int height, int width, int channels, int dy, int dx,
                                    float factor, Span<float> dst)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        if ((uint)dy > 2 * Pad || (uint)dx > 2 * Pad)
        {
            throw new ArgumentException($"DrqAugmentation.CropOne: offsets ({dy}, {dx}) must lie in [0, {2 * Pad}].");
        }
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Clamp(y + dy - Pad, 0, height - 1);
            for (int x = 0; x < width; x++)
            {
                int sx = Math.Clamp(x + dx - Pad, 0, width - 1);
                var s = src.Slice(((sy * width) + sx) * channels, channels);
                var d = dst.Slice(((y * width) + x) * channels, channels);
                for (int c = 0; c < channels; c++) d[c] = float.CreateTruncating(s[c]) * factor;
            }
        }
    }
}
