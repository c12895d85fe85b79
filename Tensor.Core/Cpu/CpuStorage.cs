namespace MoeScratch.Tensors.Cpu;

/// <summary>A managed float array on the CPU backend.</summary>
public sealed class CpuStorage : Storage
{
    internal CpuStorage(float[] array, int length, CpuBackend backend) : base(length)
    {
        Array = array;
        _backend = backend;
    }

    private readonly CpuBackend _backend;

    /// <summary>The array; exactly <see cref="Storage.Length"/> long.</summary>
    public float[] Array { get; }

    /// <inheritdoc/>
    public override IBackend Backend => _backend;
}
