using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Sizes of a batched row-major SGEMM, C[m×n] (+)= op(A)[m×k] · op(B)[k×n] per batch item (see
/// <c>IBackend.MatMul</c> for the batch rules). A is stored [m×k] (lda = k) or, when TransA, [k×m] (lda = m);
/// B is stored [k×n] (ldb = n) or, when TransB, [n×k] (ldb = k).
/// </summary>
public struct MatMulParams
{
#pragma warning disable CS1591 // the fields are the glossary above.
    public int M, N, K, Lda, Ldb;
    public int TransA, TransB;
    public int BatchA, BatchB, BatchC, Batch;
    public int Accumulate;
#pragma warning restore CS1591

    /// <summary>Element (row, p) of op(A) in batch item bi.</summary>
    public readonly float A(ArrayView<float> a, int bi, int row, int p)
    {
        int off = BatchA == 1 ? 0 : bi * M * K;
        return TransA != 0 ? a[off + p * Lda + row] : a[off + row * Lda + p];
    }

    /// <summary>Element (p, col) of op(B) in batch item bi.</summary>
    public readonly float B(ArrayView<float> b, int bi, int p, int col)
    {
        int off = BatchB == 1 ? 0 : bi * K * N;
        return TransB != 0 ? b[off + col * Ldb + p] : b[off + p * Ldb + col];
    }

    /// <summary>Batch items summed into output item z: all of them when BatchC = 1, else just z.</summary>
    public readonly void BatchRange(int z, out int first, out int end)
    {
        first = BatchC == 1 ? 0 : z;
        end = BatchC == 1 ? Batch : z + 1;
    }

    /// <summary>Stores s (or adds it when accumulating) at C[z][row, col].</summary>
    public readonly void Store(ArrayView<float> c, int z, int row, int col, float s)
    {
        int i = z * M * N + row * N + col;
        c[i] = Accumulate != 0 ? c[i] + s : s;
    }
}

/// <summary>
/// Batched SGEMM kernels (ILGPU sample MatrixMultiply: naive → tiled). Glossary: m, n, k as in
/// <see cref="MatMulParams"/>; T tile edge (= group edge); z output batch item.
/// </summary>
public static class MatMulKernels
{
    /// <summary>
    /// Reference kernel (test oracle for the tiled one): one thread per C element, index (col, row, z), a plain
    /// dot product over k and over the summed batch items.
    /// </summary>
    public static void Naive(Index3D t, ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, MatMulParams p)
    {
        int col = t.X, row = t.Y, z = t.Z;
        p.BatchRange(z, out int first, out int end);
        float s = 0f;
        for (int bi = first; bi < end; bi++)
        {
            for (int q = 0; q < p.K; q++) s += p.A(a, bi, row, q) * p.B(b, bi, q, col);
        }
        p.Store(c, z, row, col, s);
    }

    /// <summary>
    /// Tiled kernel: a T×T group computes a T×T block of C (group (x, y) ↔ (col, row), Grid.IdxZ = z). Each step
    /// stages a T×T tile of op(A) and of op(B) in dynamic shared memory (2·T² floats), so every global element
    /// is read once per tile instead of once per output, then T multiply-adds run out of shared memory.
    /// Out-of-range tile entries are zero, so m, n, k need not be multiples of T.
    /// </summary>
    public static void Tiled(ArrayView<float> c, ArrayView<float> a, ArrayView<float> b, MatMulParams p)
    {
        int tile = Group.DimX;
        var shared = SharedMemory.GetDynamic<float>();
        var ta = shared.SubView(0, tile * tile);
        var tb = shared.SubView(tile * tile, tile * tile);
        int tx = Group.IdxX, ty = Group.IdxY, z = Grid.IdxZ;
        int row = Grid.IdxY * tile + ty, col = Grid.IdxX * tile + tx;
        p.BatchRange(z, out int first, out int end);
        float s = 0f;
        for (int bi = first; bi < end; bi++)
        {
            for (int t0 = 0; t0 < p.K; t0 += tile)
            {
                // ta[ty, tx] = op(A)[row, t0 + tx]; tb[ty, tx] = op(B)[t0 + ty, col].
                ta[ty * tile + tx] = row < p.M && t0 + tx < p.K ? p.A(a, bi, row, t0 + tx) : 0f;
                tb[ty * tile + tx] = col < p.N && t0 + ty < p.K ? p.B(b, bi, t0 + ty, col) : 0f;
                Group.Barrier();
                for (int q = 0; q < tile; q++) s += ta[ty * tile + q] * tb[q * tile + tx];
                Group.Barrier();
            }
        }
        if (row < p.M && col < p.N) p.Store(c, z, row, col, s);
    }
}
