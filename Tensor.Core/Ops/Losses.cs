using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

/// <summary>How a loss reduces its per-element (or per-row) values.</summary>
public enum Reduction
{
    /// <summary>No reduction: the per-element losses.</summary>
    None,
    /// <summary>The mean over all per-element losses (a scalar).</summary>
    Mean,
    /// <summary>The sum of all per-element losses (a scalar).</summary>
    Sum,
}

public static partial class Ops
{
    // <mse>
    /// <summary>Mean squared error (pred − target)², reduced as asked. Composite.</summary>
    /// <remarks>dpred = 2(pred − target)·dy (÷ count for Mean).</remarks>
    /// <exception cref="ArgumentException">pred and target shapes differ.</exception>
    public static Tensor MseLoss(Tensor pred, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ThrowHelper.ShapesEqual("MseLoss", pred.Shape, target.Shape, "pred", "target");
        return ApplyReduction(Square(Sub(pred, target)), reduction);
    }
    // </mse>

    /// <summary>
    /// Huber loss with threshold δ: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond, d = pred − target (DQN's TD loss with
    /// δ = 1, Mnih et al. 2015). Written as ½q² + δ(|d| − q) with q = min(|d|, δ), which equals both branches
    /// and needs no Where. Composite.
    /// </summary>
    /// <remarks>dpred = clamp(d, −δ, δ)·dy (÷ count for Mean).</remarks>
    /// <exception cref="ArgumentException">Shapes differ or δ ≤ 0.</exception>
    public static Tensor HuberLoss(Tensor pred, Tensor target, float delta = 1f, Reduction reduction = Reduction.Mean)
    {
        ThrowHelper.ShapesEqual("HuberLoss", pred.Shape, target.Shape, "pred", "target");
        if (!(delta > 0)) ThrowHelper.Argument($"HuberLoss: delta must be > 0, got {delta}.");
        var absD = Abs(Sub(pred, target));
        var q = Clamp(absD, max: delta);
        var loss = Add(Scale(Square(q), 0.5f), Scale(Sub(absD, q), delta));
        return ApplyReduction(loss, reduction);
    }

    /// <summary>
    /// Cross-entropy −Σ_axis t · log_softmax(logits) against target probabilities t (the C51 / Rainbow loss
    /// against the projected target distribution, Bellemare et al. 2017). Per-row losses have logits' shape
    /// without the axis; Mean averages over rows. Composite.
    /// </summary>
    /// <remarks>dlogits = (softmax(logits)·Σt − t)·dy; no gradient is wanted for the target (detach it).</remarks>
    /// <exception cref="ArgumentException">Shapes differ or the axis is out of range.</exception>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, Tensor targetProbs, int axis = -1,
                                             Reduction reduction = Reduction.Mean)
    {
        ThrowHelper.ShapesEqual("SoftmaxCrossEntropy", logits.Shape, targetProbs.Shape, "logits", "targetProbs");
        int a = AxisOf(logits.Shape, axis, "SoftmaxCrossEntropy");
        var perRow = Neg(Sum(Mul(targetProbs, LogSoftmax(logits, a)), [a]));
        return ApplyReduction(perRow, reduction);
    }

    private static Tensor ApplyReduction(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.None => loss,
        Reduction.Sum => Sum(loss),
        Reduction.Mean => Mean(loss),
        _ => ThrowHelper.Argument<Tensor>($"Loss: unknown reduction {reduction}."),
    };
}
