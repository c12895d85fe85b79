using MoeScratch.Tensors;

namespace MoeScratch.Rl.Analysis;

/// <summary>
/// Dormant-neuron fractions (P1 Fig. 10), in the two variants the papers' code uses. A unit is τ-dormant when its
/// normalized mean |activation| is ≤ τ; with τ = 0 both variants count units that are exactly zero on the whole batch.
/// </summary>
public static class DormantNeurons
{
    // Both dopamine implementations add 1e-9 to the normalizer so an all-zero layer gives scores of 0, not NaN.
    private const double Epsilon = 1e-9;

    /// <summary>
    /// ReDo scores (Sokar et al. 2023; dopamine <c>weight_recyclers.estimate_neuron_score</c>, P1 Fig. 10): for
    /// activations [..., H] (e.g. [B, H] dense, [B, h, w, C] conv), s_i = E|a_i| over every leading axis (batch and
    /// spatial positions) divided by the <b>mean</b> of the H scores.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has rank &lt; 2.</exception>
    public static double[] RedoScores(Tensor activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.Rank < 2)
        {
            throw new ArgumentException($"DormantNeurons.RedoScores: activations {activations.Shape} need rank ≥ 2 " +
                                        "([batch, ..., units]); add the batch axis.");
        }
        int units = activations.Shape[-1];
        var score = MeanAbsPerUnit(activations.ToArray(), units);
        Normalize(score, score.Average());
        return score;
    }

    /// <summary>
    /// ReDo dormant fraction (P1 Fig. 10): the fraction of the last-axis units whose <see cref="RedoScores"/> is ≤
    /// <paramref name="tau"/> (dopamine default τ = 0).
    /// </summary>
    public static double RedoFraction(Tensor activations, double tau = 0) => FractionAtMost(RedoScores(activations), tau);

    /// <summary>
    /// ReDo fraction over MoE experts' hidden units, expert activations [n, B·p, h]: every (expert, unit) pair is its
    /// own neuron, scored by E|a| over the B·p slots and normalized by the mean over all n·h neurons (ReDo
    /// definition applied to the expert layer; each expert is a separate layer of neurons).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not rank 3.</exception>
    public static double RedoExpertFraction(Tensor expertHidden, double tau = 0)
    {
        ArgumentNullException.ThrowIfNull(expertHidden);
        if (expertHidden.Rank != 3)
        {
            throw new ArgumentException($"DormantNeurons.RedoExpertFraction: expert activations {expertHidden.Shape} must " +
                                        "be [experts, batch·slots, hidden] (MoeOutput.ExpertHidden).");
        }
        int n = expertHidden.Shape[0], rows = expertHidden.Shape[1], h = expertHidden.Shape[2];
        var data = expertHidden.ToArray();
        var score = new double[n * h];
        for (int e = 0; e < n; e++)
        {
            var per = MeanAbsPerUnit(data.AsSpan(e * rows * h, rows * h), h);
            Array.Copy(per, 0, score, e * h, h);
        }
        Normalize(score, score.Average());
        return FractionAtMost(score, tau);
    }

    /// <summary>
    /// The MoE code's dormant fraction for dense activations [B, ...] (dopamine <c>dqn_moe_agent.train</c>,
    /// P1 Fig. 10): score = E_batch|a| per remaining element, normalized by the <b>sum</b> of scores; returns the
    /// fraction (the code logs 100×) of elements with score ≤ <paramref name="tau"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has rank &lt; 2.</exception>
    public static double MoeCodeFraction(Tensor hidden, double tau = 0)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Rank < 2)
        {
            throw new ArgumentException($"DormantNeurons.MoeCodeFraction: activations {hidden.Shape} need rank ≥ 2 ([batch, ...]).");
        }
        int perSample = hidden.Count / hidden.Shape[0];
        var score = MeanAbsPerUnit(hidden.ToArray(), perSample);
        Normalize(score, score.Sum());
        return FractionAtMost(score, tau);
    }

    /// <summary>
    /// The MoE code's dormant fraction on expert activations (P1 Fig. 10): dopamine's <c>experts_hidden</c> is
    /// (B, n, p, h); |a| is averaged over the batch, then over the expert axis, leaving p·h scores normalized by their
    /// sum. Here the layout is MoeOutput's [n, B·p, h], so <paramref name="batch"/> splits B·p into (B, p).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not rank 3 or its middle axis is not a multiple of batch.</exception>
    public static double MoeCodeExpertFraction(Tensor expertHidden, int batch, double tau = 0)
    {
        ArgumentNullException.ThrowIfNull(expertHidden);
        if (expertHidden.Rank != 3 || batch <= 0 || expertHidden.Shape[1] % batch != 0)
        {
            throw new ArgumentException($"DormantNeurons.MoeCodeExpertFraction: expert activations {expertHidden.Shape} must " +
                                        $"be [experts, batch·slots, hidden] with batch = {batch} dividing the middle axis.");
        }
        int n = expertHidden.Shape[0], p = expertHidden.Shape[1] / batch, h = expertHidden.Shape[2];
        var data = expertHidden.ToArray();
        var score = new double[p * h];
        // Row e·(B·p) + b·p + s of the flattened [n, B·p, h] is expert e, sample b, slot s.
        for (int e = 0; e < n; e++)
        {
            for (int b = 0; b < batch; b++)
            {
                int rowBase = (e * batch + b) * p * h;
                for (int k = 0; k < p * h; k++) score[k] += Math.Abs(data[rowBase + k]);
            }
        }
        for (int k = 0; k < score.Length; k++) score[k] /= (double)n * batch;
        Normalize(score, score.Sum());
        return FractionAtMost(score, tau);
    }

    /// <summary>E|a| per unit for data laid out [rows, units] (rows = product of the leading axes).</summary>
    internal static double[] MeanAbsPerUnit(ReadOnlySpan<float> data, int units)
    {
        int rows = data.Length / units;
        var score = new double[units];
        for (int r = 0; r < rows; r++)
        {
            var row = data.Slice(r * units, units);
            for (int i = 0; i < units; i++) score[i] += Math.Abs(row[i]);
        }
        for (int i = 0; i < units; i++) score[i] /= rows;
        return score;
    }

    private static void Normalize(double[] score, double normalizer)
    {
        double d = normalizer + Epsilon;
        for (int i = 0; i < score.Length; i++) score[i] /= d;
    }

    private static double FractionAtMost(double[] score, double tau)
    {
        if (tau < 0) throw new ArgumentException($"DormantNeurons: threshold τ = {tau} must be ≥ 0.");
        int count = 0;
        foreach (double s in score)
        {
            if (s <= tau) count++;
        }
        return (double)count / score.Length;
    }
}
