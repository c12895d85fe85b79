using ILGPU;
using ILGPU.Algorithms;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Both Soft MoE softmaxes from the same logits (P1 §2.2; Puigcerver et al. 2023, arXiv 2308.00951).
/// Glossary: B observations (softmaxes never cross them), m tokens, S = n·p slots; logits L, dispatch D and
/// combine C are [B, m, S]. D normalizes each slot column over the m tokens, C each token row over the S slots.
/// Stats: [B·S] column (max, Σexp) pairs followed by [B·m] row pairs. Two launches replace the two softmax
/// kernels' six passes: one stats pass (columns and rows in the same launch), then one element-wise pass that
/// reads each logit once and writes D and C together.
/// </summary>
public static class SoftMoeKernels
{
    /// <summary>Thread k &lt; B·S: column (b, s); otherwise row (b, t) = k − B·S. Writes (max, Σ exp(L − max)).</summary>
    public static void Stats(Index1D t, ArrayView<float> stats, ArrayView<float> logits, int m, int slots,
                             int columns, GridStride g)
    {
        for (int k = t; k < g.N; k += g.Stride)
        {
            int start, step, count;
            if (k < columns)
            {
                start = k / slots * m * slots + k % slots;
                step = slots;
                count = m;
            }
            else
            {
                start = (k - columns) * slots;
                step = 1;
                count = slots;
            }
            float mx = float.NegativeInfinity;
            for (int j = 0; j < count; j++) mx = MaxOp.Apply(mx, logits[start + j * step]);
            float sum = 0f;
            for (int j = 0; j < count; j++) sum += XMath.Exp(logits[start + j * step] - mx);
            stats[2 * k] = mx;
            stats[2 * k + 1] = sum;
        }
    }

    /// <summary>D[b, t, s] = exp(L − colmax)/colsum and C[b, t, s] = exp(L − rowmax)/rowsum.</summary>
    public static void Weights(Index1D t, ArrayView<float> dispatch, ArrayView<float> combine, ArrayView<float> logits,
                               ArrayView<float> stats, int m, int slots, int columns, GridStride g)
    {
        for (int p = t; p < g.N; p += g.Stride)
        {
            int s = p % slots, row = p / slots, b = row / m;
            int col = b * slots + s, r = columns + row;
            float l = logits[p];
            dispatch[p] = XMath.Exp(l - stats[2 * col]) / stats[2 * col + 1];
            combine[p] = XMath.Exp(l - stats[2 * r]) / stats[2 * r + 1];
        }
    }
}
