using System.Runtime.CompilerServices;
using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

/// <summary>
/// A dense, contiguous, row-major float32 tensor on some backend, with an optional autodiff record.
/// </summary>
/// <remarks>
/// Tensors are always contiguous: <see cref="Reshape"/> is a free view that shares storage, while movement ops
/// (permute, slice, …) copy. Tensors created inside a <see cref="TensorScope"/> are recycled when it ends.
/// </remarks>
public sealed partial class Tensor : IDisposable
{
    private Storage? _storage;
    private Node? _gradFn;
    private bool _requiresGrad;

    internal Tensor(Shape shape, Storage storage, bool track = true)
    {
        if (storage.Length != shape.Count)
        {
            ThrowHelper.Argument($"Tensor: storage holds {storage.Length} floats but shape {shape} needs {shape.Count}.");
        }
        Shape = shape;
        _storage = storage;
        if (track) TensorScope.Track(this);
    }

    /// <summary>The dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>Number of elements.</summary>
    public int Count => Shape.Count;

    /// <summary>An optional name shown in errors and gradient-check reports.</summary>
    public string? Name { get; set; }

    /// <summary>The backing buffer; throws once the tensor was disposed.</summary>
    public Storage Storage
    {
        get
        {
            var s = _storage;
            if (s is null || s.IsReleased) ThrowHelper.Disposed(Describe());
            return s;
        }
    }

