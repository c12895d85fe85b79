using System.Buffers;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Sums over a batch that every worker accumulates privately over its own images (weight gradients), then added up in
/// worker order, so results do not depend on timing.
/// </summary>
internal static unsafe class ImagePartials
{
    /// <summary>Adds images [lo, hi) into <paramref name="sum"/> (size floats, zeroed before the first call).</summary>
    public delegate void Body(float* sum, int lo, int hi);

    /// <summary>
    /// Worker t (of <paramref name="threads"/>) sums images [t·B/T, (t+1)·B/T) into its own zeroed slot; returns a
    /// pooled array whose first <paramref name="size"/> floats are the total (return it to
    /// <see cref="ArrayPool{T}.Shared"/>).
    /// </summary>
    public static float[] Sum(int batch, int threads, int size, Body body)
    {
        float[] partial = ArrayPool<float>.Shared.Rent(threads * size);
        fixed (float* pp = partial)
        {
            nint npp = (nint)pp;
            CpuWorkers.Run(threads, t =>
            {
                float* mine = (float*)npp + (long)t * size;
                new Span<float>(mine, size).Clear();
                body(mine, (int)((long)t * batch / threads), (int)((long)(t + 1) * batch / threads));
            });
        }
        var total = partial.AsSpan(0, size);
        for (int t = 1; t < threads; t++) TP.Add(total, partial.AsSpan(t * size, size), total);
        return partial;
    }
}
