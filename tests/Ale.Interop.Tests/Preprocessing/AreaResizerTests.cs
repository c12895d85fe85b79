using MoeScratch.Ale.Preprocessing;

namespace MoeScratch.Ale.Tests;

public class AreaResizerTests
{
    [Test]
    public void VerticalTableFor210To84HasOpenCvWeights()
    {
        // Scale 2.5: row 0 covers source rows [0, 2.5): weights 1/2.5, 1/2.5, 0.5/2.5; row 1 covers [2.5, 5).
        var tab = AreaResizer.ComputeTable(210, 84);
        Assert.That(tab[..3], Is.EqualTo(new[] { (0, 0, 0.4f), (0, 1, 0.4f), (0, 2, 0.2f) }));
        Assert.That(tab[3..6], Is.EqualTo(new[] { (1, 2, 0.2f), (1, 3, 0.4f), (1, 4, 0.4f) }));
    }

    [Test]
    public void HorizontalTableFor160To84HasOpenCvWeights()
    {
        // Scale 160/84 = 1.90476: col 0 covers [0, 1.905): 1/1.905 = 0.525 and 0.905/1.905 = 0.475;
        // col 1 covers [1.905, 3.810): 0.095/1.905 = 0.05, 0.525, 0.810/1.905 = 0.425.
        var tab = AreaResizer.ComputeTable(160, 84);
        Assert.That(tab[0].Alpha, Is.EqualTo(0.525f).Within(1e-6f));
        Assert.That(tab[1].Alpha, Is.EqualTo(0.475f).Within(1e-6f));
        Assert.That(tab[2], Is.EqualTo((1, 1, tab[2].Alpha)));
        Assert.That(tab[2].Alpha, Is.EqualTo(0.05f).Within(1e-6f));
        Assert.That(tab[3].Alpha, Is.EqualTo(0.525f).Within(1e-6f));
        Assert.That(tab[4], Is.EqualTo((1, 3, tab[4].Alpha)));
        Assert.That(tab[4].Alpha, Is.EqualTo(0.425f).Within(1e-6f));
    }

    [TestCase(210, 84)]
    [TestCase(160, 84)]
    [TestCase(7, 3)]
    public void WeightsOfEachDestinationPixelSumToOne(int src, int dst)
    {
        var tab = AreaResizer.ComputeTable(src, dst);
        for (int d = 0; d < dst; d++)
        {
            float total = tab.Where(e => e.Dst == d).Sum(e => e.Alpha);
            Assert.That(total, Is.EqualTo(1f).Within(1e-5f), $"destination {d}");
        }
    }

    [Test]
    public void FiveRowsToTwoMatchesHandComputedValues()
    {
        // One column, rows 10,20,30,40,50: 0.4·10+0.4·20+0.2·30 = 18 and 0.2·30+0.4·40+0.4·50 = 42.
        byte[] src = [10, 20, 30, 40, 50];
        var dst = new byte[2];
        new AreaResizer(5, 1, 2, 1).Resize(src, dst);
        Assert.That(dst, Is.EqualTo(new byte[] { 18, 42 }));
    }

    [Test]
    public void FirstColumnsOf160To84MatchHandComputedValues()
    {
        // 0.525·210 + 0.475·20 = 119.75 → 120; 0.05·20 + 0.525·40 + 0.425·80 = 56;
        // column 2 covers [3.810, 5.714): 0.190/1.905 = 0.1 of column 3 → 8.
        var src = new byte[160];
        src[0] = 210;
        src[1] = 20;
        src[2] = 40;
        src[3] = 80;
        var dst = new byte[84];
        new AreaResizer(1, 160, 1, 84).Resize(src, dst);
        Assert.That(dst[0], Is.EqualTo(120));
        Assert.That(dst[1], Is.EqualTo(56));
        Assert.That(dst[2], Is.EqualTo(8));
        Assert.That(dst[3], Is.Zero);
    }

    [Test]
    public void ConstantImageStaysConstant()
    {
        var src = Enumerable.Repeat((byte)137, 210 * 160).ToArray();
        var dst = new byte[84 * 84];
        new AreaResizer(210, 160, 84, 84).Resize(src, dst);
        Assert.That(dst, Is.All.EqualTo(137));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void AtariResizeIsWithinOneGreyLevelOfDoubleBoxFilter(int seed)
    {
        var rng = new Random(seed);
        var src = new byte[210 * 160];
        rng.NextBytes(src);
        // Add structure too: blocks of constant value like an Atari screen.
        for (int i = 0; i < 40; i++)
        {
            int r = rng.Next(200), c = rng.Next(150);
            byte v = (byte)rng.Next(256);
            for (int y = r; y < r + 10; y++)
            {
                src.AsSpan((y * 160) + c, 10).Fill(v);
            }
        }

        var fast = new byte[84 * 84];
        var reference = new byte[84 * 84];
        new AreaResizer(210, 160, 84, 84).Resize(src, fast);
        AreaResizer.ResizeReference(src, 210, 160, reference, 84, 84);
        int maxDiff = fast.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1));
    }

    [Test]
    public void MatchesOpenCvOutputOnAPatternImage()
    {
        // Golden values from OpenCV 4.6.0 (Debian python3-opencv):
        // cv2.resize(img, (84, 84), interpolation=cv2.INTER_AREA) with img[y, x] = (7y + 13x + (x·y mod 17)) & 0xFF.
        var src = new byte[210 * 160];
        for (int y = 0; y < 210; y++)
        {
            for (int x = 0; x < 160; x++)
            {
                src[(y * 160) + x] = (byte)(((y * 7) + (x * 13) + ((x * y) % 17)) & 0xFF);
            }
        }

        var dst = new byte[84 * 84];
        new AreaResizer(210, 160, 84, 84).Resize(src, dst);
        (int Row, int Col, byte Value)[] golden =
            [(0, 0, 12), (0, 1, 38), (1, 0, 30), (41, 37, 112), (83, 83, 198), (20, 70, 51), (60, 5, 170)];
        foreach (var (row, col, value) in golden)
        {
            Assert.That(dst[(row * 84) + col], Is.EqualTo(value), $"pixel ({row}, {col})");
        }

        Assert.That(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(dst)),
            Is.EqualTo("2eae433f03662b323d445c39bdd25660ac6204d1a963758b5e05ba6fba1667fa"), "whole image, bit-exact");
    }

    [Test]
    public void UpscalingIsRejected()
    {
        Assert.That(() => new AreaResizer(84, 84, 210, 160), Throws.ArgumentException.With.Message.Contains("210×160"));
    }
}
