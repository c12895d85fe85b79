namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// x / sqrt(Σ_axis x² + eps): unit L2 norm along <paramref name="axis"/>. This is the Soft MoE router's
    /// normalisation of both the tokens and Φ along d, with eps = 1e-6 inside the square root
    /// (papers.md §1.2, google-research/vmoe <c>vmoe/projects/soft_moe/router.py</c>). Composite.
    /// </summary>
    /// <remarks>dx = (dy − y·Σ_axis(dy⊙y)) / sqrt(Σx² + eps), obtained from Square/Sum/Pow/Mul.</remarks>
    /// <exception cref="ArgumentException">The axis is out of range.</exception>
    public static Tensor L2Normalize(Tensor x, int axis, float eps = 1e-6f)
    {
        int a = AxisOf(x.Shape, axis, "L2Normalize");
        var inv = Pow(AddScalar(Sum(Square(x), [a], keepDims: true), eps), -0.5f);
        return Mul(x, inv);
    }
}