    /// <summary>The backend that stores this tensor and runs its ops.</summary>
    public IBackend Backend => Storage.Backend;

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed => _storage is null;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable only on leaves (tensors not produced by a recorded op):
    /// parameters set it to true.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (_gradFn is not null && !value)
            {
                ThrowHelper.InvalidOperation($"{Describe()} is the output of '{_gradFn.Op}'; use Detach() instead of " +
                                             "clearing RequiresGrad on a non-leaf tensor.");
            }
            _requiresGrad = value;
        }
    }

    /// <summary>True for tensors created by the user (not recorded as an op output).</summary>
    public bool IsLeaf => _gradFn is null;

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/>, or null.</summary>
    /// <remarks>After <see cref="ZeroGrad"/> the zeros are written on the first read, unless a backward kernel
    /// overwrote the whole gradient first.</remarks>
    public Tensor? Grad
    {
        get
        {
            if (_gradIsZero)
            {
                _gradIsZero = false;
                _grad!.Backend.Fill(_grad, 0f);
            }
            return _grad;
        }
        set
        {
            _grad = value;
            _gradIsZero = false;
        }
    }

    private Tensor? _grad;

    // True when _grad logically holds zeros that were not written (ZeroGrad): the first backward writer overwrites
    // instead of adding, which saves a separate clearing pass over every gradient (6.8 MB per Nature-DQN step).
    private bool _gradIsZero;

    /// <summary>
    /// Sets the gradient to zero, keeping its buffer. The clearing is deferred: a backward kernel that writes the
    /// whole gradient overwrites it, and any other reader of <see cref="Grad"/> gets the zeros filled in first.
    /// </summary>
    public void ZeroGrad()
    {
        if (_grad is not null) _gradIsZero = true;
    }

    internal Node? GradFn => _gradFn;

    /// <summary>The op that produced this tensor ("matmul", "conv2d", …), or null for a leaf.</summary>
    public string? GradFnName => _gradFn?.Op;

    /// <summary>The elements of a CPU tensor as a span (no copy).</summary>
    /// <exception cref="InvalidOperationException">The tensor is not on the CPU backend.</exception>
    public Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (Storage is CpuStorage cpu) return cpu.Array.AsSpan(0, cpu.Length);
            ThrowHelper.InvalidOperation($"{Describe()} lives on {Backend.Name}; call ToArray() or To(CpuBackend.Instance).");
            return default;
        }
    }

    /// <summary>Copies the elements to a new host array (works on every backend).</summary>
    public float[] ToArray()
    {
        var a = new float[Count];
        Backend.Download(Storage, a);
        return a;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than one element.</exception>
    public float Item()
    {
        if (Count != 1) ThrowHelper.InvalidOperation($"Item: {Describe()} has {Count} elements; Item() needs exactly one.");
        if (Storage is CpuStorage cpu) return cpu.Array[0];
        return ToArray()[0];
    }

    /// <summary>Element at a multi-index (for tests and debugging; slow).</summary>
    public float At(params int[] index)
    {
        {
            if (index.Length != Rank) ThrowHelper.Argument($"Indexer: {index.Length} indices for a tensor of shape {Shape}.");
            int flat = 0;
            for (int i = 0; i < Rank; i++)
            {
                if ((uint)index[i] >= (uint)Shape.Dims[i])
                {
                    ThrowHelper.Argument($"Indexer: index {index[i]} is out of range for dimension {i} of {Shape}.");
                }
                flat = flat * Shape.Dims[i] + index[i];
            }
            return Storage is CpuStorage cpu ? cpu.Array[flat] : ToArray()[flat];
        }
    }

    /// <summary>
    /// A view with another shape over the same elements (free). One dimension may be −1 and is inferred.
    /// Gradients flow through it.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public Tensor Reshape(params int[] shape)
    {
        var dims = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) ThrowHelper.Argument($"Reshape: only one -1 allowed, got {Shape.Format(shape)}.");
                infer = i;
            }
            else known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || Count % known != 0)
            {
                ThrowHelper.Argument($"Reshape: cannot reshape {Shape} ({Count} elements) to {Shape.Format(shape)}.");
            }
            dims[infer] = (int)(Count / known);
        }
        var target = new Shape(dims);
        if (target.Count != Count)
        {
            ThrowHelper.Argument($"Reshape: cannot reshape {Shape} ({Count} elements) to {target} ({target.Count} elements).");
        }
        var view = View(target);
        var src = this;
        if (GradMode.ShouldRecord(this))
        {
            view.SetGradFn(new Node("reshape", [this], g => src.AccumulateGrad(g.Reshape(src.Shape.ToArray()))));
        }
        return view;
    }

    /// <summary>Flattens dimensions from <paramref name="startAxis"/> on: [B, H, W, C] → [B, H·W·C].</summary>
    public Tensor Flatten(int startAxis = 1)
    {
        int a = startAxis == Rank ? Rank : Shape.NormalizeAxis(startAxis, Rank, "Flatten");
        var dims = new int[a + 1];
        for (int i = 0; i < a; i++) dims[i] = Shape.Dims[i];
        int rest = 1;
        for (int i = a; i < Rank; i++) rest *= Shape.Dims[i];
        dims[a] = rest;
        return Reshape(dims);
    }

    /// <summary>A tensor sharing this storage that is cut from the graph (no gradient flows back).</summary>
    public Tensor Detach() => View(Shape);

    /// <summary>A tensor of <paramref name="shape"/> (same count) sharing this storage, with no graph node.</summary>
    internal Tensor View(Shape shape)
    {
        var s = Storage;
        s.AddRef();
        return new Tensor(shape, s);
    }

    /// <summary>Copies this tensor to another backend (a no-op copy if it is already there).</summary>
    public Tensor To(IBackend backend)
    {
        var t = Tensor.Empty(Shape, backend);
        if (ReferenceEquals(backend, Backend)) backend.Copy(t, this);
        else
        {
            var host = ToArray();
            backend.Upload(t.Storage, host);
        }
        return t;
    }

    /// <summary>
    /// Moves a leaf tensor's data to <paramref name="backend"/> in place: every reference (a module's parameter,
    /// an optimizer's slot) sees the new device. The gradient, if any, moves too.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is an op output (move the inputs instead).</exception>
    public void MoveTo(IBackend backend)
    {
        if (_gradFn is not null) ThrowHelper.InvalidOperation($"MoveTo: {Describe()} is the output of '{_gradFn.Op}'; only leaves can move.");
        if (ReferenceEquals(backend, Backend)) return;
        var host = ToArray();
        var s = backend.Allocate(Count, zero: false);
        backend.Upload(s, host);
        Interlocked.Exchange(ref _storage, s)?.Release();
        Grad?.MoveTo(backend); // the getter writes pending zeros first
    }

    /// <summary>Hands the storage back to the pool (views keep it alive until they are disposed too).</summary>
    public void Dispose()
    {
        var s = Interlocked.Exchange(ref _storage, null);
        s?.Release();
        _gradFn = null;
    }

    internal void SetGradFn(Node node)
    {
        _gradFn = node;
        _requiresGrad = true;
    }

    /// <summary>Describes the tensor for error messages: "tensor 'q' [32, 18] on cpu".</summary>
    public string Describe() =>
        $"tensor{(Name is null ? "" : $" '{Name}'")} {Shape}{(_storage is null ? " (disposed)" : $" on {_storage.Backend.Name}")}";

    /// <inheritdoc/>
    public override string ToString()
    {
        if (_storage is null) return Describe();
        var data = Count <= 16 ? ToArray() : ToArray().AsSpan(0, 16).ToArray();
        string vals = string.Join(", ", data.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));
        return $"{Describe()} [{vals}{(Count > 16 ? ", …" : "")}]";
    }
}
