using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Gather along one axis and its backward, scatter-add.
/// </summary>
/// <remarks>
/// Dimension glossary: O outer, NX the gathered axis of x, NI the index length along it, I inner. x is
/// [O, NX, I]; index, y and dy are [O, NI, I]. Indices are floats holding exact integers (see <see cref="Ops"/>).
/// Example: Q(s, a) is q [B, A] gathered with actions [B, 1]: O = B, NX = A, NI = 1, I = 1.
/// </remarks>
internal static class IndexingKernels
{
    /// <summary>y[o, j, i] = x[o, index[o, j, i], i].</summary>
    public static void Gather(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> index, int outer, int nx,
                              int ni, int inner)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < ni; j++)
            {
                int p = (o * ni + j) * inner;
                for (int i = 0; i < inner; i++)
                {
                    int k = IndexCheck.ToIndex(index[p + i], nx, "Gather");
                    y[p + i] = x[(o * nx + k) * inner + i];
                }
            }
        }
    }

    /// <summary>dx[o, index[o, j, i], i] += dy[o, j, i]; repeated indices accumulate.</summary>
    public static void ScatterAdd(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> index, int outer, int nx,
                                  int ni, int inner)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < ni; j++)
            {
                int p = (o * ni + j) * inner;
                for (int i = 0; i < inner; i++)
                {
                    int k = IndexCheck.ToIndex(index[p + i], nx, "ScatterAdd");
                    dx[(o * nx + k) * inner + i] += dy[p + i];
                }
            }
        }
    }
}
