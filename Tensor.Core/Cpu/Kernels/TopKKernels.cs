namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Top-k selection along one axis (ArgMax is k = 1).
/// </summary>
/// <remarks>
/// Dimension glossary: O outer, N the searched axis, I inner, K the number kept; x is [O, N, I] and the indices
/// [O, K, I]. Order: descending value; equal values by ascending index (the first maximum wins, as in NumPy's
/// argmax); NaN ranks above every number, so a NaN logit is visible instead of silently skipped.
/// Selection is a bounded insertion sort, O(N·K) per row: routers use K ≤ 2 of a handful of experts.
/// </remarks>
internal static class TopKKernels
{
    public static void TopK(Span<float> indices, ReadOnlySpan<float> x, int outer, int n, int inner, int k)
    {
        if (k == 0) return;
        Span<int> best = k <= 64 ? stackalloc int[k] : new int[k];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int filled = 0;
                for (int j = 0; j < n; j++)
                {
                    float v = x[(o * n + j) * inner + i];
                    // Position among the kept: scanning in index order, a new element goes after every kept element
                    // that ranks at least as high (equal values keep the earlier index first).
                    int pos = filled;
                    while (pos > 0 && Before(v, x[(o * n + best[pos - 1]) * inner + i])) pos--;
                    if (pos >= k) continue;
                    int last = Math.Min(filled, k - 1);
                    for (int r = last; r > pos; r--) best[r] = best[r - 1];
                    best[pos] = j;
                    if (filled < k) filled++;
                }
                for (int r = 0; r < k; r++) indices[(o * k + r) * inner + i] = best[r];
            }
        }
    }

    /// <summary>True when a new value <paramref name="a"/> (higher index) must rank before a kept value b.</summary>
    private static bool Before(float a, float b) =>
        float.IsNaN(a) ? !float.IsNaN(b) : !float.IsNaN(b) && a > b;
}
