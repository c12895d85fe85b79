using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class MlpTests
{
    /// <summary>relu(x·w1 + b1)·w2 + b2 from the ops it fuses, the reference.</summary>
    private static Tensor Composite(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2) =>
        Ops.MatMulBias(Ops.MatMulBias(x, w1, b1, relu: true), w2, b2);

    /// <summary>
    /// Ops.Mlp against finite differences: batched and shared weights and biases; the first bias is ±2 per column over
    /// products of magnitude ≤ 1.25, so no hidden pre-activation sits near the ReLU's kink.
    /// </summary>
    [TestCase(new[] { 3, 5 }, new[] { 5, 4 }, new[] { 4 }, new[] { 4, 3 }, new[] { 3 })]
    [TestCase(new[] { 2, 3, 5 }, new[] { 2, 5, 4 }, new[] { 2, 4 }, new[] { 2, 4, 3 }, new[] { 2, 3 })]
    [TestCase(new[] { 2, 3, 5 }, new[] { 5, 4 }, new[] { 4 }, new[] { 4, 3 }, new[] { 3 })]
    [TestCase(new[] { 3, 5 }, new[] { 2, 5, 4 }, new[] { 2, 1, 4 }, new[] { 2, 4, 3 }, new[] { 3 })]
    public void Mlp_ForwardAndGradient_MatchReference(int[] sx, int[] sw1, int[] sb1, int[] sw2, int[] sb2)
    {
        var rng = new Rng(31);
        var x = Tensor.Uniform(new Shape(sx), -0.5f, 0.5f, rng);
        var w1 = Tensor.Uniform(new Shape(sw1), -0.5f, 0.5f, rng);
        var b1 = Tensor.FromArray([.. Enumerable.Range(0, new Shape(sb1).Count).Select(i => i % 3 == 0 ? -2f : 2f)],
                                  new Shape(sb1));
        var w2 = Tensor.Uniform(new Shape(sw2), -0.5f, 0.5f, rng);
        var b2 = Tensor.Uniform(new Shape(sb2), -0.5f, 0.5f, rng);
        var want = Composite(x, w1, b1, w2, b2);
        var y = Ops.Mlp(x, w1, b1, w2, b2);
        Assert.That(y.Shape, Is.EqualTo(want.Shape));
        GradCheck.AssertClose("forward mlp", want.ToArray(), y.ToArray(), 1e-6f);
        GradCheck.Check("mlp", t => Ops.Mlp(t[0], t[1], t[2], t[3], t[4]), [x, w1, b1, w2, b2]);
    }

    /// <summary>
    /// At a Soft MoE expert stack's shape, over several row blocks with a partial last one, the fused op gives the
    /// composite's output and every gradient (its backward recomputes the hidden).
    /// </summary>
    [Test]
    public void Mlp_MatchesTheComposite_AtAnExpertShape()
    {
        (float[] Y, float[][] Grads) Run(bool fuse)
        {
            var rng = new Rng(5);
            var x = Tensor.Uniform(new Shape(3, 700, 16), -1f, 1f, rng);
            var w1 = Tensor.Uniform(new Shape(3, 16, 96), -0.5f, 0.5f, rng);
            var b1 = Tensor.Uniform(new Shape(3, 96), -1f, 1f, rng);
            var w2 = Tensor.Uniform(new Shape(3, 96, 16), -0.5f, 0.5f, rng);
            var b2 = Tensor.Uniform(new Shape(3, 16), -1f, 1f, rng);
            Tensor[] all = [x, w1, b1, w2, b2];
            foreach (var t in all) t.RequiresGrad = true;
            var y = fuse ? Ops.Mlp(x, w1, b1, w2, b2) : Composite(x, w1, b1, w2, b2);
            var dy = Tensor.Uniform(y.Shape, -1f, 1f, rng);
            Ops.Sum(Ops.Mul(y, dy)).Backward();
            return (y.ToArray(), [.. all.Select(t => t.Grad!.ToArray())]);
        }
        var (fused, fusedGrads) = Run(true);
        var (plain, plainGrads) = Run(false);
        Assert.That(MoeScratch.Tensors.Cpu.Kernels.MlpKernels.BlockRows(96), Is.LessThan(700), "more than one row block");
        Assert.That(fused, Is.EqualTo(plain).AsCollection.Within(1e-5f));
        for (int i = 0; i < 5; i++) Assert.That(fusedGrads[i], Is.EqualTo(plainGrads[i]).AsCollection.Within(1e-3f), $"input {i}");
    }

    /// <summary>
    /// The first backward writes a weight's gradient straight into it; a second one, before any ZeroGrad, adds to it
    /// (and after ZeroGrad it is written again).
    /// </summary>
    [Test]
    public void Mlp_Backward_WritesFreshGradients_AndAddsToExistingOnes()
    {
        var rng = new Rng(41);
        var x = Tensor.Uniform(new Shape(2, 7, 3), -1f, 1f, rng);
        var w1 = Tensor.Uniform(new Shape(2, 3, 5), -1f, 1f, rng);
        var b1 = Tensor.Uniform(new Shape(2, 5), -1f, 1f, rng);
        var w2 = Tensor.Uniform(new Shape(2, 5, 4), -1f, 1f, rng);
        var b2 = Tensor.Uniform(new Shape(4), -1f, 1f, rng);
        Tensor[] all = [x, w1, b1, w2, b2];
        foreach (var t in all) t.RequiresGrad = true;
        float[][] Step()
        {
            Ops.Sum(Ops.Mlp(x, w1, b1, w2, b2)).Backward();
            return [.. all.Select(t => t.Grad!.ToArray())];
        }
        var once = Step();
        var twice = Step();
        for (int i = 0; i < all.Length; i++)
        {
            Assert.That(twice[i], Is.EqualTo(once[i].Select(v => 2 * v)).AsCollection.Within(1e-5f), $"input {i}, added");
        }
        foreach (var t in all) t.ZeroGrad();
        var again = Step();
        for (int i = 0; i < all.Length; i++) Assert.That(again[i], Is.EqualTo(once[i]).AsCollection.Within(1e-6f), $"input {i}, rewritten");
    }

    [Test]
    public void Mlp_WithoutGrad_RecordsNothing()
    {
        var x = Tensor.Uniform(new Shape(2, 4, 3), -1f, 1f, new Rng(1));
        var w1 = Tensor.Uniform(new Shape(2, 3, 5), -1f, 1f, new Rng(2));
        w1.RequiresGrad = true;
        using (Tensor.NoGrad())
        {
            var y = Ops.Mlp(x, w1, Tensor.Zeros(new Shape(5)), Tensor.Zeros(new Shape(2, 5, 3)), Tensor.Zeros(new Shape(3)));
            Assert.That(y.RequiresGrad, Is.False);
        }
    }

    [Test]
    public void Mlp_WrongShapes_NameTheValues()
    {
        var x = Tensor.Zeros(new Shape(2, 3, 5));
        var w1 = Tensor.Zeros(new Shape(2, 5, 4));
        Assert.That(() => Ops.Mlp(x, w1, Tensor.Zeros(new Shape(4)), Tensor.Zeros(new Shape(2, 6, 3)), Tensor.Zeros(new Shape(3))),
                    Throws.ArgumentException.With.Message.Contains("Mlp").And.Message.Contains("[2, 6, 3]")
                          .And.Message.Contains("H = 4"));
        Assert.That(() => Ops.Mlp(x, w1, Tensor.Zeros(new Shape(4)), Tensor.Zeros(new Shape(4, 3)), Tensor.Zeros(new Shape(3))),
                    Throws.ArgumentException.With.Message.Contains("w1's batch dimensions"));
        Assert.That(() => Ops.Mlp(x, w1, Tensor.Zeros(new Shape(5)), Tensor.Zeros(new Shape(2, 4, 3)), Tensor.Zeros(new Shape(3))),
                    Throws.ArgumentException.With.Message.Contains("b1 [5]").And.Message.Contains("N = 4 floats"));
        Assert.That(() => Ops.Mlp(x, w1, Tensor.Zeros(new Shape(4)), Tensor.Zeros(new Shape(2, 4, 3)), Tensor.Zeros(new Shape(7))),
                    Throws.ArgumentException.With.Message.Contains("b2 [7]").And.Message.Contains("B·N = 6"));
        Assert.That(() => Ops.Mlp(x, Tensor.Zeros(new Shape(2, 6, 4)), Tensor.Zeros(new Shape(4)), Tensor.Zeros(new Shape(2, 4, 3)),
                                  Tensor.Zeros(new Shape(3))),
                    Throws.ArgumentException.With.Message.Contains("inner dimensions"));
    }
}
