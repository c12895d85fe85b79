using ILGPU;
using ILGPU.Runtime;

namespace MoeScratch.Tensors.Gpu;

/// <summary>
/// A device buffer of exactly <see cref="Storage.Length"/> floats owned by a <see cref="GpuBackend"/>.
/// </summary>
/// <remarks>
/// Disposal rules (tested in <c>MemoryTests</c>):
/// <list type="number">
/// <item>Disposing the last tensor over a storage hands the buffer back to the backend's pool
/// (<see cref="GpuBackend.Recycle"/>); a tensor used afterwards throws <see cref="ObjectDisposedException"/>.</item>
/// <item>Disposing the backend frees the pool and every buffer still alive; tensors on it then throw
/// <see cref="ObjectDisposedException"/> when a kernel or a download touches them.</item>
/// <item>There is no finalizer: a tensor that is never disposed keeps its buffer until the backend is disposed
/// (finalizers are not the safety net for device memory). Use <see cref="TensorScope"/>.</item>
/// </list>
/// </remarks>
public sealed class GpuStorage : Storage
{
    private readonly GpuBackend _backend;
    private MemoryBuffer1D<float, Stride1D.Dense>? _buffer;

    internal GpuStorage(MemoryBuffer1D<float, Stride1D.Dense> buffer, int length, GpuBackend backend) : base(length)
    {
        _buffer = buffer;
        _backend = backend;
    }

    /// <inheritdoc/>
    public override IBackend Backend => _backend;

    /// <summary>The device view of the <see cref="Storage.Length"/> floats.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was recycled or its backend disposed.</exception>
    public ArrayView<float> View
    {
        get
        {
            var b = _buffer;
            if (b is null || IsReleased || b.IsDisposed)
            {
                throw new ObjectDisposedException(nameof(GpuStorage),
                    $"GpuStorage: a buffer of {Length} floats on {_backend.Name} was used after it was released " +
                    "(its last tensor was disposed, or the GpuBackend itself was disposed).");
            }
            // Pooled buffers are exact-length, but zero-length storages sit on a 1-float buffer.
            return b.View.SubView(0, Length);
        }
    }

    /// <summary>Hands the underlying buffer to the pool and forgets it (called by the backend).</summary>
    internal MemoryBuffer1D<float, Stride1D.Dense>? Detach() => Interlocked.Exchange(ref _buffer, null);
}
