using ILGPU;
using ILGPU.Algorithms;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Softmax and log-softmax along the middle axis of [O, N, I], one thread per (o, i) row (grid-stride over
/// O·I rows). Element (o, j, i) sits at (o·N + j)·I + i. Routers and Soft MoE normalize over a few to a few
/// hundred entries, which one thread reads in three passes; every forward subtracts the maximum first (as the
/// CPU kernels do), so exp never overflows, and log-softmax is (x − max) − ln Σ exp(x − max).
/// </summary>
public static class SoftmaxKernels
{
    /// <summary>y = softmax(x) or log_softmax(x) (log ≠ 0) along N.</summary>
    public static void Forward(Index1D t, ArrayView<float> y, ArrayView<float> x, int n, int inner, int log,
                               GridStride s)
    {
        for (int row = t; row < s.N; row += s.Stride)
        {
            int o = row / inner, i = row % inner, base0 = o * n * inner + i;
            float m = float.NegativeInfinity;
            for (int j = 0; j < n; j++) m = MaxOp.Apply(m, x[base0 + j * inner]);
            float sum = 0f;
            for (int j = 0; j < n; j++) sum += XMath.Exp(x[base0 + j * inner] - m);
            if (log != 0)
            {
                float lse = XMath.Log(sum);
                for (int j = 0; j < n; j++) y[base0 + j * inner] = x[base0 + j * inner] - m - lse;
            }
            else
            {
                float inv = 1f / sum;
                for (int j = 0; j < n; j++) y[base0 + j * inner] = XMath.Exp(x[base0 + j * inner] - m) * inv;
            }
        }
    }

    /// <summary>dx += y ⊙ (dy − Σ dy⊙y) (softmax) or dy − exp(y)·Σ dy (log-softmax), y the saved output.</summary>
    public static void Backward(Index1D t, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> y, int n,
                                int inner, int log, GridStride s)
    {
        for (int row = t; row < s.N; row += s.Stride)
        {
            int o = row / inner, i = row % inner, base0 = o * n * inner + i;
            float acc = 0f;
            for (int j = 0; j < n; j++)
            {
                int p = base0 + j * inner;
                acc += log != 0 ? dy[p] : dy[p] * y[p];
            }
            for (int j = 0; j < n; j++)
            {
                int p = base0 + j * inner;
                dx[p] += log != 0 ? dy[p] - XMath.Exp(y[p]) * acc : y[p] * (dy[p] - acc);
            }
        }
    }
}
