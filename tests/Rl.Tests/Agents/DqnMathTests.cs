using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Agents;

public class DqnMathTests
{
    [Test]
    public void TdTargets_AddDiscountedBootstrap()
    {
        // y = r + d·Q': 1 + 0.99·2 = 2.98; terminal (d = 0) keeps the return; 3-step d = 0.99² = 0.9801.
        var y = new float[3];
        DqnMath.TdTargets([1f, 0.5f, -1f], [0.99f, 0f, 0.9801f], [2f, 5f, -1f], y);
        Assert.That(y, Is.EqualTo(new[] { 2.98f, 0.5f, -1.9801f }).Within(1e-6f).AsCollection);
    }

    [Test]
    public void BootstrapActions_MaxVersusDouble()
    {
        float[] target = [1f, 3f, 2f, 0f];
        float[] online = [5f, 0f, 0f, 1f];
        var a = new int[2];
        var q = new float[2];
        DqnMath.BootstrapActions(target, default, 2, doubleDqn: false, a);
        DqnMath.GatherRows(target, 2, a, q);
        Assert.That(q, Is.EqualTo(new[] { 3f, 2f }).AsCollection, "plain DQN: max_a Q_target");
        DqnMath.BootstrapActions(target, online, 2, doubleDqn: true, a);
        Assert.That(a, Is.EqualTo(new[] { 0, 1 }).AsCollection, "double DQN: argmax of the online values");
        DqnMath.GatherRows(target, 2, a, q);
        Assert.That(q, Is.EqualTo(new[] { 1f, 0f }).AsCollection, "double DQN: the target's value of that action");
    }

    [Test]
    public void GreedyActions_TiesGoToTheLowestIndex()
    {
        var a = new int[1];
        DqnMath.GreedyActions([2f, 2f, 1f], 3, a);
        Assert.That(a[0], Is.Zero);
    }

    [Test]
    public void TdLoss_MseHasNoHalfAndHuberIsQuadraticThenLinear()
    {
        var q = Tensor.FromArray([1f, 2f, 3f, 0f]);
        var y = Tensor.FromArray([2f, 2f, 0f, 0.5f]);
        Assert.That(DqnMath.TdLoss(q, y, TdLossKind.Mse).ToArray(),
                    Is.EqualTo(new[] { 1f, 0f, 9f, 0.25f }).Within(1e-6f).AsCollection);
        // |d| = 1 → ½; 0 → 0; 3 → ½ + (3 − 1) = 2.5; 0.5 → 0.125.
        Assert.That(DqnMath.TdLoss(q, y, TdLossKind.Huber).ToArray(),
                    Is.EqualTo(new[] { 0.5f, 0f, 2.5f, 0.125f }).Within(1e-6f).AsCollection);
    }

    [Test]
    public void C51Loss_IsCrossEntropyOfTheProjectedTarget()
    {
        // logits [0, ln 3] → softmax [¼, ¾]; target [½, ½]: −(½ ln ¼ + ½ ln ¾) = 0.8369882.
        var logits = Tensor.FromArray([0f, MathF.Log(3f), 0f, 0f], new Shape(2, 2));
        var target = Tensor.FromArray([0.5f, 0.5f, 1f, 0f], new Shape(2, 2));
        Assert.That(DqnMath.C51Loss(logits, target).ToArray(),
                    Is.EqualTo(new[] { 0.8369882f, MathF.Log(2f) }).Within(1e-5f).AsCollection);
    }

    [Test]
    public void CqlRegularizer_TinyMatrixAndGradient()
    {
        // Row 0: logsumexp(1, 2) = 2 + ln(1 + e⁻¹) = 2.3132617, minus Q(s, a=0) = 1 → 1.3132617.
        // Row 1: logsumexp(0, 0) = ln 2, minus Q(s, a=1) = 0 → 0.6931472.
        var q = Tensor.FromArray([1f, 2f, 0f, 0f], new Shape(2, 2));
        q.RequiresGrad = true;
        var chosen = Ops.Gather(q, 1, DqnMath.ActionIndex([0, 1])).Reshape(2);
        var cql = DqnMath.CqlRegularizer(q, chosen);
        Assert.That(cql.ToArray(), Is.EqualTo(new[] { 1.3132617f, 0.6931472f }).Within(1e-5f).AsCollection);
        // d mean / dq = (softmax − onehot(a)) / B.
        Ops.Mean(cql).Backward();
        float s0 = 1f / (1f + MathF.E);
        Assert.That(q.Grad!.ToArray(),
                    Is.EqualTo(new[] { (s0 - 1f) / 2f, (1f - s0) / 2f, 0.25f, -0.25f }).Within(1e-5f).AsCollection);
    }

    [Test]
    public void CombineLoss_WeightsTdAddsCqlAndAux()
    {
        // mean(w·td) = mean(1·1, 0.5·3) = 1.25; 0.1·mean(2, 4) = 0.3; aux 0.05 → 1.6. With td_coef 2: 2.85.
        var td = Tensor.FromArray([1f, 3f]);
        var w = Tensor.FromArray([1f, 0.5f]);
        var cql = Tensor.FromArray([2f, 4f]);
        var aux = Tensor.Scalar(0.05f);
        Assert.That(DqnMath.CombineLoss(td, w, 1f, cql, 0.1f, aux).Item(), Is.EqualTo(1.6f).Within(1e-6f));
        Assert.That(DqnMath.CombineLoss(td, w, 2f, cql, 0.1f, aux).Item(), Is.EqualTo(2.85f).Within(1e-6f));
        Assert.That(DqnMath.CombineLoss(td, null, 1f, null, 0f, null).Item(), Is.EqualTo(2f).Within(1e-6f));
    }

    [Test]
    public void AtomIndex_GathersTheChosenActionsDistribution()
    {
        // logits [B=2, A=2, N=3]; actions [1, 0].
        var logits = Tensor.FromArray([0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f], new Shape(2, 2, 3));
        var chosen = Ops.Gather(logits, 1, DqnMath.AtomIndex([1, 0], 3)).Reshape(2, 3);
        Assert.That(chosen.ToArray(), Is.EqualTo(new[] { 3f, 4f, 5f, 6f, 7f, 8f }).AsCollection);
    }

    [Test]
    public void SizeMismatches_AreNamed()
    {
        var y = new float[2];
        var e = Assert.Throws<ArgumentException>(() => DqnMath.TdTargets([1f], [1f, 1f], [1f, 1f], y));
        Assert.That(e!.Message, Does.Contain("TdTargets"));
        Assert.Throws<ArgumentException>(() => DqnMath.GatherRows([1f, 2f], 2, [2], new float[1]));
    }
}
