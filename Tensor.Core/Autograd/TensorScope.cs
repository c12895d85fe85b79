namespace MoeScratch.Tensors;

/// <summary>
/// Collects every tensor created on this thread while it is open and disposes them when it ends, so a training
/// step recycles its intermediates through the backend's pool instead of allocating fresh arrays each time.
/// </summary>
/// <remarks>
/// Parameters, their gradients and optimizer state are created outside any scope (or handed to
/// <see cref="Keep"/>) and live on. Scopes nest; a tensor belongs to the innermost one.
/// </remarks>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _parent;
    private readonly List<Tensor> _tensors = new(256);
    private bool _disposed;

    private TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    /// <summary>Opens a scope on this thread.</summary>
    public static TensorScope Begin() => new();

    /// <summary>Number of tensors the scope will dispose.</summary>
    public int Count => _tensors.Count;

    internal static void Track(Tensor t) => _current?._tensors.Add(t);

    /// <summary>Removes <paramref name="t"/> from this scope and hands it to the enclosing one (or to none).</summary>
    public Tensor Keep(Tensor t)
    {
        int i = _tensors.LastIndexOf(t);
        if (i >= 0)
        {
            _tensors.RemoveAt(i);
            _parent?._tensors.Add(t);
        }
        return t;
    }

    /// <summary>
    /// Removes <paramref name="t"/> from every open scope on this thread, so it lives until disposed explicitly
    /// (parameters and optimizer state created while a scope happens to be open).
    /// </summary>
    public static Tensor Persist(Tensor t)
    {
        for (var s = _current; s is not null; s = s._parent)
        {
            int i = s._tensors.LastIndexOf(t);
            if (i >= 0) s._tensors.RemoveAt(i);
        }
        return t;
    }

    /// <summary>Disposes every tracked tensor and restores the enclosing scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current == this) _current = _parent;
        foreach (var t in _tensors) t.Dispose();
        _tensors.Clear();
    }
}
