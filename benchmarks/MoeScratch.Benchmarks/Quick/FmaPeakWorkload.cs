using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>fma-peak</c>: the machine's FP32 FMA limit as seen from .NET, same kernel as the anchors' FmaPeak.cs — a
/// register-only loop of Vector256 FMAs over 12 independent accumulators (4-cycle latency × 2 FMA pipes needs ≥ 8
/// in flight), no memory traffic, on N dedicated threads started together. Glossary: iters = loop trips per thread;
/// one trip = 12 accumulators × 8 lanes × 2 (mul + add) = 192 FLOPs.
/// </summary>
public sealed class FmaPeakWorkload : IQuickWorkload
{
    private const long ItersPerThread = 20_000_000; // ≈ 40–50 ms per run at ~2.8 GHz, 2 FMAs/cycle
    private const long FlopsPerIter = 12 * 8 * 2;
    private static volatile float sink;
    private int threads = 1;

    /// <inheritdoc/>
    public string Name => "fma-peak";

    /// <inheritdoc/>
    public double? Flops => threads * ItersPerThread * (double)FlopsPerIter;

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        if (!Fma.IsSupported || !Avx.IsSupported)
            throw new PlatformNotSupportedException("fma-peak needs AVX + FMA3 (x86-64-v3); this CPU lacks them.");
        threads = setup.Threads;
        sink = Kernel(1000, 1f); // JIT before timing
    }

    /// <summary>
    /// One run: all threads start at a barrier; wall time until the last one finishes (like FmaPeak.cs). Unlike the
    /// anchor, the runner's Stopwatch also covers starting the threads (~0.1 ms of a ~30–60 ms run, &lt; 0.5%).
    /// </summary>
    public void Run()
    {
        using var start = new Barrier(threads);
        var ts = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            float seed = t;
            ts[t] = new Thread(() => { start.SignalAndWait(); sink = Kernel(ItersPerThread, seed); }) { IsBackground = true };
            ts[t].Start();
        }

        foreach (var th in ts) th.Join();
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) => "";

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Kernel(long iters, float seed)
    {
        var m = Vector256.Create(0.99999994f);
        var c = Vector256.Create(1e-7f);
        var a0 = Vector256.Create(seed + 0.01f); var a1 = Vector256.Create(seed + 0.02f);
        var a2 = Vector256.Create(seed + 0.03f); var a3 = Vector256.Create(seed + 0.04f);
        var a4 = Vector256.Create(seed + 0.05f); var a5 = Vector256.Create(seed + 0.06f);
        var a6 = Vector256.Create(seed + 0.07f); var a7 = Vector256.Create(seed + 0.08f);
        var a8 = Vector256.Create(seed + 0.09f); var a9 = Vector256.Create(seed + 0.10f);
        var a10 = Vector256.Create(seed + 0.11f); var a11 = Vector256.Create(seed + 0.12f);
        for (long i = 0; i < iters; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c);
            a2 = Fma.MultiplyAdd(a2, m, c); a3 = Fma.MultiplyAdd(a3, m, c);
            a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c);
            a8 = Fma.MultiplyAdd(a8, m, c); a9 = Fma.MultiplyAdd(a9, m, c);
            a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
        }

        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector256.Sum(s);
    }
}
