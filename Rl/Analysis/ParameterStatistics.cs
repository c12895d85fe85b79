using MoeScratch.Tensors;

namespace MoeScratch.Rl.Analysis;

/// <summary>Parameter-norm and router statistics logged by the papers' code (P1 Fig. 10).</summary>
public static class ParameterStatistics
{
    /// <summary>Σθ² over every parameter (dopamine's "param_norm": a squared norm, not its square root).</summary>
    public static double SquaredNorm(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double s = 0;
        foreach (var p in parameters)
        {
            foreach (float v in p.ToArray()) s += (double)v * v;
        }
        return s;
    }

    /// <summary>
    /// Per-expert routing mass [n] (dopamine's "expert{i}gate"): RouterProbabilities [B, m, n] averaged over the
    /// batch and the tokens. For Soft MoE each token's masses sum to 1 over experts, so the result sums to 1.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not rank 3.</exception>
    public static double[] ExpertMass(Tensor routerProbabilities)
    {
        ArgumentNullException.ThrowIfNull(routerProbabilities);
        if (routerProbabilities.Rank != 3)
        {
            throw new ArgumentException($"ParameterStatistics.ExpertMass: router probabilities {routerProbabilities.Shape} " +
                                        "must be [batch, tokens, experts] (MoeOutput.RouterProbabilities).");
        }
        int n = routerProbabilities.Shape[2];
        var data = routerProbabilities.ToArray();
        int rows = data.Length / n;
        var mass = new double[n];
        for (int r = 0; r < rows; r++)
        {
            for (int e = 0; e < n; e++) mass[e] += data[r * n + e];
        }
        for (int e = 0; e < n; e++) mass[e] /= rows;
        return mass;
    }

    /// <summary>
    /// How many (sample, token) pairs pick each expert as their top expert, [n], from TopExperts [B, m] (float indices).
    /// Dopamine's "selected_expert{i}" (P1 Fig. 10) is this count divided by B (per observation).
    /// </summary>
    /// <exception cref="ArgumentException">n ≤ 0, or an index is not an integer in [0, n).</exception>
    public static double[] TopExpertCounts(Tensor topExperts, int experts)
    {
        ArgumentNullException.ThrowIfNull(topExperts);
        if (experts <= 0) throw new ArgumentException($"ParameterStatistics.TopExpertCounts: experts = {experts} must be positive.");
        var counts = new double[experts];
        foreach (float v in topExperts.ToArray())
        {
            int e = (int)v;
            if (e != v || e < 0 || e >= experts)
            {
                throw new ArgumentException($"ParameterStatistics.TopExpertCounts: top-expert index {v} is not an integer in " +
                                            $"[0, {experts}); pass MoeOutput.TopExperts and the router's expert count.");
            }
            counts[e]++;
        }
        return counts;
    }
}
