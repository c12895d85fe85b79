using MoeScratch.Tensors;

namespace MoeScratch.Rl.Analysis;

/// <summary>
/// Rank and norm statistics of a feature matrix Φ [B, F] (the head's input), P1 Fig. 10. Each definition is named
/// after its source because the papers' code and the literature disagree on what "srank" and "feature norm" mean.
/// </summary>
public static class FeatureStatistics
{
    /// <summary>The thresholds dopamine's <c>log_network_statistics</c> uses for its rank and dormancy counts.</summary>
    public static IReadOnlyList<double> DopamineThresholds { get; } = [0.0, 0.001, 0.01];

    /// <summary>
    /// Kumar et al. (2021a) effective rank: srank_δ = min{k : Σ_{i≤k} σ_i / Σ_i σ_i ≥ 1 − δ} over the
    /// singular values sorted descending (δ = 0.01 in the paper). 0 when every σ is 0.
    /// </summary>
    /// <exception cref="ArgumentException">δ is outside [0, 1) or a singular value is negative.</exception>
    public static int Srank(IReadOnlyList<double> singularValues, double delta = 0.01)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        if (delta is < 0 or >= 1) throw new ArgumentException($"FeatureStatistics.Srank: δ = {delta} must be in [0, 1) (paper: 0.01).");
        var s = singularValues.ToArray();
        if (s.Any(v => v < 0)) throw new ArgumentException("FeatureStatistics.Srank: singular values must be ≥ 0.");
        Array.Sort(s, (x, y) => y.CompareTo(x));
        double total = s.Sum();
        if (total == 0) return 0;
        double cumulative = 0;
        for (int k = 0; k < s.Length; k++)
        {
            cumulative += s[k];
            // The relative slack absorbs rounding in the running sum (δ = 0 must still reach k = rank, not fail).
            if (cumulative >= (1 - delta) * total * (1 - 1e-12)) return k + 1;
        }
        return s.Length;
    }

    /// <summary>
    /// Dopamine's "srank_t" (P1 Fig. 10): the number of singular values with σ_i / σ_max &gt; t. A relative-threshold
    /// numerical rank, not Kumar's srank. 0 when σ_max = 0 (dopamine's 0/0 compares false).
    /// </summary>
    public static int RelativeRank(IReadOnlyList<double> singularValues, double threshold)
    {
        ArgumentNullException.ThrowIfNull(singularValues);
        double max = singularValues.Count == 0 ? 0 : singularValues.Max();
        if (max <= 0) return 0;
        return singularValues.Count(v => v / max > threshold);
    }

    /// <summary>Singular values of a feature tensor [B, F] (or [B, ...], flattened per row), descending.</summary>
    /// <exception cref="ArgumentException">The tensor has rank &lt; 2.</exception>
    public static double[] FeatureSingularValues(Tensor features)
    {
        int b = BatchOf(features, "FeatureSingularValues");
        return SingularValues.Compute(features.ToArray(), b, features.Count / b);
    }

    /// <summary>Population variance over the batch of each feature column, [F] (jnp.var, ddof = 0).</summary>
    public static double[] FeatureVariances(Tensor features)
    {
        int b = BatchOf(features, "FeatureVariances");
        int f = features.Count / b;
        var data = features.ToArray();
        var mean = new double[f];
        var var = new double[f];
        for (int r = 0; r < b; r++)
        {
            for (int j = 0; j < f; j++) mean[j] += data[r * f + j];
        }
        for (int j = 0; j < f; j++) mean[j] /= b;
        for (int r = 0; r < b; r++)
        {
            for (int j = 0; j < f; j++)
            {
                double d = data[r * f + j] - mean[j];
                var[j] += d * d;
            }
        }
        for (int j = 0; j < f; j++) var[j] /= b;
        return var;
    }

    /// <summary>
    /// Dopamine's "dormant_t" (P1 Fig. 10): the <b>count</b> of feature dimensions whose variance over the batch is
    /// ≤ t. Not the ReDo dormant fraction (<see cref="DormantNeurons"/>).
    /// </summary>
    public static int LowVarianceFeatureCount(IReadOnlyList<double> featureVariances, double threshold)
    {
        ArgumentNullException.ThrowIfNull(featureVariances);
        return featureVariances.Count(v => v <= threshold);
    }

    /// <summary>
    /// Dopamine's "feature_norm" (P1 Fig. 10): ‖Var_batch(Φ)‖₂, the L2 norm of the per-feature variance vector
    /// (<c>jnp.mean(jnp.linalg.norm(jnp.var(features, 0), axis=-1))</c>; the outer mean is over a scalar). P1 calls it
    /// "norm of the features", but it measures spread across the batch, not feature magnitude.
    /// </summary>
    public static double VarianceNorm(IReadOnlyList<double> featureVariances)
    {
        ArgumentNullException.ThrowIfNull(featureVariances);
        return Math.Sqrt(featureVariances.Sum(v => v * v));
    }

    /// <summary>The plain feature norm: mean over the batch of each row's L2 norm, (1/B) Σ_b ‖Φ_b‖₂ (for contrast).</summary>
    public static double MeanRowL2Norm(Tensor features)
    {
        int b = BatchOf(features, "MeanRowL2Norm");
        int f = features.Count / b;
        var data = features.ToArray();
        double total = 0;
        for (int r = 0; r < b; r++)
        {
            double sq = 0;
            for (int j = 0; j < f; j++) sq += (double)data[r * f + j] * data[r * f + j];
            total += Math.Sqrt(sq);
        }
        return total / b;
    }

    private static int BatchOf(Tensor features, string op)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rank < 2 || features.Count == 0)
        {
            throw new ArgumentException($"FeatureStatistics.{op}: features {features.Shape} must be a non-empty [B, F] matrix.");
        }
        return features.Shape[0];
    }
}
