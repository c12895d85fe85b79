using ILGPU;
using ILGPU.Algorithms;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Fused Top-k router (dopamine <c>routers.py</c> TopKRouter): per token row of logits [T, E],
/// probabilities = softmax over the E experts, the k best experts by probability (the ranking of
/// <see cref="TopKKernels"/>: NaN first, then descending, ties by ascending index), and their gates (the
/// probabilities at those experts). One thread per row; T tokens, E experts, K kept.
/// </summary>
public static class TopKRoutingKernels
{
    /// <summary>probs [T, E], gates [T, K], experts [T, K] (indices as floats) from logits [T, E].</summary>
    public static void Forward(Index1D t, ArrayView<float> probs, ArrayView<float> gates, ArrayView<float> experts,
                               ArrayView<float> logits, int e, int k, GridStride g)
    {
        for (int row = t; row < g.N; row += g.Stride)
        {
            int b0 = row * e;
            float mx = float.NegativeInfinity;
            for (int j = 0; j < e; j++) mx = MaxOp.Apply(mx, logits[b0 + j]);
            float sum = 0f;
            for (int j = 0; j < e; j++) sum += XMath.Exp(logits[b0 + j] - mx);
            float inv = 1f / sum;
            for (int j = 0; j < e; j++) probs[b0 + j] = XMath.Exp(logits[b0 + j] - mx) * inv;
            // Rank r: the best expert ranking strictly after rank r − 1 (no per-thread arrays needed).
            float prevV = 0f;
            int prevJ = -1;
            for (int r = 0; r < k; r++)
            {
                int bestJ = -1;
                float bestV = 0f;
                for (int j = 0; j < e; j++)
                {
                    float v = probs[b0 + j];
                    if (prevJ >= 0 && !TopKKernels.Before(prevV, prevJ, v, j)) continue;
                    if (bestJ < 0 || TopKKernels.Before(v, j, bestV, bestJ))
                    {
                        bestJ = j;
                        bestV = v;
                    }
                }
                gates[row * k + r] = bestV;
                experts[row * k + r] = bestJ;
                prevJ = bestJ;
                prevV = bestV;
            }
        }
    }

    /// <summary>
    /// dlogits [T, E] += softmax backward of the sparse probability gradient dp_j = Σ_r [expert_r = j]·dgate_r:
    /// dL_j = p_j·(dp_j − Σ_i dp_i·p_i).
    /// </summary>
    public static void BackwardGates(Index1D t, ArrayView<float> dlogits, ArrayView<float> dgates,
                                     ArrayView<float> probs, ArrayView<float> experts, int e, int k, GridStride g)
    {
        for (int row = t; row < g.N; row += g.Stride)
        {
            float acc = 0f;
            for (int r = 0; r < k; r++) acc += dgates[row * k + r] * probs[row * e + (int)experts[row * k + r]];
            for (int j = 0; j < e; j++)
            {
                float dp = 0f;
                for (int r = 0; r < k; r++)
                {
                    if ((int)experts[row * k + r] == j) dp += dgates[row * k + r];
                }
                dlogits[row * e + j] += probs[row * e + j] * (dp - acc);
            }
        }
    }
}
