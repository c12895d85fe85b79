namespace MoeScratch.Tensors;

/// <summary>
/// A flat float32 buffer owned by a backend. Several tensors (a tensor and its reshaped views) may share one
/// storage; it goes back to the backend's pool when the last of them is disposed.
/// </summary>
public abstract class Storage
{
    private int _refCount = 1;

    /// <summary>Creates a storage of <paramref name="length"/> floats.</summary>
    protected Storage(int length) => Length = length;

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>The backend that owns the buffer and runs kernels on it.</summary>
    public abstract IBackend Backend { get; }

    /// <summary>True once the buffer has been handed back to the pool.</summary>
    public bool IsReleased => Volatile.Read(ref _refCount) <= 0;

    internal void AddRef() => Interlocked.Increment(ref _refCount);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refCount) == 0)
        {
            Backend.Recycle(this);
        }
    }
}
