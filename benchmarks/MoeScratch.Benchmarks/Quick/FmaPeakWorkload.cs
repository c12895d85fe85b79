using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>fma-peak</c>: the machine's FP32 FMA limit as seen from .NET, same kernel as the anchors' FmaPeak.cs — a
/// register-only loop of Vector256 FMAs over 12 independent accumulators (4-cycle latency × 2 FMA pipes needs ≥ 8
/// in flight), no memory traffic, on N dedicated threads started together. Glossary: iters = loop trips per thread;
/// one trip = 12 accumulators × 8 lanes × 2 (mul + add) = 192 FLOPs.
/// </summary>
public sealed class FmaPeakWorkload : FmaPeakWorkloadBase
{
    /// <inheritdoc/>
    public override string Name => "fma-peak";

    /// <inheritdoc/>
    public override string? Unavailable =>
        Fma.IsSupported && Avx.IsSupported ? null : "needs AVX + FMA3 (x86-64-v3); this CPU lacks them";

    /// <inheritdoc/>
    protected override int Lanes => 8;

    /// <inheritdoc/>
    protected override float Kernel(long iters, float seed) => Loop<Float8>(iters, seed);
}

/// <summary>
/// <c>fma-peak-512</c>: the same loop with Vector512 (384 FLOPs per trip), the limit of our 512-bit kernels on
/// AVX-512 machines. <c>fma-peak</c> keeps the anchors' 256-bit definition, so on such a machine SGEMM can exceed it;
/// this line shows what the wide kernels reach against their own peak.
/// </summary>
public sealed class FmaPeak512Workload : FmaPeakWorkloadBase
{
    /// <inheritdoc/>
    public override string Name => "fma-peak-512";

    /// <inheritdoc/>
    public override string? Unavailable =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? null : "needs AVX-512F; this CPU or runtime lacks it";

    /// <inheritdoc/>
    protected override int Lanes => 16;

    /// <inheritdoc/>
    protected override float Kernel(long iters, float seed) => Loop<Float16>(iters, seed);
}

/// <summary>Threads, barrier and FLOP count shared by the two FMA peak loops.</summary>
public abstract class FmaPeakWorkloadBase : IQuickWorkload
{
    private const long ItersPerThread = 20_000_000; // ≈ 30–50 ms per run at 2.8–4 GHz, 2 FMAs/cycle
    private static volatile float sink;
    private int threads = 1;

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract string? Unavailable { get; }

    /// <summary>Floats per vector of the loop.</summary>
    protected abstract int Lanes { get; }

    /// <inheritdoc/>
    public double? Flops => FlopsOf(ItersPerThread);

    /// <summary>FLOPs of one run of <paramref name="iters"/> trips per thread.</summary>
    public double FlopsOf(long iters) => threads * iters * (double)(12 * Lanes * 2);

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        if (Unavailable is { } why) throw new PlatformNotSupportedException($"{Name} {why}.");
        threads = setup.Threads;
        sink = Kernel(1000, 1f); // JIT before timing
    }

    /// <summary>
    /// One run: all threads start at a barrier; wall time until the last one finishes (like FmaPeak.cs). Unlike the
    /// anchor, the runner's Stopwatch also covers starting the threads (~0.1 ms of a ~30–60 ms run, &lt; 0.5%).
    /// </summary>
    public void Run() => Run(ItersPerThread);

    /// <summary>One run of <paramref name="iters"/> trips per thread (<see cref="FlopLimit"/> times shorter runs, which
    /// a busy machine interrupts less often).</summary>
    public void Run(long iters)
    {
        using var start = new Barrier(threads);
        var ts = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            float seed = t;
            ts[t] = new Thread(() => { start.SignalAndWait(); sink = Kernel(iters, seed); }) { IsBackground = true };
            ts[t].Start();
        }

        foreach (var th in ts) th.Join();
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) => "";

    /// <summary>The register-only loop at this workload's width (<see cref="Loop{TV}"/>).</summary>
    protected abstract float Kernel(long iters, float seed);

    /// <summary>
    /// <paramref name="iters"/> trips of 12 independent FMAs (a·m + c, the anchor's loop) on TV-wide vectors; returns
    /// one lane of their sum so the JIT cannot drop the work. Compiled separately per width.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private protected static unsafe float Loop<TV>(long iters, float seed) where TV : struct, IFloatVector<TV>
    {
        var m = TV.Create(0.99999994f);
        var c = TV.Create(1e-7f);
        TV a0 = TV.Create(seed + 0.01f), a1 = TV.Create(seed + 0.02f), a2 = TV.Create(seed + 0.03f);
        TV a3 = TV.Create(seed + 0.04f), a4 = TV.Create(seed + 0.05f), a5 = TV.Create(seed + 0.06f);
        TV a6 = TV.Create(seed + 0.07f), a7 = TV.Create(seed + 0.08f), a8 = TV.Create(seed + 0.09f);
        TV a9 = TV.Create(seed + 0.10f), a10 = TV.Create(seed + 0.11f), a11 = TV.Create(seed + 0.12f);
        for (long i = 0; i < iters; i++)
        {
            a0 = TV.MultiplyAdd(a0, m, c); a1 = TV.MultiplyAdd(a1, m, c);
            a2 = TV.MultiplyAdd(a2, m, c); a3 = TV.MultiplyAdd(a3, m, c);
            a4 = TV.MultiplyAdd(a4, m, c); a5 = TV.MultiplyAdd(a5, m, c);
            a6 = TV.MultiplyAdd(a6, m, c); a7 = TV.MultiplyAdd(a7, m, c);
            a8 = TV.MultiplyAdd(a8, m, c); a9 = TV.MultiplyAdd(a9, m, c);
            a10 = TV.MultiplyAdd(a10, m, c); a11 = TV.MultiplyAdd(a11, m, c);
        }

        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        float* lanes = stackalloc float[16];
        s.Store(lanes);
        return lanes[0];
    }
}
