using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Grid-stride loop bounds: thread t handles elements t, t + Stride, … below N. Launching
/// min(N, <see cref="GpuBackend.MaxThreads"/>) threads keeps huge tensors within one launch on CUDA and keeps
/// the thread count small on the CPU accelerator, where every emulated thread costs about a microsecond.
/// </summary>
public struct GridStride
{
    /// <summary>Element count.</summary>
    public int N;

    /// <summary>Number of launched threads.</summary>
    public int Stride;
}

/// <summary>
/// Up to six coalesced dimensions with element strides for two operands, fixed-size so it can be passed to a
/// kernel by value (kernels take no arrays). Dimension 5 is innermost; unused leading dimensions have size 1
/// and stride 0. Built on the host from <see cref="StridedLoop.Coalesce"/>, which merges contiguous runs, so
/// rank 6 covers any broadcast of NHWC tensors.
/// </summary>
public struct StridedIndex
{
    /// <summary>The most dimensions a kernel can index after coalescing.</summary>
    public const int MaxRank = 6;

    /// <summary>Sizes, outermost first.</summary>
    public int D0, D1, D2, D3, D4, D5;

    /// <summary>Strides of operand A.</summary>
    public int A0, A1, A2, A3, A4, A5;

    /// <summary>Strides of operand B.</summary>
    public int B0, B1, B2, B3, B4, B5;

    /// <summary>Maps a row-major linear index over the dimensions to element offsets in A and B.</summary>
    public readonly void Offsets(int linear, out int oa, out int ob)
    {
        int r = linear, q;
        q = r % D5; r /= D5; oa = q * A5; ob = q * B5;
        q = r % D4; r /= D4; oa += q * A4; ob += q * B4;
        q = r % D3; r /= D3; oa += q * A3; ob += q * B3;
        q = r % D2; r /= D2; oa += q * A2; ob += q * B2;
        q = r % D1; r /= D1; oa += q * A1; ob += q * B1;
        oa += r * A0;
        ob += r * B0;
    }

    /// <summary>Offset in operand A only.</summary>
    public readonly int OffsetA(int linear)
    {
        Offsets(linear, out int oa, out _);
        return oa;
    }

    /// <summary>
    /// Coalesces <paramref name="dims"/> with strides <paramref name="sa"/>, <paramref name="sb"/> and packs them.
    /// </summary>
    /// <exception cref="ArgumentException">More than six dimensions remain after coalescing.</exception>
    public static StridedIndex Create(ReadOnlySpan<int> dims, int[] sa, int[] sb, string op)
    {
        var (d, a, b) = StridedLoop.Coalesce(dims, sa, sb);
        if (d.Length > MaxRank)
        {
            throw new ArgumentException($"{op}: the GPU kernels index at most {MaxRank} dimensions after merging " +
                $"contiguous ones, but shape {Shape.Format(dims)} with these broadcast strides needs {d.Length}. " +
                "Reshape the operands to fewer dimensions first.");
        }
        Span<int> pd = stackalloc int[MaxRank], pa = stackalloc int[MaxRank], pb = stackalloc int[MaxRank];
        pd.Fill(1);
        int off = MaxRank - d.Length;
        for (int i = 0; i < d.Length; i++)
        {
            pd[off + i] = d[i];
            pa[off + i] = a[i];
            pb[off + i] = b[i];
        }
        return new StridedIndex
        {
            D0 = pd[0], D1 = pd[1], D2 = pd[2], D3 = pd[3], D4 = pd[4], D5 = pd[5],
            A0 = pa[0], A1 = pa[1], A2 = pa[2], A3 = pa[3], A4 = pa[4], A5 = pa[5],
            B0 = pb[0], B1 = pb[1], B2 = pb[2], B3 = pb[3], B4 = pb[4], B5 = pb[5],
        };
    }
}
