using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// The Soft MoE router for one PerSamp token per observation (P1 §3, Fig. 3: the whole input x ∈ R^D is one token),
/// shared by the "Big" and "All" expert variants (P1 §5.3). With m = 1 token and capacity factor 1 every expert has
/// p = ceil(1/n) = 1 slot (softmoe.py), so Φ is [D, n]; the dispatch softmax over the single token is 1, so every
/// slot receives x itself; the combine weights are c = softmax over the n slots of x·Φ (P1 §2.2).
/// </summary>
public static class PerSampleRouter
{
    /// <summary>
    /// A new Φ [D, n] = dopamine's (d, n, p = 1) kernel, LeCun-normal with fan_in = n·d as flax's variance scaling on
    /// that 3-D shape (dopamine softmoe.py).
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public static Tensor CreatePhi(int tokenDim, int experts, Rng rng)
    {
        if (tokenDim <= 0 || experts <= 0)
        {
            throw new ArgumentException($"PerSampleRouter: token dim and experts must be positive, got D={tokenDim}, n={experts}.");
        }
        return Init.LecunNormal(new Shape(tokenDim, experts), experts * tokenDim, 1, rng);
    }

    /// <summary>
    /// Combine weights c [B, n] for tokens x [B, D]: softmax_slots(x·Φ), or with <paramref name="normalize"/>
    /// softmax_slots(x̂ · Φ̂·scale) where x̂ and Φ̂ are L2-normalized along D as Soft MoE's, x/(‖x‖ + 1e-6)
    /// (dopamine/labs/moes/architectures/softmoe.py: only the logits see normalized vectors, and the scale multiplies
    /// Φ). Each row sums to 1.
    /// </summary>
    /// <exception cref="ArgumentException">x is not [B, D] with D = Φ's rows.</exception>
    public static Tensor Combine(Tensor token, Tensor phi, Tensor scale, bool normalize)
    {
        if (token.Rank != 2 || token.Shape[1] != phi.Shape[0])
        {
            throw new ArgumentException($"PerSampleRouter: tokens must be [B, {phi.Shape[0]}] for Φ {phi.Shape}, got {token.Shape}.");
        }
        var logits = normalize
            ? Ops.MatMul(SoftMoe.L2NormalizeDopamine(token, 1), Ops.Mul(SoftMoe.L2NormalizeDopamine(phi, 0), scale))
            : Ops.MatMul(token, phi); // "bd,dn→bn"
        return Ops.Softmax(logits, -1);
    }

    /// <summary>
    /// The Soft MoE output for one token, y = Σ_e c_e·f_e(x) ("Y = C Ỹ" with one token and one slot per expert):
    /// expert outputs f_e(x) [B, ...] (all the same shape) mixed by combine weights c [B, n]; "bn,bnf→bf".
    /// </summary>
    /// <exception cref="ArgumentException">The counts or shapes disagree.</exception>
    public static Tensor Mix(IReadOnlyList<Tensor> expertOutputs, Tensor combine)
    {
        var stacked = StackExperts(expertOutputs, combine);                    // [B, n, ...]
        var shape = expertOutputs[0].Shape;
        int b = shape[0], n = expertOutputs.Count;
        var mixed = Ops.MatMul(combine.Reshape(b, 1, n), stacked.Reshape(b, n, shape.Count / b)); // [B, 1, F]
        return mixed.Reshape(shape.ToArray());
    }

    /// <summary>
    /// The combine step deferred into a shared linear head (P1 §5.3: own final layer per expert): for expert features
    /// h_e [B, H] and combine weights c [B, n] returns [c_1·h_1, …, c_n·h_n, c_1, …, c_n] [B, n·H + n], so that a head
    /// Dense(A) with weight blocks W_e and bias rows β_e computes Σ_e c_e (W_e h_e + β_e) + b: the Soft MoE of n final
    /// layers (W_e, β_e), plus one shared bias b.
    /// </summary>
    /// <exception cref="ArgumentException">The counts or shapes disagree, or the features are not [B, H].</exception>
    public static Tensor ExpertHeadFeatures(IReadOnlyList<Tensor> expertFeatures, Tensor combine)
    {
        var stacked = StackExperts(expertFeatures, combine);                                 // [B, n, H]
        if (stacked.Rank != 3) throw new ArgumentException($"PerSampleRouter: expert features must be [B, H], got {expertFeatures[0].Shape}.");
        int b = stacked.Shape[0], n = stacked.Shape[1], h = stacked.Shape[2];
        var weighted = Ops.Mul(stacked, combine.Reshape(b, n, 1)).Reshape(b, n * h);        // "bnh,bn→b(nh)"
        return Ops.Concat([weighted, combine], 1);
    }

    private static Tensor StackExperts(IReadOnlyList<Tensor> outputs, Tensor combine)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(combine);
        if (outputs.Count == 0 || combine.Rank != 2 || combine.Shape[1] != outputs.Count || outputs[0].Shape[0] != combine.Shape[0])
        {
            throw new ArgumentException($"PerSampleRouter: combine weights {combine.Shape} must be [B, n] for n = {outputs.Count} " +
                                        $"expert outputs of batch B{(outputs.Count > 0 ? $" (first {outputs[0].Shape})" : "")}.");
        }
        return Ops.Stack(outputs, 1);
    }

    /// <summary>
    /// Router statistics in <see cref="MoeOutput"/>'s layout from the combine weights [B, n] of L routers (L = 1 for
    /// "Big", one per layer for "All"): probabilities [B, L, n] (row l is layer l's expert shares, summing to 1) and
    /// the argmax expert [B, L] (float indices). Detached; logging only (softmoe.py).
    /// </summary>
    /// <exception cref="ArgumentException">No routers, or their shapes differ.</exception>
    public static (Tensor Probabilities, Tensor TopExperts) Statistics(IReadOnlyList<Tensor> combines)
    {
        ArgumentNullException.ThrowIfNull(combines);
        using (Tensor.NoGrad())
        {
            var probs = Ops.Stack(combines.Select(c => c.Detach()).ToArray(), 1);
            return (probs, Ops.ArgMax(probs, -1));
        }
    }
}
