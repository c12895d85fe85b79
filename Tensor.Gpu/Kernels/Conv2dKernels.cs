using ILGPU;

namespace MoeScratch.Tensors.Gpu.Kernels;

/// <summary>
/// Convolution sizes on the device (a copy of <c>Conv2dGeometry</c>'s fields; kernels take plain structs).
/// Glossary: B batch; H×W input; C in-channels; KH×KW kernel; K = Cout out-channels; OH×OW output;
/// P = OH·OW; KK = KH·KW·C. Layouts: x [B, H, W, C], w [KH, KW, C, K] = [KK, K], y [B, OH, OW, K] = [B·P, K].
/// </summary>
public struct ConvShape
{
#pragma warning disable CS1591 // the glossary above.
    public int Batch, H, W, C, KH, KW, Cout, StrideH, StrideW, PadTop, PadLeft, OH, OW;
#pragma warning restore CS1591

    /// <summary>im2col(x)[r, q] for output pixel r = (b, oh, ow) and patch index q = (kh, kw, ci); 0 in padding.</summary>
    public readonly float Patch(ArrayView<float> x, int r, int q)
    {
        int ow = r % OW, t = r / OW, oh = t % OH, b = t / OH;
        int ci = q % C, u = q / C, kw = u % KW, kh = u / KW;
        int ih = oh * StrideH - PadTop + kh, iw = ow * StrideW - PadLeft + kw;
        return (uint)ih < (uint)H && (uint)iw < (uint)W ? x[((b * H + ih) * W + iw) * C + ci] : 0f;
    }
}

/// <summary>Forward, y [B·P, K] = im2col(x) [B·P, KK] · w [KK, K]: A is gathered from x, B is w.</summary>
public struct ConvForwardOperands : IGemmOperands
{
    /// <inheritdoc/>
    public static float A(ArrayView<float> x, GemmParams p, int bi, int row, int q) => p.Conv.Patch(x, row, q);

    /// <inheritdoc/>
    public static float B(ArrayView<float> w, GemmParams p, int bi, int q, int col) => w[q * p.N + col];
}

/// <summary>
/// Input gradient, dx [B·H·W, C] += A · B with the reduction over q = (kh, kw, o), length KH·KW·K:
/// A[(b, ih, iw), q] = dY[b, oh, ow, o] where ih = oh·sh − pt + kh (0 when no such output pixel exists) and
/// B[q, ci] = w[kh, kw, ci, o]. This is col2im(dY · wᵀ) written as a gather, so no two threads write one element.
/// </summary>
public struct ConvBackwardInputOperands : IGemmOperands
{
    /// <inheritdoc/>
    public static float A(ArrayView<float> dy, GemmParams p, int bi, int row, int q)
    {
        var g = p.Conv;
        int iw = row % g.W, t = row / g.W, ih = t % g.H, b = t / g.H;
        int o = q % g.Cout, u = q / g.Cout, kw = u % g.KW, kh = u / g.KW;
        int nh = ih + g.PadTop - kh, nw = iw + g.PadLeft - kw;
        if (nh < 0 || nw < 0 || nh % g.StrideH != 0 || nw % g.StrideW != 0) return 0f;
        int oh = nh / g.StrideH, ow = nw / g.StrideW;
        return oh < g.OH && ow < g.OW ? dy[((b * g.OH + oh) * g.OW + ow) * g.Cout + o] : 0f;
    }

    /// <inheritdoc/>
    public static float B(ArrayView<float> w, GemmParams p, int bi, int q, int col)
    {
        var g = p.Conv;
        int o = q % g.Cout, khw = q / g.Cout;
        return w[(khw * g.C + col) * g.Cout + o];
    }
}

/// <summary>Weight gradient, dw [KK, K] += im2col(x)ᵀ [KK, B·P] · dY [B·P, K]: A is gathered from x, B is dY.</summary>
public struct ConvBackwardWeightOperands : IGemmOperands
{
    /// <inheritdoc/>
    public static float A(ArrayView<float> x, GemmParams p, int bi, int row, int q) => p.Conv.Patch(x, q, row);

    /// <inheritdoc/>
    public static float B(ArrayView<float> dy, GemmParams p, int bi, int q, int col) => dy[q * p.N + col];
}

/// <summary>
/// Convolution as implicit GEMM: the three passes run <see cref="MatMulKernels.Tiled{TOp}"/> with the operand
/// loaders above, so no im2col buffer is materialized (it would be B·P·KK floats: 3.3 M for Nature-CNN conv 1 at
/// batch 32). The bias gradient is a column sum of dY done by the reduce kernels.
/// </summary>
public static class Conv2dKernels
{
    /// <summary>GEMM sizes of the forward pass.</summary>
    public static GemmParams Forward(ConvShape g, bool hasBias) => Gemm(g, g.Batch * g.OH * g.OW, g.Cout,
        g.KH * g.KW * g.C, accumulate: false, hasBias);

    /// <summary>GEMM sizes of the input-gradient pass (accumulates).</summary>
    public static GemmParams BackwardInput(ConvShape g) => Gemm(g, g.Batch * g.H * g.W, g.C, g.KH * g.KW * g.Cout,
        accumulate: true, hasBias: false);

    /// <summary>GEMM sizes of the weight-gradient pass (accumulates).</summary>
    public static GemmParams BackwardWeight(ConvShape g) => Gemm(g, g.KH * g.KW * g.C, g.Cout, g.Batch * g.OH * g.OW,
        accumulate: true, hasBias: false);

    private static GemmParams Gemm(ConvShape g, int m, int n, int k, bool accumulate, bool hasBias) => new()
    {
        M = m, N = n, K = k, BatchA = 1, BatchB = 1, BatchC = 1, Batch = 1,
        Accumulate = accumulate ? 1 : 0, HasBias = hasBias ? 1 : 0, Conv = g,
    };
}
