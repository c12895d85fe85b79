using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Copies that move elements: permute (transpose) and slice / slice-add along one axis.
/// </summary>
/// <remarks>
/// Dimension glossary: for permute, x has dimensions D₀…D_{R−1} and y has D_{perm[0]}…D_{perm[R−1]}. For
/// slices, O outer, NX the axis in x, NY the slice length, I inner: x is [O, NX, I] and y [O, NY, I], so each
/// (o) block moves NY·I contiguous floats.
/// </remarks>
internal static class MovementKernels
{
    /// <summary>y = x.permute(perm). x: dims <paramref name="xDims"/>; y: the permuted dims.</summary>
    public static void Permute(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<int> xDims, int[] perm)
    {
        if (y.Length == 0) return;
        var (dims, p) = Simplify(xDims, perm);
        if (p.Length <= 1)
        {
            x.Slice(0, y.Length).CopyTo(y);
            return;
        }
        // After merging, a 2-D transpose is perm (1, 0) and a batched one is (0, 2, 1): the fast paths.
        if (p.Length == 2 && p[0] == 1)
        {
            Transpose2D(y, x, dims[0], dims[1]);
            return;
        }
        if (p.Length == 3 && p[0] == 0 && p[1] == 2)
        {
            int mn = dims[1] * dims[2];
            for (int b = 0; b < dims[0]; b++) Transpose2D(y.Slice(b * mn, mn), x.Slice(b * mn, mn), dims[1], dims[2]);
            return;
        }
        General(y, x, dims, p);
    }

    /// <summary>y [c, r] = xᵀ for x [r, c], in 32×32 tiles so both sides stay in cache.</summary>
    internal static void Transpose2D(Span<float> y, ReadOnlySpan<float> x, int r, int c)
    {
        const int T = 32;
        for (int i0 = 0; i0 < r; i0 += T)
        {
            int i1 = Math.Min(r, i0 + T);
            for (int j0 = 0; j0 < c; j0 += T)
            {
                int j1 = Math.Min(c, j0 + T);
                for (int i = i0; i < i1; i++)
                {
                    for (int j = j0; j < j1; j++) y[j * r + i] = x[i * c + j];
                }
            }
        }
    }

    /// <summary>Any permutation: an odometer over y's dimensions with x's strides, the last one innermost.</summary>
    private static void General(Span<float> y, ReadOnlySpan<float> x, int[] dims, int[] p)
    {
        int rank = p.Length;
        var xStrides = new Shape(dims).Strides();
        var yDims = new int[rank];
        var sx = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            yDims[d] = dims[p[d]];
            sx[d] = xStrides[p[d]];
        }
        var idx = new int[rank];
        int len = yDims[rank - 1], s = sx[rank - 1], ox = 0;
        for (int oy = 0; oy < y.Length; oy += len)
        {
            for (int j = 0, q = ox; j < len; j++, q += s) y[oy + j] = x[q];
            // Advance the odometer over the outer dimensions.
            for (int d = rank - 2; d >= 0; d--)
            {
                ox += sx[d];
                if (++idx[d] < yDims[d]) break;
                ox -= sx[d] * yDims[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>
    /// Drops size-1 dimensions and merges input dimensions that stay adjacent and in order in the output, so
    /// [B, H, W, C] with perm (0, 3, 1, 2) becomes [B, H·W, C] with perm (0, 2, 1).
    /// </summary>
    /// <remarks>
    /// Size-1 axes are removed (and the remaining axes renumbered) before merging: otherwise a size-1 axis between
    /// two axes that stay in order, as in [B, 1, p, d] → [1, B, p, d], would keep them apart and leave an identity
    /// permutation looking like a transpose.
    /// </remarks>
    internal static (int[] dims, int[] perm) Simplify(ReadOnlySpan<int> xDims, int[] perm)
    {
        // Renumber the axes of size > 1 in input order: [2, 1, 2, 5] keeps axes 0, 2, 3 as 0, 1, 2.
        var compact = new int[xDims.Length];
        int kept = 0;
        for (int a = 0; a < xDims.Length; a++) compact[a] = xDims[a] == 1 ? -1 : kept++;
        var keptDims = new int[kept];
        for (int a = 0; a < xDims.Length; a++)
        {
            if (compact[a] >= 0) keptDims[compact[a]] = xDims[a];
        }

        var groups = new List<List<int>>();
        foreach (int axis in perm)
        {
            int a = compact[axis];
            if (a < 0) continue;
            if (groups.Count > 0 && groups[^1][^1] == a - 1) groups[^1].Add(a);
            else groups.Add([a]);
        }
        // A group's input position is the rank of its first axis among all groups' first axes.
        var order = Enumerable.Range(0, groups.Count).OrderBy(g => groups[g][0]).ToArray();
        var dims = new int[groups.Count];
        var p = new int[groups.Count];
        for (int rankInX = 0; rankInX < order.Length; rankInX++)
        {
            int g = order[rankInX];
            int size = 1;
            foreach (int a in groups[g]) size *= keptDims[a];
            dims[rankInX] = size;
            p[g] = rankInX;
        }
        return (dims, p);
    }

    /// <summary>Naive reference: decodes every output index (test oracle).</summary>
    public static void PermuteNaive(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<int> xDims, int[] perm)
    {
        int rank = perm.Length;
        var xs = new Shape(xDims.ToArray()).Strides();
        var idx = new int[rank];
        for (int oy = 0; oy < y.Length; oy++)
        {
            int r = oy, ox = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                int n = xDims[perm[d]];
                idx[d] = r % n;
                r /= n;
                ox += idx[d] * xs[perm[d]];
            }
            y[oy] = x[ox];
        }
    }

    /// <summary>y [O, NY, I] = x[:, start : start + NY, :] with x [O, NX, I].</summary>
    public static void SliceCopy(Span<float> y, ReadOnlySpan<float> x, int outer, int nx, int inner, int start, int ny)
    {
        int len = ny * inner;
        for (int o = 0; o < outer; o++) x.Slice((o * nx + start) * inner, len).CopyTo(y.Slice(o * len, len));
    }

    /// <summary>dx[:, start : start + NY, :] += dy with dx [O, NX, I] and dy [O, NY, I].</summary>
    public static void SliceAdd(Span<float> dx, ReadOnlySpan<float> dy, int outer, int nx, int inner, int start, int ny)
    {
        int len = ny * inner;
        for (int o = 0; o < outer; o++)
        {
            var d = dx.Slice((o * nx + start) * inner, len);
            TP.Add(d, dy.Slice(o * len, len), d);
        }
    }
}
