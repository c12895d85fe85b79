using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Everything a GEMM-shaped kernel needs, passed by value: C[z][M×N] (+)= Σ_bi opA(bi)[M×K] · opB(bi)[K×N].
/// For a plain matmul (<see cref="MatMulOperands"/>) A is stored [M×K] (Lda = K) or [K×M] when TransA, B [K×N]
/// (Ldb = N) or [N×K] when TransB. The convolution loaders (Conv2dKernels.cs) read A or B out of an NHWC
/// image on the fly (implicit GEMM) using <see cref="Conv"/>.
/// </summary>
public struct GemmParams
{
#pragma warning disable CS1591 // the fields are the glossary above and in IBackend.MatMul.
    public int M, N, K, Lda, Ldb;
    public int TransA, TransB;
    public int BatchA, BatchB, BatchC, Batch;
    public int Accumulate, HasBias;
    public ConvShape Conv;
#pragma warning restore CS1591

    /// <summary>Batch items summed into output item z: all of them when BatchC = 1, else just z.</summary>
    public readonly void BatchRange(int z, out int first, out int end)
    {
        first = BatchC == 1 ? 0 : z;
        end = BatchC == 1 ? Batch : z + 1;
    }

    /// <summary>C[z][row, col] = s (+ bias[col]), or += s when accumulating.</summary>
    public readonly void Store(ArrayView<float> c, ArrayView<float> bias, int z, int row, int col, float s)
    {
        int i = z * M * N + row * N + col;
        if (HasBias != 0) s += bias[col];
        c[i] = Accumulate != 0 ? c[i] + s : s;
    }
}

/// <summary>How a GEMM kernel reads its two operands (static abstract: inlined into each instantiation).</summary>
public interface IGemmOperands
{
    /// <summary>Element (row, q) of op(A) for batch item bi.</summary>
    static abstract float A(ArrayView<float> a, GemmParams p, int bi, int row, int q);

    /// <summary>Element (q, col) of op(B) for batch item bi.</summary>
    static abstract float B(ArrayView<float> b, GemmParams p, int bi, int q, int col);
}

/// <summary>Dense row-major operands with optional transposes and shared (batch 1) operands.</summary>
public struct MatMulOperands : IGemmOperands
{
    /// <inheritdoc/>
    public static float A(ArrayView<float> a, GemmParams p, int bi, int row, int q)
    {
        int off = p.BatchA == 1 ? 0 : bi * p.M * p.K;
        return p.TransA != 0 ? a[off + q * p.Lda + row] : a[off + row * p.Lda + q];
    }

    /// <inheritdoc/>
    public static float B(ArrayView<float> b, GemmParams p, int bi, int q, int col)
    {
        int off = p.BatchB == 1 ? 0 : bi * p.K * p.N;
        return p.TransB != 0 ? b[off + col * p.Ldb + q] : b[off + q * p.Ldb + col];
    }
}

/// <summary>
/// GEMM kernels, generic over the operand loader so the tiling logic is written once for matmul and for the three
/// convolution passes (ILGPU sample MatrixMultiply: naive → tiled). Glossary: M, N, K as in
/// <see cref="GemmParams"/>; T tile edge (= group edge); z output batch item.
/// </summary>
public static class MatMulKernels
{
    /// <summary>
    /// Reference kernel (test oracle for <see cref="Tiled{TOp}"/>): one thread per C element, index (row, col, z),
    /// a plain dot product over K and over the summed batch items.
    /// </summary>
    public static void Naive<TOp>(Index3D t, ArrayView<float> c, ArrayView<float> a, ArrayView<float> b,
                                  ArrayView<float> bias, GemmParams p)
        where TOp : struct, IGemmOperands
    {
        int row = t.X, col = t.Y, z = t.Z;
        p.BatchRange(z, out int first, out int end);
        float s = 0f;
        for (int bi = first; bi < end; bi++)
        {
            for (int q = 0; q < p.K; q++) s += TOp.A(a, p, bi, row, q) * TOp.B(b, p, bi, q, col);
        }
        p.Store(c, bias, z, row, col, s);
    }

    /// <summary>
    /// Tiled kernel: a T×T group computes a T×T block of C; grid (x, y, z) ↔ (row tile, column tile, z), because
    /// CUDA allows 2³¹ − 1 blocks along x but only 65,535 along y and z and M is the long side (B·H·W rows in the
    /// convolution input gradient); inside the group, x ↔ column so neighbouring threads read neighbouring
    /// addresses. Each step
    /// stages a T×T tile of op(A) and of op(B) in dynamic shared memory (2·T² floats), so every operand element is
    /// fetched (or, for convolutions, gathered from the image) once per tile instead of once per output; then T
    /// multiply-adds run out of shared memory. Out-of-range tile entries are zero, so sizes need not divide T.
    /// </summary>
    public static void Tiled<TOp>(ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias,
                                  GemmParams p)
        where TOp : struct, IGemmOperands
    {
        int tile = Group.DimX;
        var shared = SharedMemory.GetDynamic<float>();
        var ta = shared.SubView(0, tile * tile);
        var tb = shared.SubView(tile * tile, tile * tile);
        int tx = Group.IdxX, ty = Group.IdxY, z = Grid.IdxZ;
        int row = Grid.IdxX * tile + ty, col = Grid.IdxY * tile + tx;
        p.BatchRange(z, out int first, out int end);
        float s = 0f;
        for (int bi = first; bi < end; bi++)
        {
            for (int t0 = 0; t0 < p.K; t0 += tile)
            {
                // ta[ty, tx] = op(A)[row, t0 + tx]; tb[ty, tx] = op(B)[t0 + ty, col].
                ta[ty * tile + tx] = row < p.M && t0 + tx < p.K ? TOp.A(a, p, bi, row, t0 + tx) : 0f;
                tb[ty * tile + tx] = col < p.N && t0 + ty < p.K ? TOp.B(b, p, bi, t0 + ty, col) : 0f;
                Group.Barrier();
                for (int q = 0; q < tile; q++) s += ta[ty * tile + q] * tb[q * tile + tx];
                Group.Barrier();
            }
        }
        if (row < p.M && col < p.N) p.Store(c, bias, z, row, col, s);
    }
}
