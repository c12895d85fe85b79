namespace MoeScratch.Rl.Agents;

/// <summary>
/// The C51 projection of Bellemare et al. (2017), Eq. 7, as Dopamine's <c>project_distribution</c>
/// (google/dopamine <c>dopamine/jax/agents/rainbow/rainbow_agent.py</c>):
/// <code>
/// (Φ T̂Z)_i = Σ_j clip(1 − |clip(r + d·z_j, V_min, V_max) − z_i| / Δz, 0, 1) · p_j(x′)
/// </code>
/// with d = γ^n·(1 − terminal). Every atom of the next-state distribution is moved to r + d·z_j, clipped to the
/// support, and its mass split between the two nearest atoms in proportion to closeness. The direct double sum
/// costs atoms² per row (51² ≈ 2.6k multiply-adds, negligible next to the network) and, unlike the floor/ceil
/// form, cannot lose mass when r + d·z_j lands exactly on an atom.
/// </summary>
public static class CategoricalProjection
{
    /// <summary>Projects a batch of shifted distributions back onto <paramref name="support"/>.</summary>
    /// <param name="support">[N] atoms z_0 &lt; … &lt; z_{N−1}, equally spaced; V_min = z_0, V_max = z_{N−1}.</param>
    /// <param name="nextProbabilities">[B, N] p_j(x′, a*) from the target network (rows need not sum to 1).</param>
    /// <param name="rewards">[B] the n-step returns r.</param>
    /// <param name="discounts">[B] γ^n·(1 − terminal).</param>
    /// <param name="target">[B, N] the projected target distribution (overwritten).</param>
    /// <exception cref="ArgumentException">Length mismatch, fewer than 2 atoms, or an unsorted or unevenly
    /// spaced support.</exception>
    public static void Project(ReadOnlySpan<float> support, ReadOnlySpan<float> nextProbabilities,
        ReadOnlySpan<float> rewards, ReadOnlySpan<float> discounts, Span<float> target)
    {
        int n = support.Length, b = rewards.Length;
        CheckArguments(support, nextProbabilities.Length, b, discounts.Length, target.Length);
        // V_min, V_max and Δz = (V_max − V_min)/(N − 1) (Eq. 7's Δz).
        float vMin = support[0], vMax = support[n - 1];
        float deltaZ = (vMax - vMin) / (n - 1);
        for (int row = 0; row < b; row++)
        {
            ReadOnlySpan<float> p = nextProbabilities.Slice(row * n, n);
            Span<float> m = target.Slice(row * n, n);
            m.Clear();
            for (int j = 0; j < n; j++)
            {
                // [T̂z_j]^{V_max}_{V_min} = clip(r + γ^n(1 − terminal)·z_j, V_min, V_max).
                float tz = Math.Clamp(rewards[row] + discounts[row] * support[j], vMin, vMax);
                for (int i = 0; i < n; i++)
                {
                    // [1 − |T̂z_j − z_i| / Δz]_0^1 · p_j, summed over j into atom i.
                    float w = 1f - (MathF.Abs(tz - support[i]) / deltaZ);
                    if (w > 0f) m[i] += Math.Min(w, 1f) * p[j];
                }
            }
        }
    }

    /// <summary>Dopamine's default support: <paramref name="atoms"/> values evenly spaced on [−vMax, vMax] (51, 10).</summary>
    public static float[] Support(int atoms = 51, float vMax = 10f)
    {
        if (atoms < 2 || !(vMax > 0))
        {
            throw new ArgumentException($"CategoricalProjection.Support: need atoms ≥ 2 (got {atoms}) and vMax > 0 (got {vMax}).");
        }
        var z = new float[atoms];
        // jnp.linspace(-vmax, vmax, atoms): start + k·step, computed in double then rounded once.
        for (int k = 0; k < atoms; k++) z[k] = (float)(-vMax + 2.0 * vMax * k / (atoms - 1));
        return z;
    }

    private static void CheckArguments(ReadOnlySpan<float> support, int probs, int batch, int discounts, int target)
    {
        int n = support.Length;
        if (n < 2)
        {
            throw new ArgumentException($"CategoricalProjection.Project: the support needs at least 2 atoms, got {n}.");
        }
        if (probs != batch * n || target != batch * n || discounts != batch)
        {
            throw new ArgumentException(
                $"CategoricalProjection.Project: with {n} atoms and {batch} rewards, nextProbabilities and target must " +
                $"have {batch * n} values and discounts {batch}; got {probs}, {target} and {discounts}.");
        }
        float delta = (support[n - 1] - support[0]) / (n - 1);
        for (int i = 1; i < n; i++)
        {
            float gap = support[i] - support[i - 1];
            if (!(gap > 0f) || Math.Abs(gap - delta) > 1e-3f * delta)
            {
                throw new ArgumentException(
                    $"CategoricalProjection.Project: the support must be increasing and evenly spaced (Δz = {delta}); " +
                    $"atoms {i - 1} and {i} are {support[i - 1]} and {support[i]}.");
            }
        }
    }
}
