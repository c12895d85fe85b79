using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Fused optimizer updates over spans. Glossary: p parameter, g gradient, m/v Adam moments, a centered mean,
/// buf momentum buffer; all of one parameter's length. Formulas are on <c>IBackend.AdamStep</c> etc.
/// </summary>
internal static class OptimKernels
{
    public static unsafe void Adam(Span<float> p, Span<float> m, Span<float> v, ReadOnlySpan<float> g, float lr,
                                   float b1, float b2, float eps, float c1, float c2, float wd)
    {
        int threads = p.Length >= ParallelMinAdam ? CpuThreads.Max : 1;
        if (threads <= 1)
        {
            AdamRange(p, m, v, g, lr, b1, b2, eps, c1, c2, wd);
            return;
        }
        // Element-wise, so a split is bitwise identical; only large tensors (the DQN's 3136×512 kernel) pay the fork.
        fixed (float* pp = p)
        fixed (float* pm = m)
        fixed (float* pv = v)
        fixed (float* pg = g)
        {
            nint np = (nint)pp, nm = (nint)pm, nv = (nint)pv, ng = (nint)pg;
            int n = p.Length, per = (n / threads + 7) & ~7;
            CpuWorkers.Run(threads, t =>
            {
                int lo = t * per, len = Math.Min(n, lo + per) - lo;
                if (len <= 0) return;
                AdamRange(new Span<float>((float*)np + lo, len), new Span<float>((float*)nm + lo, len),
                          new Span<float>((float*)nv + lo, len), new ReadOnlySpan<float>((float*)ng + lo, len),
                          lr, b1, b2, eps, c1, c2, wd);
            });
        }
    }

    /// <summary>Parameter size from which <see cref="Adam"/> splits the update over <see cref="CpuThreads.Max"/>.</summary>
    public const int ParallelMinAdam = 1 << 18;

    private static unsafe void AdamRange(Span<float> p, Span<float> m, Span<float> v, ReadOnlySpan<float> g, float lr,
                                         float b1, float b2, float eps, float c1, float c2, float wd)
    {
        float invC1 = 1f / c1, invC2 = 1f / c2;
        int i = 0;
        // Same operations in the same order as the scalar loop (and AdamNaive), so results are bitwise equal at either
        // width; vectorized because the scalar sqrt/divide chain made Adam ~3 ms of a 1.7 M-parameter DQN step.
        fixed (float* pp = p, pm = m, pv = v, pg = g)
        {
            if (Gemm.GemmMicroKernel.Wide)
                i = AdamVectors<Float16>(pp, pm, pv, pg, p.Length, lr, b1, b2, eps, invC1, invC2, wd);
            else if (Vector256.IsHardwareAccelerated)
                i = AdamVectors<Float8>(pp, pm, pv, pg, p.Length, lr, b1, b2, eps, invC1, invC2, wd);
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i];
            float mi = b1 * m[i] + (1f - b1) * gi;
            float vi = b2 * v[i] + (1f - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float pi = p[i];
            if (wd != 0f) pi -= lr * wd * pi;
            p[i] = pi - lr * (mi * invC1) / (MathF.Sqrt(vi * invC2) + eps);
        }
    }

    /// <summary>The whole vectors of <see cref="AdamRange"/>; returns how many elements it updated.</summary>
    private static unsafe int AdamVectors<TV>(float* p, float* m, float* v, float* g, int n, float lr, float b1, float b2,
                                              float eps, float invC1, float invC2, float wd) where TV : struct, IFloatVector<TV>
    {
        TV vb1 = TV.Create(b1), vb2 = TV.Create(b2), va1 = TV.Create(1f - b1), va2 = TV.Create(1f - b2);
        TV vlr = TV.Create(lr), vlrwd = TV.Create(lr * wd), vc1 = TV.Create(invC1), vc2 = TV.Create(invC2);
        TV veps = TV.Create(eps);
        int i = 0;
        for (; i <= n - TV.Count; i += TV.Count)
        {
            var gi = TV.Load(g + i);
            var mi = vb1 * TV.Load(m + i) + va1 * gi;
            var vi = vb2 * TV.Load(v + i) + va2 * gi * gi;
            mi.Store(m + i);
            vi.Store(v + i);
            var pi = TV.Load(p + i);
            if (wd != 0f) pi -= vlrwd * pi;
            (pi - vlr * (mi * vc1) / (TV.Sqrt(vi * vc2) + veps)).Store(p + i);
        }
        return i;
    }

    /// <summary>Scalar reference for <see cref="Adam"/> (bitwise equal); kept for tests.</summary>
    public static void AdamNaive(Span<float> p, Span<float> m, Span<float> v, ReadOnlySpan<float> g, float lr, float b1,
                                 float b2, float eps, float c1, float c2, float wd)
    {
        float invC1 = 1f / c1, invC2 = 1f / c2;
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i];
            float mi = b1 * m[i] + (1f - b1) * gi;
            float vi = b2 * v[i] + (1f - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float pi = p[i];
            if (wd != 0f) pi -= lr * wd * pi;
            p[i] = pi - lr * (mi * invC1) / (MathF.Sqrt(vi * invC2) + eps);
        }
    }

    public static void RmsProp(Span<float> p, Span<float> v, Span<float> a, Span<float> buf, ReadOnlySpan<float> g,
                               float lr, float rho, float eps, float momentum, bool centered, bool epsInside)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i];
            float vi = rho * v[i] + (1f - rho) * gi * gi;
            v[i] = vi;
            float denomSq = vi;
            if (centered)
            {
                float ai = rho * a[i] + (1f - rho) * gi;
                a[i] = ai;
                denomSq -= ai * ai;
            }
            float denom = epsInside ? MathF.Sqrt(denomSq + eps) : MathF.Sqrt(denomSq) + eps;
            float step = gi / denom;
            if (momentum != 0f)
            {
                buf[i] = momentum * buf[i] + step;
                step = buf[i];
            }
            p[i] -= lr * step;
        }
    }

    public static void Sgd(Span<float> p, Span<float> buf, ReadOnlySpan<float> g, float lr, float momentum)
    {
        for (int i = 0; i < p.Length; i++)
        {
            float d = g[i];
            if (momentum != 0f)
            {
                buf[i] = momentum * buf[i] + d;
                d = buf[i];
            }
            p[i] -= lr * d;
        }
    }
}
