using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

/// <summary>
/// The ILGPU backend: tensors live in device buffers and every primitive of <see cref="IBackend"/> runs as an
/// ILGPU kernel, so a training step only crosses to the host for the uploaded batch and the logged scalars.
/// Owns the ILGPU <see cref="Context"/>, one <see cref="Accelerator"/>, the <see cref="KernelCache"/> and an
/// exact-length buffer pool (a training step asks for the same sizes every time).
/// </summary>
/// <remarks>
/// <para>Create it with <see cref="CreateCuda"/> (an NVIDIA GPU), <see cref="TryCreateCuda"/>, or
/// <see cref="CreateCpuAccelerator"/> (ILGPU's CPU emulator: slow, about a microsecond per element, but it runs
/// the same kernels with the same barriers and shared memory, for debugging and CI). <see cref="CreateDefault"/>
/// honours the <c>MOESCRATCH_GPU</c> environment variable (<c>cuda</c>, <c>cuda:1</c>, <c>cpu</c>).</para>
/// <para>Disposal: see <see cref="GpuStorage"/>. Disposing the backend frees the pool, every live buffer, the
/// accelerator and the context. One thread at a time may launch work (kernels queue on the default stream).</para>
/// </remarks>
public sealed partial class GpuBackend : IBackend, IDisposable
{
    private readonly Context _context;
    private readonly Accelerator _acc;
    private readonly Dictionary<int, Stack<MemoryBuffer1D<float, Stride1D.Dense>>> _pool = new();
    private readonly HashSet<GpuStorage> _live = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _lock = new();
    private MemoryBuffer1D<byte, Stride1D.Dense>? _staging;
    private long _pooledFloats;
    private bool _disposed;

    private GpuBackend(Context context, Accelerator accelerator, string name)
    {
        _context = context;
        _acc = accelerator;
        Name = name;
        Kernels = new KernelCache(accelerator);
        IsCpuAccelerator = accelerator.AcceleratorType == AcceleratorType.CPU;
        // Grid-stride launches: enough threads to fill the GPU, but few on the emulator (each emulated thread is
        // expensive there and two cores cannot run more in parallel anyway).
        MaxThreads = IsCpuAccelerator
            ? 4 * accelerator.MaxNumThreadsPerGroup
            : accelerator.NumMultiprocessors * accelerator.MaxNumThreadsPerMultiprocessor;
        int group = Math.Min(256, accelerator.MaxNumThreadsPerGroup);
        MatMulTile = (int)Math.Sqrt(group);
        ReduceGroup = 1 << (int)Math.Log2(Math.Min(ReduceKernels.MaxGroup, accelerator.MaxNumThreadsPerGroup));
    }

    /// <summary>Opens CUDA device <paramref name="device"/>.</summary>
    /// <exception cref="InvalidOperationException">ILGPU finds no CUDA device; the message lists what it sees.</exception>
    /// <exception cref="ArgumentOutOfRangeException">There are CUDA devices but not that many.</exception>
    public static GpuBackend CreateCuda(int device = 0)
    {
        var ctx = Context.Create(b => b.Cuda().CPU().EnableAlgorithms());
        var cuda = ctx.GetCudaDevices();
        if (cuda.Count == 0 || device < 0 || device >= cuda.Count)
        {
            string seen = string.Join(", ", ctx.Devices.Select(d => $"{d.AcceleratorType} '{d.Name}'"));
            int count = cuda.Count;
            ctx.Dispose();
            if (count == 0)
            {
                throw new InvalidOperationException("GpuBackend.CreateCuda: ILGPU found no CUDA device (it sees: " +
                    $"{seen}). Check that an NVIDIA driver is installed and libcuda is on the loader path " +
                    "(nvidia-smi should list the GPU). To debug the kernels without a GPU use " +
                    "GpuBackend.CreateCpuAccelerator() or MOESCRATCH_GPU=cpu; to train on the CPU use CpuBackend.Instance.");
            }
            throw new ArgumentOutOfRangeException(nameof(device), device,
                $"GpuBackend.CreateCuda: device {device} requested but ILGPU sees {count} CUDA device(s) ({seen}).");
        }
        var dev = cuda[device];
        return new GpuBackend(ctx, dev.CreateAccelerator(ctx), $"cuda:{device} ({dev.Name}, sm_{dev.Architecture})");
    }

