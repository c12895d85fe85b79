using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// x / sqrt(Σ_axis x² + eps): unit L2 norm along <paramref name="axis"/>. This is the Soft MoE router's
    /// normalisation of both the tokens and Φ along d, with eps = 1e-6 inside the square root
    /// (google-research/vmoe <c>vmoe/projects/soft_moe/router.py</c>). Composite.
    /// </summary>
    /// <remarks>dx = (dy − y·Σ_axis(dy⊙y)) / sqrt(Σx² + eps), obtained from Square/Sum/Pow/Mul.</remarks>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Tensor L2Normalize(Tensor x, int axis, float eps = 1e-6f)
    {
        int a = AxisOf(x.Shape, axis, "L2Normalize");
        var inv = Pow(AddScalar(Sum(Square(x), [a], keepDims: true), eps), -0.5f);
        return Mul(x, inv);
    }

    /// <summary>
    /// y = x / (√max(Σ x², <paramref name="minSumSq"/>) + <paramref name="eps"/>) along <paramref name="axis"/>:
    /// the Soft MoE token and Φ normalization of Dopamine (Obando-Ceron et al. 2024), which clamps the squared norm
    /// before the root and adds eps after it (unlike <see cref="L2Normalize"/>). One fused kernel each way.
    /// </summary>
    /// <remarks>
    /// With s = Σ x², r = √max(s, minSumSq), d = r + eps: dx = dy / d − x · (Σ dy ⊙ x) · [s ≥ minSumSq] / (d² r)
    /// (the clamp passes the gradient at its bound, as <see cref="Clamp"/>).
    /// </remarks>
    /// <exception cref="ArgumentException">The axis is out of range, a bound is negative or NaN, or both are 0
    /// (an all-zero slice would divide by zero).</exception>
    public static Tensor L2NormalizeClamped(Tensor x, int axis, float minSumSq = 1e-30f, float eps = 1e-6f)
    {
        int a = AxisOf(x.Shape, axis, "L2NormalizeClamped");
        if (!(minSumSq >= 0) || !(eps >= 0) || (minSumSq == 0 && eps == 0))
        {
            ThrowHelper.Argument($"L2NormalizeClamped: minSumSq and eps must be >= 0 and not both 0, got " +
                                 $"minSumSq={minSumSq}, eps={eps} (x {x.Shape}).");
        }
        var (outer, n, inner) = SplitAroundAxis(x.Shape, a);
        var y = NewLike(x, x.Shape);
        x.Backend.L2NormalizeClamped(y, x, outer, n, inner, minSumSq, eps);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, "l2normalize_clamped", [x], g =>
            {
                var dx = Tensor.Empty(x.Shape, x.Backend); // the kernel writes every element
                x.Backend.L2NormalizeClampedBackward(dx, g, x, outer, n, inner, minSumSq, eps);
                x.AccumulateGrad(dx);
            });
        }
        return y;
    }
}
