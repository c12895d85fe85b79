using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace MoeScratch.Tensors.Gpu;

/// <summary>
/// Loads each kernel once per accelerator and hands out the cached launcher (ILGPU's
/// <c>TransformExtensions</c> create-once design). Loading compiles IL to PTX (CUDA) or to a CPU
/// delegate (debug accelerator), which takes milliseconds, so a reload per call would dominate small ops.
/// </summary>
/// <remarks>
/// Keys are the kernel's <see cref="MethodInfo"/>, so every closed generic instantiation
/// (<c>Unary&lt;ExpOp&gt;</c>, <c>Unary&lt;ReluOp&gt;</c>, …) is a separate entry.
/// </remarks>
internal sealed class KernelCache
{
    private readonly Accelerator _acc;
    private readonly Dictionary<MethodInfo, Delegate> _launchers = new();
    private readonly Lock _lock = new();

    public KernelCache(Accelerator accelerator) => _acc = accelerator;

    private TDelegate Get<TDelegate>(MethodInfo key, Func<TDelegate> load) where TDelegate : Delegate
    {
        lock (_lock)
        {
            if (!_launchers.TryGetValue(key, out var d)) _launchers[key] = d = load();
            return (TDelegate)d;
        }
    }

    // Implicitly grouped kernels (ILGPU picks the group size): index first, then arguments.

    public Action<TI, T1, T2, T3> Auto<TI, T1, T2, T3>(Action<TI, T1, T2, T3> k)
        where TI : struct, IIndex where T1 : struct where T2 : struct where T3 : struct =>
        Get(k.Method, () => _acc.LoadAutoGroupedStreamKernel(k));

    public Action<TI, T1, T2, T3, T4> Auto<TI, T1, T2, T3, T4>(Action<TI, T1, T2, T3, T4> k)
        where TI : struct, IIndex where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Get(k.Method, () => _acc.LoadAutoGroupedStreamKernel(k));

    public Action<TI, T1, T2, T3, T4, T5> Auto<TI, T1, T2, T3, T4, T5>(Action<TI, T1, T2, T3, T4, T5> k)
        where TI : struct, IIndex where T1 : struct where T2 : struct where T3 : struct where T4 : struct
        where T5 : struct =>
        Get(k.Method, () => _acc.LoadAutoGroupedStreamKernel(k));

    public Action<TI, T1, T2, T3, T4, T5, T6> Auto<TI, T1, T2, T3, T4, T5, T6>(Action<TI, T1, T2, T3, T4, T5, T6> k)
        where TI : struct, IIndex where T1 : struct where T2 : struct where T3 : struct where T4 : struct
        where T5 : struct where T6 : struct =>
        Get(k.Method, () => _acc.LoadAutoGroupedStreamKernel(k));

    public Action<TI, T1, T2, T3, T4, T5, T6, T7> Auto<TI, T1, T2, T3, T4, T5, T6, T7>(
        Action<TI, T1, T2, T3, T4, T5, T6, T7> k)
        where TI : struct, IIndex where T1 : struct where T2 : struct where T3 : struct where T4 : struct
        where T5 : struct where T6 : struct where T7 : struct =>
        Get(k.Method, () => _acc.LoadAutoGroupedStreamKernel(k));

    public Action<TI, T1, T2, T3, T4, T5, T6, T7, T8> Auto<TI, T1, T2, T3, T4, T5, T6, T7, T8>(
        Action<TI, T1, T2, T3, T4, T5, T6, T7, T8> k)
        where TI : struct, IIndex where T1 : struct where T2 : struct where T3 : struct where T4 : struct
        where T5 : struct where T6 : struct where T7 : struct where T8 : struct =>
        Get(k.Method, () => _acc.LoadAutoGroupedStreamKernel(k));

    // Explicitly grouped kernels (shared memory, barriers): launched with a KernelConfig.

    public Action<KernelConfig, T1, T2, T3> Grouped<T1, T2, T3>(Action<T1, T2, T3> k)
        where T1 : struct where T2 : struct where T3 : struct =>
        Get(k.Method, () => _acc.LoadStreamKernel(k));

    public Action<KernelConfig, T1, T2, T3, T4> Grouped<T1, T2, T3, T4>(Action<T1, T2, T3, T4> k)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        Get(k.Method, () => _acc.LoadStreamKernel(k));

    public Action<KernelConfig, T1, T2, T3, T4, T5> Grouped<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> k)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        Get(k.Method, () => _acc.LoadStreamKernel(k));
}
