using ILGPU;
using ILGPU.Algorithms;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>Hyper-parameters of one fused optimizer step (formulas on <c>IBackend.AdamStep</c> etc.).</summary>
public struct OptimParams
{
#pragma warning disable CS1591 // named as in IBackend.AdamStep / RmsPropStep / SgdStep.
    public float Lr, Beta1, Beta2, Eps, InvC1, InvC2, WeightDecay, Rho, Momentum;
    public int Centered, EpsInsideSqrt, HasMomentum;
#pragma warning restore CS1591
}

/// <summary>
/// Fused optimizer updates, one thread per parameter element (grid-stride), mirroring
/// Tensor.Core/Cpu/Kernels/OptimKernels.cs line by line. Glossary: p parameter, g gradient, m/v moments,
/// a centered mean, buf momentum buffer, all of one parameter's length. Unused optional buffers are passed as
/// the parameter view and never touched (their flag is 0).
/// </summary>
public static class OptimKernels
{
    /// <summary>Adam / AdamW.</summary>
    public static void Adam(Index1D t, ArrayView<float> p, ArrayView<float> m, ArrayView<float> v, ArrayView<float> g,
                            OptimParams o, GridStride s)
    {
        for (int i = t; i < s.N; i += s.Stride)
        {
            float gi = g[i];
            float mi = o.Beta1 * m[i] + (1f - o.Beta1) * gi;
            float vi = o.Beta2 * v[i] + (1f - o.Beta2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float pi = p[i];
            if (o.WeightDecay != 0f) pi -= o.Lr * o.WeightDecay * pi;
            p[i] = pi - o.Lr * (mi * o.InvC1) / (XMath.Sqrt(vi * o.InvC2) + o.Eps);
        }
    }

    /// <summary>RMSProp, optionally centered and with momentum.</summary>
    public static void RmsProp(Index1D t, ArrayView<float> p, ArrayView<float> v, ArrayView<float> a,
                               ArrayView<float> buf, ArrayView<float> g, OptimParams o, GridStride s)
    {
        for (int i = t; i < s.N; i += s.Stride)
        {
            float gi = g[i];
            float vi = o.Rho * v[i] + (1f - o.Rho) * gi * gi;
            v[i] = vi;
            float denomSq = vi;
            if (o.Centered != 0)
            {
                float ai = o.Rho * a[i] + (1f - o.Rho) * gi;
                a[i] = ai;
                denomSq -= ai * ai;
            }
            float denom = o.EpsInsideSqrt != 0 ? XMath.Sqrt(denomSq + o.Eps) : XMath.Sqrt(denomSq) + o.Eps;
            float step = gi / denom;
            if (o.HasMomentum != 0)
            {
                buf[i] = o.Momentum * buf[i] + step;
                step = buf[i];
            }
            p[i] -= o.Lr * step;
        }
    }

    /// <summary>SGD with optional momentum.</summary>
    public static void Sgd(Index1D t, ArrayView<float> p, ArrayView<float> buf, ArrayView<float> g, OptimParams o,
                           GridStride s)
    {
        for (int i = t; i < s.N; i += s.Stride)
        {
            float d = g[i];
            if (o.HasMomentum != 0)
            {
                buf[i] = o.Momentum * buf[i] + d;
                d = buf[i];
            }
            p[i] -= o.Lr * d;
        }
    }
}