    /// <summary>Opens CUDA device <paramref name="device"/>, or returns null when there is none.</summary>
    public static GpuBackend? TryCreateCuda(int device = 0)
    {
        try
        {
            return CreateCuda(device);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// ILGPU's CPU accelerator (an emulator of the GPU programming model) with 16-thread groups: the same kernels
    /// as on CUDA, for debugging and tests on machines without a GPU.
    /// </summary>
    public static GpuBackend CreateCpuAccelerator()
    {
        var ctx = Context.Create(b => b.CPU(CPUDevice.Default).EnableAlgorithms());
        var acc = ctx.GetCPUDevice(0).CreateCPUAccelerator(ctx, CPUAcceleratorMode.Parallel);
        return new GpuBackend(ctx, acc, "ilgpu-cpu");
    }

    /// <summary>
    /// The backend chosen by <c>MOESCRATCH_GPU</c>: unset or <c>cuda</c> → CUDA device 0, <c>cuda:N</c> → device N,
    /// <c>cpu</c> → <see cref="CreateCpuAccelerator"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The variable holds another value.</exception>
    public static GpuBackend CreateDefault()
    {
        string v = (Environment.GetEnvironmentVariable("MOESCRATCH_GPU") ?? "cuda").Trim().ToLowerInvariant();
        if (v == "cpu") return CreateCpuAccelerator();
        if (v == "cuda") return CreateCuda();
        if (v.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(v.AsSpan(5), out int id)) return CreateCuda(id);
        throw new ArgumentException($"MOESCRATCH_GPU='{v}' is not understood; use 'cuda', 'cuda:N' or 'cpu'.");
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>True when running on ILGPU's CPU emulator rather than a GPU.</summary>
    public bool IsCpuAccelerator { get; }

    /// <summary>The ILGPU accelerator (for callers that launch their own kernels).</summary>
    public Accelerator Accelerator => _acc;

    internal KernelCache Kernels { get; }

    /// <summary>Most threads one grid-stride launch uses.</summary>
    internal int MaxThreads { get; }

    /// <summary>Edge of the square matmul tile (16 on CUDA, 4 on the emulator's 16-thread groups).</summary>
    internal int MatMulTile { get; }

    /// <summary>Group size of the tree reduction (a power of two).</summary>
    internal int ReduceGroup { get; }

    /// <summary>Buffers served from the pool.</summary>
    public long PoolHits { get; private set; }

    /// <summary>Buffers freshly allocated on the device.</summary>
    public long PoolMisses { get; private set; }

    /// <summary>Host → device copies so far (Upload and UploadBytes calls): a training step should make one per batch.</summary>
    public long HostUploads { get; private set; }

    /// <summary>Device → host copies so far (Download calls): a training step should make one per logged scalar.</summary>
    public long HostDownloads { get; private set; }

    /// <summary>Storages handed out and not yet recycled.</summary>
    public int LiveBuffers
    {
        get
        {
            lock (_lock) return _live.Count;
        }
    }

    /// <summary>Pooled floats above which recycled buffers are freed instead (default 512 Mi floats = 2 GiB).</summary>
    public long MaxPooledFloats { get; set; } = 512L << 20;

    /// <summary>Waits until every queued kernel and copy has finished (timing, debugging).</summary>
    public void Synchronize() => _acc.Synchronize();

    internal GridStride Bounds(int n) => new() { N = n, Stride = Math.Max(1, Math.Min(n, MaxThreads)) };

    /// <summary>The device view of a tensor on this backend.</summary>
    internal ArrayView<float> V(Tensor t)
    {
        if (t.Storage is not GpuStorage g || !ReferenceEquals(g.Backend, this))
        {
            throw new ArgumentException($"{Name}: {t.Describe()} is not on this backend; move it with " +
                                        "Tensor.To(backend) first.");
        }
        return g.View;
    }

    private void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(GpuBackend), $"GpuBackend {Name} was disposed.");
    }

    /// <summary>Frees the pool, every live buffer, the accelerator and the context.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var s in _live) s.Detach()?.Dispose();
            _live.Clear();
            foreach (var stack in _pool.Values)
            {
                foreach (var b in stack) b.Dispose();
            }
            _pool.Clear();
            _pooledFloats = 0;
            _staging?.Dispose();
            _indexError?.Dispose();
        }
        _acc.Dispose();
        _context.Dispose();
    }
}
