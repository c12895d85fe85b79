using MoeScratch.Tensors.Cpu.Kernels;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class Conv2dTests
{
    /// <summary>
    /// Direct convolution in double precision, written from the definition with its own padding arithmetic
    /// (independent of <see cref="Padding.Resolve"/>): pads (top, left) and output size given.
    /// </summary>
    private static float[] DirectConv(float[] x, int[] xs, float[] w, int[] ws, float[]? bias, int sh, int sw,
                                      int top, int left, int oh, int ow)
    {
        int b = xs[0], h = xs[1], wd = xs[2], c = xs[3], kh = ws[0], kw = ws[1], k = ws[3];
        var y = new float[b * oh * ow * k];
        for (int n = 0; n < b; n++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        for (int o = 0; o < k; o++)
        {
            double s = bias?[o] ?? 0;
            for (int u = 0; u < kh; u++)
            for (int v = 0; v < kw; v++)
            {
                int r = i * sh - top + u, q = j * sw - left + v;
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                for (int ci = 0; ci < c; ci++)
                {
                    s += (double)x[((n * h + r) * wd + q) * c + ci] * w[((u * kw + v) * c + ci) * k + o];
                }
            }
            y[((n * oh + i) * ow + j) * k + o] = (float)s;
        }
        return y;
    }

    /// <summary>TF SAME arithmetic restated here: out = ceil(in/s), total = max((out−1)s + k − in, 0).</summary>
    private static (int Before, int Out) Same(int input, int k, int s)
    {
        int o = (input + s - 1) / s;
        return (Math.Max((o - 1) * s + k - input, 0) / 2, o);
    }

    private static IEnumerable<TestCaseData> ForwardCases()
    {
        // (batch, H, W, Cin, kh, kw, Cout, strideH, strideW, padding kind: 0 valid, 1 same, 2 explicit asymmetric)
        int[][] shapes =
        [
            [1, 5, 7, 1, 1, 1, 1, 1, 1], [2, 6, 5, 3, 3, 3, 2, 1, 1], [3, 9, 8, 2, 3, 3, 4, 2, 2],
            [1, 11, 10, 4, 4, 4, 5, 3, 3], [2, 17, 13, 2, 8, 8, 3, 4, 4], [1, 7, 9, 5, 1, 1, 4, 2, 2],
            [2, 10, 7, 3, 4, 3, 2, 2, 3], [1, 8, 8, 1, 3, 3, 1, 4, 4], [3, 12, 11, 4, 8, 4, 2, 3, 1],
            [1, 6, 6, 2, 4, 4, 5, 1, 1], [2, 5, 9, 5, 3, 1, 3, 1, 2],
        ];
        foreach (var s in shapes)
        {
            for (int pad = 0; pad < 3; pad++)
            {
                if (pad == 0 && (s[4] > s[1] || s[5] > s[2])) continue;
                yield return new TestCaseData(s, pad, true);
                yield return new TestCaseData(s, pad, false);
            }
        }
    }

    [TestCaseSource(nameof(ForwardCases))]
    public void Conv2d_Forward_MatchesDirectConvolution(int[] s, int padKind, bool withBias)
    {
        int[] xs = [s[0], s[1], s[2], s[3]], ws = [s[4], s[5], s[3], s[6]];
        int sh = s[7], sw = s[8];
        var rng = new Rng(42);
        var x = Tensor.Uniform(new Shape(xs), -1f, 1f, rng);
        var w = Tensor.Uniform(new Shape(ws), -1f, 1f, rng);
        var bias = withBias ? Tensor.Uniform(new Shape(s[6]), -1f, 1f, rng) : null;
        int top, left, oh, ow;
        Padding padding;
        switch (padKind)
        {
            case 0:
                padding = Padding.Valid;
                (top, left) = (0, 0);
                (oh, ow) = ((xs[1] - ws[0]) / sh + 1, (xs[2] - ws[1]) / sw + 1);
                break;
            case 1:
                padding = Padding.Same;
                (top, oh) = Same(xs[1], ws[0], sh);
                (left, ow) = Same(xs[2], ws[1], sw);
                break;
            default:
                padding = Padding.Explicit(2, 0, 1, 3);
                (top, left) = (2, 1);
                (oh, ow) = ((xs[1] + 2 - ws[0]) / sh + 1, (xs[2] + 4 - ws[1]) / sw + 1);
                break;
        }
        var y = Ops.Conv2d(x, w, bias, sh, sw, padding);
        Assert.That(y.Shape, Is.EqualTo(new Shape(xs[0], oh, ow, ws[3])), $"output shape for {padding}");
        var expected = DirectConv(x.ToArray(), xs, w.ToArray(), ws, bias?.ToArray(), sh, sw, top, left, oh, ow);
        GradCheck.AssertClose($"forward conv2d x {x.Shape} w {w.Shape} stride ({sh}, {sw}) {padding}", expected,
                              y.ToArray(), 1e-5f);
    }

    [TestCase(new[] { 2, 5, 6, 3 }, new[] { 3, 3, 3, 2 }, 1, 0)]
    [TestCase(new[] { 1, 7, 6, 2 }, new[] { 3, 2, 2, 3 }, 2, 1)]
    [TestCase(new[] { 2, 6, 7, 2 }, new[] { 4, 4, 2, 2 }, 3, 2)]
    [TestCase(new[] { 2, 4, 3, 3 }, new[] { 1, 1, 3, 2 }, 1, 0)]
    [TestCase(new[] { 1, 5, 4, 8 }, new[] { 3, 3, 8, 16 }, 1, 1)] // 3×3 stride 1, C = 8: Winograd forward
    [TestCase(new[] { 1, 4, 5, 16 }, new[] { 3, 3, 16, 8 }, 1, 2)] // C = 16 from 8: Winograd input gradient
    [TestCase(new[] { 1, 16, 16, 8 }, new[] { 3, 3, 8, 16 }, 1, 1)] // 256 output pixels: Winograd weight gradient
    [TestCase(new[] { 2, 10, 9, 4 }, new[] { 4, 4, 4, 16 }, 2, 0)]  // kernel 2×stride: space-to-depth Winograd
    [TestCase(new[] { 1, 8, 10, 4 }, new[] { 4, 4, 4, 16 }, 2, 0)]  // the same with the stride dividing H, W: its dx too
    [TestCase(new[] { 1, 8, 9, 8 }, new[] { 3, 3, 8, 16 }, 1, 1)]  // 8×9 output: F(4×4) forward, partial tiles
    [TestCase(new[] { 1, 9, 8, 16 }, new[] { 3, 3, 16, 8 }, 1, 2)] // 9×8 input: F(4×4) input gradient, uneven pads
    public void Conv2d_Gradients_MatchFiniteDifferences(int[] xs, int[] ws, int stride, int padKind)
    {
        var padding = padKind switch { 0 => Padding.Valid, 1 => Padding.Same, _ => Padding.Explicit(1, 2, 0, 1) };
        var inputs = GradCheck.RandomInputs(7, xs, ws, [ws[3]]);
        GradCheck.Check($"conv2d {padding} stride {stride}", t => Ops.Conv2d(t[0], t[1], t[2], stride, padding),
                        inputs);
        var noBias = GradCheck.RandomInputs(8, xs, ws);
        GradCheck.Check($"conv2d no bias {padding}", t => Ops.Conv2d(t[0], t[1], null, stride, padding), noBias);
    }

    /// <summary>
    /// Nature conv 3's 64×64 filter at batch 3: the forward is F(4×4, 3×3) and the input gradient its adjoint, with
    /// one tile per image, so the three images share one group. Finite differences of x and the bias only: w's
    /// 36,864 entries would take ~73,000 forwards.
    /// </summary>
    [Test]
    public void Conv2d_WideFilterWinogradForward_MatchesFiniteDifferences()
    {
        var g = Conv2dGeometry.Create("t", new Shape(3, 4, 5, 64), 3, 3, 64, 1, 1, Padding.Valid);
        Assert.That(Conv2dWinograd4.CanForward(g) && Conv2dWinograd4.PaysForward(g), Is.True, "reaches F(4×4)");
        Assert.That(Conv2dWinograd4.CanBackwardInputAdjoint(g) && Conv2dWinograd4.PaysAdjoint(g), Is.True, "adjoint");
        var inputs = GradCheck.RandomInputs(9, [3, 4, 5, 64], [3, 3, 64, 64], [64]);
        GradCheck.Check("conv2d 64→64 VALID, F(4×4) forward and adjoint", t => Ops.Conv2d(t[0], t[1], t[2], 1, Padding.Valid),
                        inputs, checkInput: [true, false, true]);
    }

    /// <summary>
    /// Conv2dRelu against Relu(Conv2d) on the CPU: the forward bit for bit and every gradient (x, w, bias) for a random
    /// output gradient, on the implicit path (VALID, 32 and 16 channels, edge tile) and the im2col path (SAME).
    /// </summary>
    [TestCase(new[] { 3, 20, 20, 4 }, new[] { 8, 8, 4, 32 }, 4, 0, 2)] // Nature conv 1 kernel, M = 48
    [TestCase(new[] { 2, 9, 9, 3 }, new[] { 3, 3, 3, 16 }, 2, 0, 1)]   // M = 32: five full tiles and a 2-row edge
    [TestCase(new[] { 2, 6, 7, 2 }, new[] { 3, 3, 2, 5 }, 1, 1, 2)]    // SAME: im2col + GEMM, then the ReLU pass
    [TestCase(new[] { 2, 6, 7, 8 }, new[] { 3, 3, 8, 16 }, 1, 1, 2)]   // SAME 3×3: Winograd with the ReLU fused
    [TestCase(new[] { 2, 9, 10, 8 }, new[] { 3, 3, 8, 16 }, 1, 1, 2)]  // SAME 3×3, ≥ 8×8: F(4×4) with the ReLU fused
    public void Conv2dRelu_MatchesReluOfConv2d_ForwardAndGradients(int[] xs, int[] ws, int stride, int padKind,
                                                                   int threads)
    {
        var padding = padKind == 0 ? Padding.Valid : Padding.Same;
        int saved = MoeScratch.Tensors.Cpu.CpuThreads.Max;
        try
        {
            MoeScratch.Tensors.Cpu.CpuThreads.Max = threads;
            var (fused, fusedGrads) = Run(true);
            var (plain, plainGrads) = Run(false);
            Assert.That(fused, Is.EqualTo(plain).AsCollection, "forward conv2d_relu");
            Assert.That(fused.Count(v => v == 0f), Is.InRange(1, fused.Length - 1), "forward: a ReLU that never clips");
            for (int i = 0; i < 3; i++)
            {
                Assert.That(fusedGrads[i], Is.EqualTo(plainGrads[i]).AsCollection.Within(1e-5f), $"backward input {i}");
            }
        }
        finally
        {
            MoeScratch.Tensors.Cpu.CpuThreads.Max = saved;
        }

        (float[] Y, float[][] Grads) Run(bool fuse)
        {
            var rng = new System.Random(3);
            float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var x = Tensor.FromArray(Rand(xs.Aggregate(1, (p, d) => p * d)), new Shape(xs));
            var w = Tensor.FromArray(Rand(ws.Aggregate(1, (p, d) => p * d)), new Shape(ws));
            var bias = Tensor.FromArray(Rand(ws[3]), new Shape(ws[3]));
            x.RequiresGrad = w.RequiresGrad = bias.RequiresGrad = true;
            var y = fuse ? Ops.Conv2dRelu(x, w, bias, stride, padding)
                         : Ops.Relu(Ops.Conv2d(x, w, bias, stride, padding));
            var dy = Tensor.FromArray(Rand(y.Count), y.Shape);
            Ops.Sum(Ops.Mul(y, dy)).Backward();
            return (y.ToArray(), [x.Grad!.ToArray(), w.Grad!.ToArray(), bias.Grad!.ToArray()]);
        }
    }

    [TestCase(1, 1, 0, Conv2dKernels.DefaultMaxColFloats)]
    [TestCase(2, 2, 1, Conv2dKernels.DefaultMaxColFloats)]
    [TestCase(3, 1, 2, Conv2dKernels.DefaultMaxColFloats)]
    [TestCase(1, 2, 1, 1)] // one image per im2col chunk: exercises the chunk offsets
    [TestCase(2, 1, 2, 4000)] // two images per chunk, last chunk partial
    public void Conv2dKernels_FastMatchesNaive_ForwardAndBackward(int sh, int sw, int padKind, int maxColFloats)
    {
        var padding = padKind switch { 0 => Padding.Valid, 1 => Padding.Same, _ => Padding.Explicit(0, 3, 2, 1) };
        var g = Conv2dGeometry.Create("test", new Shape(3, 9, 10, 3), 3, 4, 5, sh, sw, padding);
        var rng = new Rng(3);
        var x = Tensor.Uniform(new Shape(3, 9, 10, 3), -1f, 1f, rng).ToArray();
        var w = Tensor.Uniform(new Shape(3, 4, 3, 5), -1f, 1f, rng).ToArray();
        var bias = Tensor.Uniform(new Shape(5), -1f, 1f, rng).ToArray();
        var dy = Tensor.Uniform(g.OutputShape, -1f, 1f, rng).ToArray();
        var yFast = new float[g.OutputShape.Count];
        var yNaive = new float[yFast.Length];
        Conv2dKernels.Forward(yFast, x, w, bias, g, maxColFloats);
        Conv2dKernels.ForwardNaive(yNaive, x, w, bias, g);
        GradCheck.AssertClose("forward kernel", yNaive, yFast, 1e-5f);

        // Backward kernels accumulate: start from the same non-zero values in both.
        float[] Seed(int n) => Enumerable.Range(0, n).Select(i => 0.01f * (i % 7)).ToArray();
        float[] dxF = Seed(x.Length), dwF = Seed(w.Length), dbF = Seed(5);
        float[] dxN = Seed(x.Length), dwN = Seed(w.Length), dbN = Seed(5);
        Conv2dKernels.BackwardInput(dxF, dy, w, g, maxColFloats);
        Conv2dKernels.BackwardWeight(dwF, dbF, dy, x, g, maxColFloats);
        Conv2dKernels.BackwardNaive(dxN, dwN, dbN, dy, x, w, g);
        GradCheck.AssertClose("backward input kernel", dxN, dxF, 1e-5f);
        GradCheck.AssertClose("backward weight kernel", dwN, dwF, 1e-5f);
        GradCheck.AssertClose("backward bias kernel", dbN, dbF, 1e-5f);
    }

    [Test]
    public void Conv2d_NatureCnnShapes_SameAndValid()
    {
        using var noGrad = Tensor.NoGrad();
        var x = Tensor.Zeros(new Shape(1, 84, 84, 4));
        Tensor Run(Padding p)
        {
            var h = Ops.Conv2d(x, Tensor.Zeros(new Shape(8, 8, 4, 32)), null, 4, p);
            Assert.That(h.Shape, Is.EqualTo(p == Padding.Same ? new Shape(1, 21, 21, 32) : new Shape(1, 20, 20, 32)));
            h = Ops.Conv2d(h, Tensor.Zeros(new Shape(4, 4, 32, 64)), null, 2, p);
            Assert.That(h.Shape, Is.EqualTo(p == Padding.Same ? new Shape(1, 11, 11, 64) : new Shape(1, 9, 9, 64)));
            return Ops.Conv2d(h, Tensor.Zeros(new Shape(3, 3, 64, 64)), null, 1, p);
        }
        Assert.That(Run(Padding.Same).Shape, Is.EqualTo(new Shape(1, 11, 11, 64)));
        Assert.That(Run(Padding.Valid).Shape, Is.EqualTo(new Shape(1, 7, 7, 64)));
    }

    [Test]
    public void Padding_Same_IsAsymmetricWhenTotalIsOdd()
    {
        // 84 → 42 with k = 3, s = 2: total = 41·2 + 3 − 84 = 1, so 0 before and 1 after (TF/flax).
        Assert.That(Padding.Same.Resolve("t", 84, 3, 2, vertical: true), Is.EqualTo((0, 1, 42)));
        // 84 → 21 with k = 8, s = 4: total = 20·4 + 8 − 84 = 4 → 2/2.
        Assert.That(Padding.Same.Resolve("t", 84, 8, 4, vertical: false), Is.EqualTo((2, 2, 21)));
        // Stride larger than kernel: total clamps at 0.
        Assert.That(Padding.Same.Resolve("t", 10, 1, 3, vertical: false), Is.EqualTo((0, 0, 4)));
    }

    [Test]
    public void Conv2d_ChannelMismatch_NamesOpAndShapes()
    {
        var x = Tensor.Zeros(new Shape(2, 8, 8, 3));
        var w = Tensor.Zeros(new Shape(3, 3, 4, 16));
        Assert.That(() => Ops.Conv2d(x, w), Throws.ArgumentException.With.Message.Contains("Conv2d")
            .And.Message.Contains("[2, 8, 8, 3]").And.Message.Contains("[3, 3, 4, 16]"));
    }

    [Test]
    public void Conv2d_BadBiasLength_NamesOpAndShapes()
    {
        var x = Tensor.Zeros(new Shape(1, 8, 8, 3));
        var w = Tensor.Zeros(new Shape(3, 3, 3, 16));
        Assert.That(() => Ops.Conv2d(x, w, Tensor.Zeros(new Shape(15))), Throws.ArgumentException
            .With.Message.Contains("Conv2d").And.Message.Contains("[16]").And.Message.Contains("[15]"));
    }

    [Test]
    public void Conv2d_BadSizes_AreRejectedWithValues()
    {
        var x = Tensor.Zeros(new Shape(1, 5, 5, 2));
        Assert.That(() => Ops.Conv2d(x, Tensor.Zeros(new Shape(6, 3, 2, 1))), Throws.ArgumentException
            .With.Message.Contains("Conv2d").And.Message.Contains("kernel height 6"));
        Assert.That(() => Ops.Conv2d(x, Tensor.Zeros(new Shape(3, 3, 2, 1)), null, 0), Throws.ArgumentException
            .With.Message.Contains("stride"));
        Assert.That(() => Padding.Explicit(1, -1, 0, 0), Throws.ArgumentException.With.Message.Contains("-1"));
        Assert.That(() => Ops.Conv2d(Tensor.Zeros(new Shape(5, 5, 2)), Tensor.Zeros(new Shape(3, 3, 2, 1))),
                    Throws.ArgumentException.With.Message.Contains("[5, 5, 2]"));
    }
}
