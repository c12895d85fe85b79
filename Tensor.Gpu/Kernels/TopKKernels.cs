using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Top-k indices along the middle axis of x [O, N, I] into indices [O, K, I], one thread per (o, i) row.
/// The ranking is the CPU kernel's total order: NaN first, then descending value, then ascending index. Without
/// per-thread arrays, rank r is found by one pass that takes the best element ranking strictly after rank r − 1:
/// O(N·K) per row, as on the CPU (routers keep K ≤ 2 of a handful of experts).
/// </summary>
public static class TopKKernels
{
    /// <summary>True when (va, ja) ranks before (vb, jb).</summary>
    public static bool Before(float va, int ja, float vb, int jb)
    {
        bool na = float.IsNaN(va), nb = float.IsNaN(vb);
        if (na != nb) return na;
        if (!na && va != vb) return va > vb;
        return ja < jb;
    }

    /// <summary>indices[o, r, i] = index of the r-th ranked element of row (o, i), as a float.</summary>
    public static void TopK(Index1D t, ArrayView<float> indices, ArrayView<float> x, int n, int inner, int k,
                            GridStride s)
    {
        for (int row = t; row < s.N; row += s.Stride)
        {
            int o = row / inner, i = row % inner, base0 = o * n * inner + i;
            float prevV = 0f;
            int prevJ = -1;
            for (int r = 0; r < k; r++)
            {
                int bestJ = -1;
                float bestV = 0f;
                for (int j = 0; j < n; j++)
                {
                    float v = x[base0 + j * inner];
                    if (prevJ >= 0 && !Before(prevV, prevJ, v, j)) continue;
                    if (bestJ < 0 || Before(v, j, bestV, bestJ))
                    {
                        bestJ = j;
                        bestV = v;
                    }
                }
                indices[(o * k + r) * inner + i] = bestJ;
                prevJ = bestJ;
                prevV = bestV;
            }
        }
    }
}
