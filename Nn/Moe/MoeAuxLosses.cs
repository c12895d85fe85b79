using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// Top-k load-balancing losses (P1 Fig. 9; Riquelme/Ruiz et al. 2021, "Scaling Vision with Sparse Mixture of
/// Experts", App. A.2; dopamine <c>labs/moes/agents/losses.py</c>). Each returns an unweighted scalar averaged over
/// the batch; <see cref="TopKMoe"/> multiplies by the weights in <see cref="TopKMoeOptions"/>.
/// </summary>
public static class MoeAuxLosses
{
    /// <summary>Guards the CV² denominator against an all-zero vector (vmoe uses the same 1e-10).</summary>
    private const float CvEpsilon = 1e-10f;

    /// <summary>
    /// Importance loss: per observation, importance_e = Σ_tokens probs[t, e]; loss = CV²(importance) =
    /// var/mean² (population variance), averaged over the batch. Differentiable in <paramref name="probs"/>.
    /// </summary>
    /// <param name="probs">Router softmax [B, m, n].</param>
    /// <exception cref="ArgumentException">probs is not rank 3.</exception>
    public static Tensor ImportanceLoss(Tensor probs)
    {
        CheckRank3(probs, "ImportanceLoss", "probs");
        return Ops.Mean(CvSquared(Ops.Sum(probs, [1])));
    }

    /// <summary>
    /// Load loss: threshold_t = k-th largest noisy logit of token t; P[t, e] = 1 − Φ((threshold_t − logits[t, e])/σ)
    /// is the probability that expert e would still be among the top k under fresh noise; load_e = mean_t P[t, e];
    /// loss = CV²(load) averaged over the batch. Gradient flows through both the clean logits and the threshold
    /// (noisy = clean + constant noise).
    /// </summary>
    /// <param name="logits">Clean router logits [B, m, n].</param>
    /// <param name="noisyLogits">logits + N(0, σ²) noise, same shape.</param>
    /// <param name="noiseStd">σ (&gt; 0); dopamine uses std_scale/n.</param>
    /// <param name="k">Experts per token.</param>
    /// <exception cref="ArgumentException">Shapes differ, σ ≤ 0, or k is outside [1, n].</exception>
    public static Tensor LoadLoss(Tensor logits, Tensor noisyLogits, float noiseStd, int k)
    {
        CheckRank3(logits, "LoadLoss", "logits");
        if (noisyLogits.Shape != logits.Shape)
        {
            throw new ArgumentException($"LoadLoss: noisyLogits {noisyLogits.Shape} must match logits {logits.Shape}.");
        }
        if (!(noiseStd > 0)) throw new ArgumentException($"LoadLoss: noiseStd must be positive, got {noiseStd}.");
        int n = logits.Shape[2];
        if (k < 1 || k > n) throw new ArgumentException($"LoadLoss: k = {k} must be in [1, {n}].");
        var threshold = Ops.Slice(Ops.TopK(noisyLogits, k, 2).Values, 2, k - 1, 1);     // [B, m, 1]
        var z = Ops.Scale(Ops.Sub(threshold, logits), 1f / noiseStd);                    // noise needed to win
        var p = Ops.Neg(Ops.AddScalar(NormalCdf(z), -1f));                                // 1 − Φ(z)
        return Ops.Mean(CvSquared(Ops.Mean(p, [1])));
    }

    /// <summary>
    /// Naive entropy loss: per observation, the histogram of top experts over its tokens, entropy H normalized by
    /// ln n; loss = 1 − H/ln n averaged over the batch (0 when routing is uniform, 1 when one expert takes every
    /// token). Counts are discrete, so the loss carries no gradient; it is 0 for n = 1.
    /// </summary>
    /// <param name="topExperts">Top expert per token [B, m] (float indices).</param>
    /// <param name="numExperts">n.</param>
    /// <exception cref="ArgumentException">topExperts is not [B, m] or holds an index outside [0, n).</exception>
    public static Tensor EntropyLoss(Tensor topExperts, int numExperts)
    {
        if (topExperts.Rank != 2) throw new ArgumentException($"EntropyLoss: topExperts must be [B, m], got {topExperts.Shape}.");
        if (numExperts <= 0) throw new ArgumentException($"EntropyLoss: numExperts must be positive, got {numExperts}.");
        int b = topExperts.Shape[0], m = topExperts.Shape[1];
        var idx = topExperts.ToArray();
        double total = 0;
        var counts = new int[numExperts];
        for (int i = 0; i < b; i++)
        {
            Array.Clear(counts);
            for (int t = 0; t < m; t++)
            {
                float v = idx[i * m + t];
                int e = (int)v;
                if (e != v || e < 0 || e >= numExperts)
                {
                    throw new ArgumentException($"EntropyLoss: top expert {v} at [{i}, {t}] is not an integer in [0, {numExperts}).");
                }
                counts[e]++;
            }
            double h = 0;
            foreach (int c in counts)
            {
                if (c > 0) h -= (double)c / m * Math.Log((double)c / m);
            }
            total += numExperts == 1 ? 0 : 1 - h / Math.Log(numExperts);
        }
        return Tensor.Scalar((float)(total / b), topExperts.Backend);
    }

    /// <summary>
    /// Standard normal CDF Φ(z) = ½(1 + erf(z/√2)), composed from differentiable ops with the Abramowitz–Stegun
    /// 7.1.26 erf approximation (|error| ≤ 1.5e-7, below float32 resolution of Φ near 1).
    /// </summary>
    public static Tensor NormalCdf(Tensor z)
    {
        const float a1 = 0.254829592f, a2 = -0.284496736f, a3 = 1.421413741f, a4 = -1.453152027f, a5 = 1.061405429f;
        const float p = 0.3275911f;
        var x = Ops.Scale(z, 1f / MathF.Sqrt(2f));
        var ax = Ops.Abs(x);
        var t = Ops.Reciprocal(Ops.AddScalar(Ops.Scale(ax, p), 1f));
        // Horner: t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))
        var poly = Ops.AddScalar(Ops.Scale(t, a5), a4);
        poly = Ops.AddScalar(Ops.Mul(poly, t), a3);
        poly = Ops.AddScalar(Ops.Mul(poly, t), a2);
        poly = Ops.AddScalar(Ops.Mul(poly, t), a1);
        poly = Ops.Mul(poly, t);
        var erfAbs = Ops.Neg(Ops.AddScalar(Ops.Mul(poly, Ops.Exp(Ops.Neg(Ops.Square(ax)))), -1f)); // erf(|x|)
        Tensor sign;
        using (Tensor.NoGrad()) sign = Ops.Sign(x); // erf is odd: erf(x) = sign(x)·erf(|x|); erf(0) = 0 either way
        return Ops.AddScalar(Ops.Scale(Ops.Mul(sign, erfAbs), 0.5f), 0.5f);
    }

    /// <summary>CV²(v) = var(v)/(mean(v)² + 1e-10) over the last axis: [B, n] → [B].</summary>
    private static Tensor CvSquared(Tensor v)
    {
        var mean = Ops.Mean(v, [1], keepDims: true);
        var variance = Ops.Mean(Ops.Square(Ops.Sub(v, mean)), [1]);
        return Ops.Div(variance, Ops.AddScalar(Ops.Square(mean.Reshape(-1)), CvEpsilon));
    }

    private static void CheckRank3(Tensor t, string who, string what)
    {
        if (t.Rank != 3) throw new ArgumentException($"{who}: {what} must be [B, m, n], got {t.Shape}.");
    }
}
