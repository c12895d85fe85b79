using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Copies that move elements. Permute: y is contiguous and x is read through a <see cref="StridedIndex"/> whose
/// A strides are x's strides in y's dimension order (coalesced on the host). Slices: O outer, NX the axis in x,
/// NY the slice length, I inner; x [O, NX, I], y [O, NY, I].
/// </summary>
public static class MovementKernels
{
    /// <summary>y[p] = x[offA(p)].</summary>
    public static void Permute(Index1D t, ArrayView<float> y, ArrayView<float> x, StridedIndex idx, GridStride s)
    {
        for (int p = t; p < s.N; p += s.Stride) y[p] = x[idx.OffsetA(p)];
    }

    /// <summary>Flat offset in x [O, NX, I] of element p of y [O, NY, I] for a slice starting at start.</summary>
    private static int SliceOffset(int p, int nx, int inner, int start, int ny)
    {
        int i = p % inner, r = p / inner, j = r % ny, o = r / ny;
        return (o * nx + start + j) * inner + i;
    }

    /// <summary>y = x[:, start : start + NY, :].</summary>
    public static void SliceCopy(Index1D t, ArrayView<float> y, ArrayView<float> x, int nx, int inner, int start,
                                 int ny, GridStride s)
    {
        for (int p = t; p < s.N; p += s.Stride) y[p] = x[SliceOffset(p, nx, inner, start, ny)];
    }

    /// <summary>dx[:, start : start + NY, :] += dy (each dy element maps to one distinct dx element).</summary>
    public static void SliceAdd(Index1D t, ArrayView<float> dx, ArrayView<float> dy, int nx, int inner, int start,
                                int ny, GridStride s)
    {
        for (int p = t; p < s.N; p += s.Stride) dx[SliceOffset(p, nx, inner, start, ny)] += dy[p];
    }
}
