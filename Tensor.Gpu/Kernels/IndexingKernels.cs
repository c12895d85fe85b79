using ILGPU;
using ILGPU.Algorithms;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Gather along one axis and its backward, scatter-add. Glossary: O outer, NX the gathered axis of x, NI the index
/// length, I inner; x [O, NX, I]; index, y, dy [O, NI, I]; indices are floats holding exact integers.
/// A kernel cannot throw, so an invalid index (fraction, NaN, outside [0, NX)) is skipped and its flat position
/// + 1 is written to <c>error[0]</c>; the backend reads that flag after the launch and throws like the CPU
/// backend (see <c>GpuBackend.CheckIndices</c>).
/// </summary>
public static class IndexingKernels
{
    /// <summary>y[o, j, i] = x[o, index[o, j, i], i].</summary>
    public static void Gather(Index1D t, ArrayView<float> y, ArrayView<float> x, ArrayView<float> index,
                              ArrayView<int> error, int nx, int ni, int inner, GridStride s)
    {
        for (int p = t; p < s.N; p += s.Stride)
        {
            int i = p % inner, o = p / (ni * inner);
            float v = index[p];
            int k = (int)v;
            if (k != v || k < 0 || k >= nx)
            {
                Atomic.CompareExchange(ref error[0], 0, p + 1);
                y[p] = 0f;
                continue;
            }
            y[p] = x[(o * nx + k) * inner + i];
        }
    }

    /// <summary>dx[o, index[o, j, i], i] += dy[o, j, i]; repeated indices accumulate (atomic adds).</summary>
    public static void ScatterAdd(Index1D t, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> index,
                                  ArrayView<int> error, int nx, int ni, int inner, GridStride s)
    {
        for (int p = t; p < s.N; p += s.Stride)
        {
            int i = p % inner, o = p / (ni * inner);
            float v = index[p];
            int k = (int)v;
            if (k != v || k < 0 || k >= nx)
            {
                Atomic.CompareExchange(ref error[0], 0, p + 1);
                continue;
            }
            Atomic.Add(ref dx[(o * nx + k) * inner + i], dy[p]);
        }
    }
}
