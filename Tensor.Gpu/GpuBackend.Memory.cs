using ILGPU;
using ILGPU.Runtime;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    public Storage Allocate(int length, bool zero)
    {
        MemoryBuffer1D<float, Stride1D.Dense>? buffer = null;
        lock (_lock)
        {
            ThrowIfDisposed();
            if (_pool.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                buffer = stack.Pop();
                _pooledFloats -= length;
                PoolHits++;
            }
            else
            {
                PoolMisses++;
            }
        }
        buffer ??= AllocateFresh(length);
        var storage = new GpuStorage(buffer, length, this);
        lock (_lock) _live.Add(storage);
        if (zero && length > 0) storage.View.MemSetToZero();
        return storage;
    }

    private MemoryBuffer1D<float, Stride1D.Dense> AllocateFresh(int length)
    {
        // Zero-length storages still get a real (1-float) buffer so views and disposal need no special case.
        long n = Math.Max(1, length);
        try
        {
            return _acc.Allocate1D<float>(n);
        }
        catch (OutOfMemoryException)
        {
            // The pool may hold the memory we need under other sizes: free it and try once more.
            TrimPool();
            return _acc.Allocate1D<float>(n);
        }
        catch (AcceleratorException)
        {
            TrimPool();
            return _acc.Allocate1D<float>(n);
        }
    }

    /// <inheritdoc/>
    public void Recycle(Storage storage)
    {
        var g = (GpuStorage)storage;
        lock (_lock)
        {
            _live.Remove(g);
            var buffer = g.Detach();
            if (buffer is null) return;
            if (_disposed || _pooledFloats + g.Length > MaxPooledFloats)
            {
                buffer.Dispose();
                return;
            }
            if (!_pool.TryGetValue(g.Length, out var stack)) _pool[g.Length] = stack = new();
            stack.Push(buffer);
            _pooledFloats += g.Length;
        }
    }

    /// <summary>Frees every pooled buffer (after a large run, or before allocating something big).</summary>
    public void TrimPool()
    {
        lock (_lock)
        {
            foreach (var stack in _pool.Values)
            {
                foreach (var b in stack) b.Dispose();
            }
            _pool.Clear();
            _pooledFloats = 0;
        }
    }

    private static ArrayView<float> View(Storage s) => ((GpuStorage)s).View;

    /// <inheritdoc/>
    public void Upload(Storage dst, ReadOnlySpan<float> src)
    {
        if (src.Length == 0) return;
        HostUploads++;
        View(dst).SubView(0, src.Length).CopyFromCPU(src);
    }

    /// <inheritdoc/>
    public void Download(Storage src, Span<float> dst)
    {
        if (dst.Length == 0) return;
        HostDownloads++;
        // Synchronous: waits for the kernels queued before it, then copies.
        View(src).SubView(0, dst.Length).CopyToCPU(dst);
    }

    /// <inheritdoc/>
    public void UploadBytes(Storage dst, ReadOnlySpan<byte> src, float scale)
    {
        if (src.Length == 0) return;
        lock (_lock)
        {
            ThrowIfDisposed();
            HostUploads++;
            // One growing staging buffer: frames are uploaded as bytes (4× less PCIe traffic) and widened on device.
            if (_staging is null || _staging.Length < src.Length)
            {
                _staging?.Dispose();
                _staging = _acc.Allocate1D<byte>(src.Length);
            }
            ArrayView<byte> all = _staging.View;
            var bytes = all.SubView(0, src.Length);
            bytes.CopyFromCPU(src);
            var g = Bounds(src.Length);
            Kernels.Auto<Index1D, ArrayView<float>, ArrayView<byte>, float, GridStride>(ElementwiseKernels.BytesToFloat)(
                g.Stride, View(dst), bytes, scale, g);
            // The staging buffer is reused by the next upload: finish this one first.
            _acc.DefaultStream.Synchronize();
        }
    }

    /// <inheritdoc/>
    public void Fill(Tensor dst, float value)
    {
        if (dst.Count == 0) return;
        var g = Bounds(dst.Count);
        Kernels.Auto<Index1D, ArrayView<float>, float, GridStride>(ElementwiseKernels.Fill)(g.Stride, V(dst), value, g);
    }

    /// <inheritdoc/>
    public void Copy(Tensor dst, Tensor src)
    {
        if (src.Count == 0) return;
        V(src).CopyTo(V(dst));
    }
}
