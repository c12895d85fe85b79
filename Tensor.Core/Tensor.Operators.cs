namespace MoeScratch.Tensors;

public sealed partial class Tensor
{
    /// <summary>a + b (<see cref="Ops.Add"/>).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);

    /// <summary>a − b (<see cref="Ops.Sub"/>).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);

    /// <summary>a · b element-wise (<see cref="Ops.Mul"/>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);

    /// <summary>a / b element-wise (<see cref="Ops.Div"/>).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);

    /// <summary>−a.</summary>
    public static Tensor operator -(Tensor a) => Ops.Neg(a);

    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, float s) => Ops.AddScalar(a, s);

    /// <summary>s + a.</summary>
    public static Tensor operator +(float s, Tensor a) => Ops.AddScalar(a, s);

    /// <summary>a − s.</summary>
    public static Tensor operator -(Tensor a, float s) => Ops.AddScalar(a, -s);

    /// <summary>s − a.</summary>
    public static Tensor operator -(float s, Tensor a) => Ops.AddScalar(Ops.Neg(a), s);

    /// <summary>a · s.</summary>
    public static Tensor operator *(Tensor a, float s) => Ops.Scale(a, s);

    /// <summary>s · a.</summary>
    public static Tensor operator *(float s, Tensor a) => Ops.Scale(a, s);

    /// <summary>a / s.</summary>
    public static Tensor operator /(Tensor a, float s) => Ops.Scale(a, 1f / s);
}
