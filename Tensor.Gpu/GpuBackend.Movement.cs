using ILGPU;
using ILGPU.Runtime;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <summary>
    /// When true (the default), Gather and ScatterAdd read back a 4-byte error flag after each launch so that an
    /// invalid index throws the same <see cref="ArgumentException"/> as on the CPU. That read waits for the queued
    /// kernels (a synchronization per gather); set it to false once a model is known to produce valid indices.
    /// Invalid indices are skipped on the device either way (never read or written out of bounds).
    /// </summary>
    public bool CheckIndices { get; set; } = true;

    private MemoryBuffer1D<int, Stride1D.Dense>? _indexError;

    /// <inheritdoc/>
    public void Permute(Tensor y, Tensor x, int[] perm)
    {
        if (y.Count == 0) return;
        // y is contiguous in the permuted order; x is read with its own strides taken in that order.
        var xs = x.Shape.Strides();
        var ps = new int[perm.Length];
        for (int d = 0; d < perm.Length; d++) ps[d] = xs[perm[d]];
        var idx = StridedIndex.Create(y.Shape.Dims, ps, new int[perm.Length], "Permute");
        var s = Bounds(y.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, StridedIndex, GridStride>(MovementKernels.Permute)(
            s.Stride, V(y), V(x), idx, s);
    }

    /// <inheritdoc/>
    public void SliceCopy(Tensor y, Tensor x, int outer, int nx, int inner, int start, int ny)
    {
        int n = outer * ny * inner;
        if (n == 0) return;
        var s = Bounds(n);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, GridStride>(
            MovementKernels.SliceCopy)(s.Stride, V(y), V(x), nx, inner, start, ny, s);
    }

    /// <inheritdoc/>
    public void SliceAdd(Tensor dx, Tensor dy, int outer, int nx, int inner, int start, int ny)
    {
        int n = outer * ny * inner;
        if (n == 0) return;
        var s = Bounds(n);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, GridStride>(
            MovementKernels.SliceAdd)(s.Stride, V(dx), V(dy), nx, inner, start, ny, s);
    }

    /// <inheritdoc/>
    public void Gather(Tensor y, Tensor x, Tensor index, int outer, int nx, int ni, int inner)
    {
        int n = outer * ni * inner;
        if (n == 0) return;
        var err = IndexErrorFlag();
        var s = Bounds(n);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int,
            GridStride>(IndexingKernels.Gather)(s.Stride, V(y), V(x), V(index), err, nx, ni, inner, s);
        ThrowOnIndexError("Gather", index, nx, err);
    }

    /// <inheritdoc/>
    public void ScatterAdd(Tensor dx, Tensor dy, Tensor index, int outer, int nx, int ni, int inner)
    {
        int n = outer * ni * inner;
        if (n == 0) return;
        var err = IndexErrorFlag();
        var s = Bounds(n);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int,
            GridStride>(IndexingKernels.ScatterAdd)(s.Stride, V(dx), V(dy), V(index), err, nx, ni, inner, s);
        ThrowOnIndexError("ScatterAdd", index, nx, err);
    }

    private ArrayView<int> IndexErrorFlag()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            _indexError ??= _acc.Allocate1D<int>(1);
        }
        ArrayView<int> flag = _indexError.View;
        if (CheckIndices) flag.MemSetToZero();
        return flag;
    }

    private void ThrowOnIndexError(string op, Tensor index, int nx, ArrayView<int> flag)
    {
        if (!CheckIndices) return;
        var bad = new int[1];
        HostDownloads++; // 4 bytes, but it waits for the queue like any download
        flag.CopyToCPU(bad);
        if (bad[0] == 0) return;
        float v = index.ToArray()[bad[0] - 1];
        throw new ArgumentException($"{op}: index value {v} is not an integer in [0, {nx}) (the size of the indexed " +
                                    "axis).");
    }
}
