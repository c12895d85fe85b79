using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// A float vector of either width, so that one transform loop compiles to 256-bit code (<see cref="Float8"/>) and,
/// where <see cref="Gemm.GemmMicroKernel.Wide"/> is on and the channel counts are multiples of 16, to 512-bit code
/// (<see cref="Float16"/>): the JIT specialises generic methods per struct argument, so neither pays for the other.
/// </summary>
internal unsafe interface IFloatVector<TSelf> where TSelf : struct, IFloatVector<TSelf>
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TSelf Load(float* p);

    static abstract TSelf Create(float x);

    static abstract TSelf Max(TSelf a, TSelf b);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    static abstract TSelf Sqrt(TSelf a);

    /// <summary>a·b + c, one rounding.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>c − a·b, one rounding.</summary>
    static abstract TSelf MultiplyAddNegated(TSelf a, TSelf b, TSelf c);

    void Store(float* p);
}

/// <summary>Eight floats (Vector256).</summary>
internal readonly unsafe struct Float8(Vector256<float> v) : IFloatVector<Float8>
{
    private readonly Vector256<float> v = v;

    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Load(float* p) => new(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Create(float x) => new(Vector256.Create(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Max(Float8 a, Float8 b) => new(Vector256.Max(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 operator +(Float8 a, Float8 b) => new(a.v + b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 operator -(Float8 a, Float8 b) => new(a.v - b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 operator -(Float8 a) => new(-a.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 operator *(Float8 a, Float8 b) => new(a.v * b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 operator /(Float8 a, Float8 b) => new(a.v / b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Sqrt(Float8 a) => new(Vector256.Sqrt(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 MultiplyAdd(Float8 a, Float8 b, Float8 c) => new(Fma.MultiplyAdd(a.v, b.v, c.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 MultiplyAddNegated(Float8 a, Float8 b, Float8 c) => new(Fma.MultiplyAddNegated(a.v, b.v, c.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* p) => v.Store(p);
}

/// <summary>Sixteen floats (Vector512).</summary>
internal readonly unsafe struct Float16(Vector512<float> v) : IFloatVector<Float16>
{
    private readonly Vector512<float> v = v;

    public static int Count => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Load(float* p) => new(Vector512.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Create(float x) => new(Vector512.Create(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Max(Float16 a, Float16 b) => new(Vector512.Max(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 operator +(Float16 a, Float16 b) => new(a.v + b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 operator -(Float16 a, Float16 b) => new(a.v - b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 operator -(Float16 a) => new(-a.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 operator *(Float16 a, Float16 b) => new(a.v * b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 operator /(Float16 a, Float16 b) => new(a.v / b.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Sqrt(Float16 a) => new(Vector512.Sqrt(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 MultiplyAdd(Float16 a, Float16 b, Float16 c) => new(Avx512F.FusedMultiplyAdd(a.v, b.v, c.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 MultiplyAddNegated(Float16 a, Float16 b, Float16 c) => new(Avx512F.FusedMultiplyAddNegated(a.v, b.v, c.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* p) => v.Store(p);
}
