using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

/// <summary>
/// The CPU backend: managed arrays, pooled by exact length (a training step asks for the same sizes every
/// time), and the SIMD kernels in <c>Cpu/Kernels</c>. One instance per process.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    /// <summary>The process-wide CPU backend.</summary>
    public static CpuBackend Instance { get; } = new();

    private readonly Dictionary<int, Stack<float[]>> _pool = new();
    private readonly Lock _poolLock = new();
    private long _pooledFloats;

    /// <summary>Arrays larger than this are not pooled (they are rare and would pin memory).</summary>
    public const long MaxPooledFloats = 256L << 20;

    private CpuBackend()
    {
    }

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <summary>Number of arrays handed out from the pool rather than freshly allocated (for tests).</summary>
    public long PoolHits { get; private set; }

    /// <summary>Number of fresh arrays allocated.</summary>
    public long PoolMisses { get; private set; }

    /// <inheritdoc/>
    public Storage Allocate(int length, bool zero)
    {
        float[]? a = null;
        lock (_poolLock)
        {
            if (_pool.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                a = stack.Pop();
                _pooledFloats -= length;
                PoolHits++;
            }
            else
            {
                PoolMisses++;
            }
        }
        if (a is null) a = length == 0 ? [] : GC.AllocateUninitializedArray<float>(length);
        if (zero) ElementwiseSplit.Run(a.AsSpan(0, length), default, default, default, static (ys, _, _, _) => ys.Clear());
        return new CpuStorage(a, length, this);
    }

    /// <inheritdoc/>
    public void Recycle(Storage storage)
    {
        var cpu = (CpuStorage)storage;
        lock (_poolLock)
        {
            if (_pooledFloats + cpu.Length > MaxPooledFloats) return;
            if (!_pool.TryGetValue(cpu.Length, out var stack)) _pool[cpu.Length] = stack = new Stack<float[]>();
            stack.Push(cpu.Array);
            _pooledFloats += cpu.Length;
        }
    }

    /// <summary>Drops every pooled array (frees memory after a large run).</summary>
    public void TrimPool()
    {
        lock (_poolLock)
        {
            _pool.Clear();
            _pooledFloats = 0;
        }
    }

    internal static float[] Arr(Tensor t) => ((CpuStorage)t.Storage).Array;

    internal static Span<float> S(Tensor t) => ((CpuStorage)t.Storage).Array.AsSpan(0, t.Count);

    /// <inheritdoc/>
    public void Upload(Storage dst, ReadOnlySpan<float> src) => src.CopyTo(((CpuStorage)dst).Array);

    /// <inheritdoc/>
    public void Download(Storage src, Span<float> dst) => ((CpuStorage)src).Array.AsSpan(0, src.Length).CopyTo(dst);

    /// <inheritdoc/>
    public void UploadBytes(Storage dst, ReadOnlySpan<byte> src, float scale) =>
        ElementwiseSplit.BytesToFloat(((CpuStorage)dst).Array.AsSpan(0, src.Length), src, scale);

    /// <inheritdoc/>
    public void Fill(Tensor dst, float value) =>
        ElementwiseSplit.Run(S(dst), default, default, default, (ys, _, _, _) => ys.Fill(value));

    /// <inheritdoc/>
    public void Copy(Tensor dst, Tensor src) =>
        ElementwiseSplit.Run(S(dst), S(src), default, default, static (ys, xs, _, _) => xs.CopyTo(ys));
}
