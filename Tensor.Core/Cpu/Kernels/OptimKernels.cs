namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Fused optimizer updates over spans. Glossary: p parameter, g gradient, m/v Adam moments, a centered mean,
/// buf momentum buffer; all of one parameter's length. Formulas are on <c>IBackend.AdamStep</c> etc.
/// </summary>
internal static class OptimKernels
{
    public static void Adam(Span<float> p, Span<float> m, Span<float> v, ReadOnlySpan<float> g, float lr, float b1,
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
