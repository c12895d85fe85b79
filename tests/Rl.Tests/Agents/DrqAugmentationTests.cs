using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Agents;

public class DrqAugmentationTests
{
    // A 3×3 image whose pixel (y, x) holds 10·y + x.
    private static readonly byte[] Grid = [0, 1, 2, 10, 11, 12, 20, 21, 22];

    [Test]
    public void CentreOffset_IsTheIdentity()
    {
        var dst = new float[9];
        DrqAugmentation.CropOne(Grid, 3, 3, 1, 4, 4, 1f, dst);
        Assert.That(dst, Is.EqualTo(Grid.Select(b => (float)b).ToArray()).AsCollection);
    }

    [Test]
    public void Offsets_ShiftTheWindowAndReplicateEdges()
    {
        // dy = 5, dx = 3: dst[y, x] = src[clamp(y + 1), clamp(x − 1)].
        var dst = new float[9];
        DrqAugmentation.CropOne(Grid, 3, 3, 1, 5, 3, 1f, dst);
        Assert.That(dst, Is.EqualTo(new float[] { 10, 10, 11, 20, 20, 21, 20, 20, 21 }).AsCollection);
        // dy = dx = 0 reaches 4 pixels into the top-left padding: everything is the corner or edge value.
        DrqAugmentation.CropOne(Grid, 3, 3, 1, 0, 0, 1f, dst);
        Assert.That(dst, Is.All.EqualTo(0f));
        DrqAugmentation.CropOne(Grid, 3, 3, 1, 8, 8, 1f, dst);
        Assert.That(dst, Is.All.EqualTo(22f));
    }

    [Test]
    public void Channels_MoveTogether()
    {
        // 1×2 image with 2 channels: (a, b) (c, d); dx = 5 shifts left by one with edge replication.
        byte[] img = [1, 2, 3, 4];
        var dst = new float[4];
        DrqAugmentation.CropOne(img, 1, 2, 2, 4, 5, 0.5f, dst);
        Assert.That(dst, Is.EqualTo(new[] { 1.5f, 2f, 1.5f, 2f }).AsCollection);
    }

    [Test]
    public void Apply_MatchesCropOneWithTheDrawnOffsetsAndIntensity()
    {
        var rng = new Rng(7);
        var images = new byte[2 * 9];
        Grid.CopyTo(images, 0);
        Grid.CopyTo(images, 9);
        var output = new float[18];
        var replay = rng.Clone();
        DrqAugmentation.Apply(images, 2, 3, 3, 1, 1f / 255f, rng, output);
        for (int b = 0; b < 2; b++)
        {
            int dy = replay.NextInt(DrqAugmentation.CropOffsets), dx = replay.NextInt(DrqAugmentation.CropOffsets);
            float noise = 1f + (0.05f * (float)Math.Clamp(replay.NextNormal(), -2.0, 2.0));
            var expected = new float[9];
            DrqAugmentation.CropOne(Grid, 3, 3, 1, dy, dx, (1f / 255f) * noise, expected);
            Assert.That(output.AsSpan(b * 9, 9).ToArray(), Is.EqualTo(expected).AsCollection, $"image {b}");
        }
    }

    [Test]
    public void Intensity_IsClippedToPlusMinusTwoSigma()
    {
        // 4000 one-pixel images of value 100: each becomes 100·(1 + 0.05·clip(N, −2, 2)) ∈ [90, 110]; about 2.3%
        // of draws fall beyond each bound, so both bounds are hit exactly.
        const int n = 4000;
        var images = Enumerable.Repeat((byte)100, n).ToArray();
        var output = new float[n];
        DrqAugmentation.Apply(images, n, 1, 1, 1, 1f, new Rng(3), output);
        Assert.That(output.Min(), Is.EqualTo(90f).Within(1e-3f));
        Assert.That(output.Max(), Is.EqualTo(110f).Within(1e-3f));
        Assert.That(output.Count(v => MathF.Abs(v - 100f) > 1e-3f), Is.GreaterThan(n * 9 / 10), "almost every image is rescaled");
    }

    // Issue 16.5: Dopamine's _random_crop draws randint(0, 8), upper bound exclusive: offsets 0..7, shifts −4..+3.
    [TestCase(1, 17)]
    [TestCase(17, 1)]
    public void Offsets_AreDopaminesZeroToSeven(int height, int width)
    {
        // A ramp with values 1..17 along the long axis: output pixel 8 reads ramp[4 + d] = 5 + d and pixel 9 reads
        // 6 + d (no clamping), so their ratio (6 + d)/(5 + d) recovers the offset d whatever the intensity factor.
        var rng = new Rng(11);
        var seen = new HashSet<int>();
        byte[] ramp = Enumerable.Range(1, 17).Select(i => (byte)i).ToArray();
        var dst = new float[17];
        for (int k = 0; k < 400; k++)
        {
            DrqAugmentation.Apply(ramp, 1, height, width, 1, 1f, rng, dst);
            double ratio = dst[9] / (double)dst[8];
            seen.Add((int)Math.Round((1.0 / (ratio - 1.0)) - 5.0));
        }
        Assert.That(seen, Is.EquivalentTo(Enumerable.Range(0, 8)), "400 draws see every offset 0..7 and never 8");
    }

    [Test]
    public void FloatAndByteInputs_Agree()
    {
        byte[] bytes = Enumerable.Range(0, 2 * 4 * 5 * 3).Select(i => (byte)(i * 7)).ToArray();
        float[] floats = bytes.Select(b => (float)b).ToArray();
        var fromBytes = new float[bytes.Length];
        var fromFloats = new float[bytes.Length];
        DrqAugmentation.Apply(bytes, 2, 4, 5, 3, 0.5f, new Rng(2), fromBytes);
        DrqAugmentation.Apply(floats, 2, 4, 5, 3, 0.5f, new Rng(2), fromFloats);
        Assert.That(fromFloats, Is.EqualTo(fromBytes).AsCollection);
    }

    [Test]
    public void BadSizes_Throw()
    {
        Assert.Throws<ArgumentException>(() => DrqAugmentation.Apply(new byte[8], 1, 3, 3, 1, 1f, new Rng(1), new float[8]));
        Assert.Throws<ArgumentException>(() => DrqAugmentation.CropOne(Grid, 3, 3, 1, 9, 0, 1f, new float[9]));
    }
}
