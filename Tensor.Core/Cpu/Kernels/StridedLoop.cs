namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// The one N-d iteration driver behind broadcasting and reductions: walks an output shape row by row (the last,
/// coalesced dimension is the row) and reports the element offsets of up to two strided inputs. Inner rows
/// then run on contiguous spans with <c>TensorPrimitives</c>.
/// </summary>
internal static class StridedLoop
{
    /// <summary>
    /// Merges adjacent dimensions whose strides are compatible in every operand, so [B,H,W,C] + [C] becomes
    /// [B·H·W, C] and a full-shape op becomes one row.
    /// </summary>
    public static (int[] dims, int[] sa, int[] sb) Coalesce(ReadOnlySpan<int> dims, int[] sa, int[] sb)
    {
        var d = new List<int>(dims.Length);
        var a = new List<int>(dims.Length);
        var b = new List<int>(dims.Length);
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == 1) continue;
            int n = d.Count;
            if (n > 0 && a[n - 1] == sa[i] * dims[i] && b[n - 1] == sb[i] * dims[i])
            {
                d[n - 1] *= dims[i];
                a[n - 1] = sa[i];
                b[n - 1] = sb[i];
            }
            else
            {
                d.Add(dims[i]);
                a.Add(sa[i]);
                b.Add(sb[i]);
            }
        }
        if (d.Count == 0)
        {
            d.Add(1);
            a.Add(0);
            b.Add(0);
        }
        return (d.ToArray(), a.ToArray(), b.ToArray());
    }

    /// <summary>
    /// Calls <paramref name="row"/>(rowIndex, offsetA, offsetB) for each row of the coalesced shape
    /// <paramref name="dims"/>; the row has length dims[^1] and inner strides sa[^1], sb[^1].
    /// </summary>
    public static void ForEachRow(int[] dims, int[] sa, int[] sb, Action<int, int, int> row)
    {
        int rank = dims.Length;
        int rows = 1;
        for (int i = 0; i < rank - 1; i++) rows *= dims[i];
        Span<int> idx = stackalloc int[Math.Max(rank, 1)];
        int oa = 0, ob = 0;
        for (int r = 0; r < rows; r++)
        {
            row(r, oa, ob);
            for (int i = rank - 2; i >= 0; i--)
            {
                idx[i]++;
                oa += sa[i];
                ob += sb[i];
                if (idx[i] < dims[i]) break;
                oa -= sa[i] * dims[i];
                ob -= sb[i] * dims[i];
                idx[i] = 0;
            }
        }
    }
}
