using ILGPU.Algorithms;

namespace MoeScratch.Tensors.Gpu.Kernels;

// Operator structs for the generic elementwise kernels (after ILGPU's sample
// StaticAbstractInterfaceMembers). Each struct states one scalar function and its derivative once; the
// kernels in ElementwiseKernels.cs are written once per arity. The semantics copy
// Tensor.Core/Cpu/Kernels/ElementwiseKernels.cs exactly (NaN propagation of max/min, sign(±0) = ±0, the
// gradient conventions at kinks), because the CPU backend is the test oracle. XMath (ILGPU.Algorithms) maps
// to the CUDA fast-math intrinsics on the device and to managed code on the CPU accelerator.

/// <summary>A unary scalar function y = f(x; α) with its derivative.</summary>
public interface IUnaryGpuOp
{
    /// <summary>f(x; α).</summary>
    static abstract float Forward(float x, float alpha);

    /// <summary>f'(x)·dy, given the forward output y (cheaper for exp, sqrt, tanh, sigmoid, 1/x).</summary>
    static abstract float Backward(float dy, float x, float y, float alpha);
}

/// <summary>A binary scalar function y = a ∘ b.</summary>
public interface IBinaryGpuOp
{
    /// <summary>a ∘ b.</summary>
    static abstract float Apply(float a, float b);
}

#pragma warning disable CS1591 // one-line operator structs; each is documented by its UnaryOp/BinaryOp member.
public struct NegOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => -x;
    public static float Backward(float dy, float x, float y, float alpha) => -dy;
}

public struct ExpOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => XMath.Exp(x);
    public static float Backward(float dy, float x, float y, float alpha) => dy * y;
}

public struct LogOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => XMath.Log(x);
    public static float Backward(float dy, float x, float y, float alpha) => dy / x;
}

public struct SqrtOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => XMath.Sqrt(x);
    public static float Backward(float dy, float x, float y, float alpha) => dy * 0.5f / y;
}

public struct AbsOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => XMath.Abs(x);
    public static float Backward(float dy, float x, float y, float alpha) => x > 0f ? dy : x < 0f ? -dy : 0f;
}

public struct SignOp : IUnaryGpuOp
{
    // x itself for ±0 and NaN, as the CPU kernel does.
    public static float Forward(float x, float alpha) => x > 0f ? 1f : x < 0f ? -1f : x;
    public static float Backward(float dy, float x, float y, float alpha) => 0f;
}

public struct ReluOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => MaxOp.Apply(x, 0f);
    public static float Backward(float dy, float x, float y, float alpha) => x > 0f ? dy : 0f;
}

public struct SquareOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => x * x;
    public static float Backward(float dy, float x, float y, float alpha) => 2f * x * dy;
}

public struct PowOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => XMath.Pow(x, alpha);
    public static float Backward(float dy, float x, float y, float alpha) => dy * alpha * XMath.Pow(x, alpha - 1f);
}

public struct ScaleOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => x * alpha;
    public static float Backward(float dy, float x, float y, float alpha) => dy * alpha;
}

public struct AddScalarOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => x + alpha;
    public static float Backward(float dy, float x, float y, float alpha) => dy;
}

public struct ClampMinOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => MaxOp.Apply(x, alpha);
    public static float Backward(float dy, float x, float y, float alpha) => x >= alpha ? dy : 0f;
}

public struct ClampMaxOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => MinOp.Apply(x, alpha);
    public static float Backward(float dy, float x, float y, float alpha) => x <= alpha ? dy : 0f;
}

public struct TanhOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => XMath.Tanh(x);
    public static float Backward(float dy, float x, float y, float alpha) => dy * (1f - y * y);
}

public struct SigmoidOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => 1f / (1f + XMath.Exp(-x));
    public static float Backward(float dy, float x, float y, float alpha) => dy * y * (1f - y);
}

public struct ReciprocalOp : IUnaryGpuOp
{
    public static float Forward(float x, float alpha) => 1f / x;
    public static float Backward(float dy, float x, float y, float alpha) => -dy * y * y;
}

public struct AddOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => a + b;
}

public struct SubOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => a - b;
}

public struct MulOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => a * b;
}

public struct DivOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => a / b;
}

public struct MaxOp : IBinaryGpuOp
{
    // NaN propagates (TensorPrimitives.Max semantics).
    public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : a > b ? a : b;
}

public struct MinOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : a < b ? a : b;
}

public struct EqualOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => a == b ? 1f : 0f;
}

public struct GreaterOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => a > b ? 1f : 0f;
}

public struct GreaterEqualOp : IBinaryGpuOp
{
    public static float Apply(float a, float b) => a >= b ? 1f : 0f;
}
#pragma warning restore CS1591
