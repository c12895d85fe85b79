using System.Runtime.CompilerServices;

namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

/// <summary>
/// What the GEMM driver does to each finished tile of C while it is still in L1: add a bias per column, then ReLU
/// (<see cref="MatMulKernels.Gemm"/> with a bias; the forward of Ops.MatMulBias). Done as separate passes, the bias add
/// and ReLU of MinAtar's Soft MoE expert hidden [4, 800, 512] read and wrote 6.5 MB each, as long as its two GEMMs.
/// </summary>
/// <remarks>The bias is held as an address (the struct is captured by the driver's thread lambdas) and indexed by C's
/// column relative to the tile the driver hands <see cref="Apply"/>, after <see cref="At"/> moved it to that column.</remarks>
internal readonly unsafe struct GemmEpilogue
{
    private readonly nint _bias;

    /// <summary>An epilogue adding <paramref name="bias"/> (null: none) and then applying ReLU when <paramref name="relu"/>.</summary>
    public GemmEpilogue(float* bias, bool relu)
    {
        _bias = (nint)bias;
        Relu = relu;
    }

    /// <summary>Whether ReLU follows the bias.</summary>
    public bool Relu { get; }

    /// <summary>Whether there is anything to do (the default value does nothing).</summary>
    public bool Active => _bias != 0 || Relu;

    /// <summary>The same epilogue for a tile starting at column <paramref name="column"/> of the current one.</summary>
    public GemmEpilogue At(int column) => new(_bias == 0 ? null : (float*)_bias + column, Relu);

    /// <summary>c[r, j] = relu?(c[r, j] + bias[j]) for r &lt; rows, j &lt; cols (row stride ldc).</summary>
    public void Apply(float* c, long ldc, int rows, int cols)
    {
        if (!Active) return;
        if (GemmMicroKernel.Wide && cols >= 16) Apply<Float16>(c, ldc, rows, cols);
        else Apply<Float8>(c, ldc, rows, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Apply<TV>(float* c, long ldc, int rows, int cols) where TV : struct, IFloatVector<TV>
    {
        float* bias = (float*)_bias;
        int w = TV.Count, full = cols / w * w;
        var zero = TV.Create(0f);
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + r * ldc;
            for (int j = 0; j < full; j += w)
            {
                var v = TV.Load(cr + j);
                if (bias != null) v += TV.Load(bias + j);
                if (Relu) v = TV.Max(v, zero);
                v.Store(cr + j);
            }
            for (int j = full; j < cols; j++)
            {
                float v = cr[j] + (bias != null ? bias[j] : 0f);
                cr[j] = Relu ? Math.Max(v, 0f) : v;
            }
        }
    }
}
