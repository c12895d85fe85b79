using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class LossesTests
{
    [TestCase(Reduction.None)]
    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.Sum)]
    public void MseLoss_ForwardAndGradient_MatchReference(Reduction reduction)
    {
        var xs = GradCheck.RandomInputs(13, [3, 5], [3, 5]);
        var p = xs[0].ToArray();
        var t = xs[1].ToArray();
        var per = p.Select((v, i) => (v - t[i]) * (v - t[i])).ToArray();
        var y = Ops.MseLoss(xs[0], xs[1], reduction).ToArray();
        float[] expected = reduction switch
        {
            Reduction.None => per,
            Reduction.Mean => [per.Average()],
            _ => [per.Sum()],
        };
        GradCheck.AssertClose($"forward mse {reduction}", expected, y, 1e-5f);
        GradCheck.Check("mse", i => Ops.MseLoss(i[0], i[1], reduction), xs);
    }

    [Test]
    public void HuberLoss_HandComputedValues()
    {
        // d = pred − target: 0.5 and −0.25 inside δ = 1 (½d²), 3 and −2 outside (|d| − ½).
        var pred = Tensor.FromArray([0.5f, 0f, 4f, -1f]);
        var target = Tensor.FromArray([0f, 0.25f, 1f, 1f]);
        var y = Ops.HuberLoss(pred, target, 1f, Reduction.None).ToArray();
        Assert.That(y, Is.EqualTo(new[] { 0.125f, 0.03125f, 2.5f, 1.5f }).AsCollection.Within(1e-6f));
        // δ = 2: |d| = 3 gives 2·(3 − 1) = 4; |d| = 0.5 still gives 0.125.
        var y2 = Ops.HuberLoss(pred, target, 2f, Reduction.None).ToArray();
        Assert.That(y2, Is.EqualTo(new[] { 0.125f, 0.03125f, 4f, 2f }).AsCollection.Within(1e-6f));
        Assert.That(Ops.HuberLoss(pred, target).Item(), Is.EqualTo((0.125f + 0.03125f + 2.5f + 1.5f) / 4).Within(1e-6f));
        Assert.That(Ops.HuberLoss(pred, target, reduction: Reduction.Sum).Item(), Is.EqualTo(4.15625f).Within(1e-6f));
    }

    [Test]
    public void HuberLoss_Gradient_IsClampedDifference()
    {
        var pred = Tensor.FromArray([0.5f, 0f, 4f, -1f]);
        var target = Tensor.FromArray([0f, 0.25f, 1f, 1f]);
        pred.RequiresGrad = true;
        Ops.HuberLoss(pred, target, 1f, Reduction.Sum).Backward();
        Assert.That(pred.Grad!.ToArray(), Is.EqualTo(new[] { 0.5f, -0.25f, 1f, -1f }).AsCollection.Within(1e-6f));
        // Finite differences away from the kink at |d| = δ (inputs in [-1, 1) give |d| < 2, δ = 0.7).
        GradCheck.Check("huber", i => Ops.HuberLoss(i[0], i[1], 0.7f, Reduction.None),
                        GradCheck.RandomInputs(14, [3, 4], [3, 4]), eps: 1e-3);
    }

    [Test]
    public void SoftmaxCrossEntropy_ForwardAndGradient_MatchReference()
    {
        var logits = GradCheck.RandomInputs(15, [2, 3, 5])[0];
        var targets = Ops.Softmax(GradCheck.RandomInputs(16, [2, 3, 5])[0], -1);
        var l = logits.ToArray();
        var t = targets.ToArray();
        var per = new float[6];
        for (int r = 0; r < 6; r++)
        {
            double lse = Math.Log(Enumerable.Range(0, 5).Sum(j => Math.Exp(l[r * 5 + j])));
            per[r] = (float)-Enumerable.Range(0, 5).Sum(j => t[r * 5 + j] * (l[r * 5 + j] - lse));
        }
        var none = Ops.SoftmaxCrossEntropy(logits, targets, -1, Reduction.None);
        Assert.That(none.Shape, Is.EqualTo(new Shape(2, 3)));
        GradCheck.AssertClose("forward softmax_ce", per, none.ToArray(), 1e-5f);
        Assert.That(Ops.SoftmaxCrossEntropy(logits, targets).Item(), Is.EqualTo(per.Average()).Within(1e-5f));
        GradCheck.Check("softmax_ce", i => Ops.SoftmaxCrossEntropy(i[0], targets, -1, Reduction.None), [logits]);
        GradCheck.Check("softmax_ce axis 1", i => Ops.SoftmaxCrossEntropy(i[0], i[1], 1, Reduction.Sum),
                        GradCheck.RandomInputs(17, [2, 3, 1], [2, 3, 1]));
    }

    [Test]
    public void Losses_MismatchedShapes_NameOpAndBothShapes()
    {
        var a = Tensor.Zeros(new Shape(4, 2));
        var b = Tensor.Zeros(new Shape(4, 3));
        foreach (var (name, f) in new (string, Func<Tensor>)[]
                 {
                     ("MseLoss", () => Ops.MseLoss(a, b)),
                     ("HuberLoss", () => Ops.HuberLoss(a, b)),
                     ("SoftmaxCrossEntropy", () => Ops.SoftmaxCrossEntropy(a, b)),
                 })
        {
            Assert.That(() => f(), Throws.ArgumentException.With.Message.Contains(name).And.Message.Contains("[4, 2]")
                                        .And.Message.Contains("[4, 3]"));
        }
        Assert.That(() => Ops.SoftmaxCrossEntropy(a, a, 2),
                    Throws.ArgumentException.With.Message.Contains("axis 2").And.Message.Contains("[4, 2]"));
    }
}
