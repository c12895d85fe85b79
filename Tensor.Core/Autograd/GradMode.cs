namespace MoeScratch.Tensors.Autograd;

/// <summary>
/// Thread-local switch for graph recording. Acting and target-network forwards run inside
/// <c>using (Tensor.NoGrad())</c>, so they record nothing and keep no intermediates alive.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int _disabledDepth;

    /// <summary>True unless inside a <see cref="Tensor.NoGrad"/> scope on this thread.</summary>
    public static bool IsEnabled => _disabledDepth == 0;

    internal static void Push() => _disabledDepth++;

    internal static void Pop() => _disabledDepth--;

    /// <summary>True when an op on these inputs must record a backward node.</summary>
    internal static bool ShouldRecord(Tensor a) => _disabledDepth == 0 && a.RequiresGrad;

    internal static bool ShouldRecord(Tensor a, Tensor b) => _disabledDepth == 0 && (a.RequiresGrad || b.RequiresGrad);

    internal static bool ShouldRecord(ReadOnlySpan<Tensor> xs)
    {
        if (_disabledDepth != 0) return false;
        foreach (var x in xs) if (x.RequiresGrad) return true;
        return false;
    }

    /// <summary>The disposable returned by <see cref="Tensor.NoGrad"/>.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        internal NoGradScope(bool _) => Push();

        /// <summary>Re-enables recording (scopes nest).</summary>
        public void Dispose() => Pop();
    }
}
