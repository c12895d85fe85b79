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

    /// <summary>eˣ per lane in float arithmetic (<see cref="ExpPoly"/>; within 2 ulp, 0 below −87.3).</summary>
    static abstract TSelf Exp(TSelf a);

    /// <summary>The hardware minimum (vminps: b where either is NaN), cheaper than IEEE's NaN-propagating minimum.</summary>
    static abstract TSelf MinNative(TSelf a, TSelf b);

    /// <summary>The hardware maximum (vmaxps: b where either is NaN).</summary>
    static abstract TSelf MaxNative(TSelf a, TSelf b);

    /// <summary>Rounds to the nearest integer, ties to even.</summary>
    static abstract TSelf Round(TSelf a);

    /// <summary>2ⁿ for integral n in [−126, 127], built in the exponent bits.</summary>
    static abstract TSelf Pow2(TSelf n);

    /// <summary>All bits set in the lanes where a &lt; b, else 0.</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);

    /// <summary>All bits set in the lanes where a = b (not in NaN lanes), else 0.</summary>
    static abstract TSelf EqualMask(TSelf a, TSelf b);

    /// <summary>a with the lanes of <paramref name="mask"/> cleared.</summary>
    static abstract TSelf AndNot(TSelf a, TSelf mask);

    /// <summary>a in the lanes of <paramref name="mask"/>, b elsewhere.</summary>
    static abstract TSelf Select(TSelf mask, TSelf a, TSelf b);

    /// <summary>ln x per lane.</summary>
    static abstract TSelf Log(TSelf a);

    /// <summary>The sum of the lanes.</summary>
    static abstract float Sum(TSelf a);

    /// <summary>The largest lane.</summary>
    static abstract float MaxAcross(TSelf a);

    /// <summary>a with the lanes below <paramref name="first"/> set to 0 (a vector that overlaps the one before it
    /// counts only its new lanes).</summary>
    static abstract TSelf KeepFrom(TSelf a, int first);

    void Store(float* p);
}

/// <summary>
/// Single-precision eˣ (Cephes <c>expf</c>, S. Moshier): n = round(x·log₂e), r = x − n·ln 2 in two parts, e^r by a
/// degree-6 polynomial, times 2ⁿ through the exponent bits (range in <see cref="Low"/>). The runtime's vector exp (Vector512.Exp,
/// TensorPrimitives.Exp) evaluates in double precision and cost ~1 ns per float here: the two softmaxes of a MinAtar
/// Soft MoE forward (640 K exps) took 0.3 ms each with it.
/// </summary>
internal static class ExpPoly
{
    /// <summary>
    /// Inputs are clamped to [<see cref="Low"/>, <see cref="High"/>] (2ⁿ stays a normal float); below Low the result is
    /// 0, above High it is e⁸⁸ rather than the true value or ∞ (softmax only feeds x ≤ 0); NaN stays NaN.
    /// </summary>
    public const float Low = -87.33654f, High = 88f;

    public const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;

    public const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
                       P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>eˣ per lane of either width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV a) where TV : struct, IFloatVector<TV>
    {
        // Native min/max: a NaN lane becomes High or Low here and is put back by the last line.
        var x = TV.MinNative(a, TV.Create(High));
        var under = TV.LessThan(x, TV.Create(Low));
        x = TV.MaxNative(x, TV.Create(Low));
        var n = TV.Round(x * TV.Create(Log2E));
        var r = TV.MultiplyAddNegated(n, TV.Create(Ln2Hi), x); // x − n·ln 2, in two parts
        r = TV.MultiplyAddNegated(n, TV.Create(Ln2Lo), r);
        var p = TV.MultiplyAdd(TV.Create(P0), r, TV.Create(P1));
        p = TV.MultiplyAdd(p, r, TV.Create(P2));
        p = TV.MultiplyAdd(p, r, TV.Create(P3));
        p = TV.MultiplyAdd(p, r, TV.Create(P4));
        p = TV.MultiplyAdd(p, r, TV.Create(P5));
        p = TV.MultiplyAdd(p, r * r, r + TV.Create(1f));
        var e = TV.AndNot(p * TV.Pow2(n), under);
        return TV.Select(TV.EqualMask(a, a), e, a); // NaN in, NaN out
    }
}

/// <summary>Lane reductions shared by both widths.</summary>
internal static class LaneMath
{
    /// <summary>The largest of four lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(Vector128<float> v)
    {
        v = Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        return Vector128.Max(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }
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
    public static Float8 Exp(Float8 a) => ExpPoly.Exp(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 MinNative(Float8 a, Float8 b) => new(Vector256.MinNative(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 MaxNative(Float8 a, Float8 b) => new(Vector256.MaxNative(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Round(Float8 a) => new(Vector256.Round(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Pow2(Float8 n) =>
        new(Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n.v) + Vector256.Create(127), 23).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 LessThan(Float8 a, Float8 b) => new(Vector256.LessThan(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 EqualMask(Float8 a, Float8 b) => new(Vector256.Equals(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 AndNot(Float8 a, Float8 mask) => new(Vector256.AndNot(a.v, mask.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Select(Float8 mask, Float8 a, Float8 b) => new(Vector256.ConditionalSelect(mask.v, a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 Log(Float8 a) => new(Vector256.Log(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Float8 a) => Vector256.Sum(a.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Float8 a) => LaneMath.Max(Vector128.Max(a.v.GetLower(), a.v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float8 KeepFrom(Float8 a, int first) =>
        new(Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(first)).AsSingle() & a.v);

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
    public static Float16 Exp(Float16 a) => ExpPoly.Exp(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 MinNative(Float16 a, Float16 b) => new(Vector512.MinNative(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 MaxNative(Float16 a, Float16 b) => new(Vector512.MaxNative(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Round(Float16 a) => new(Vector512.Round(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Pow2(Float16 n) =>
        new(Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n.v) + Vector512.Create(127), 23).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 LessThan(Float16 a, Float16 b) => new(Vector512.LessThan(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 EqualMask(Float16 a, Float16 b) => new(Vector512.Equals(a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 AndNot(Float16 a, Float16 mask) => new(Vector512.AndNot(a.v, mask.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Select(Float16 mask, Float16 a, Float16 b) =>
        new(Vector512.ConditionalSelect(mask.v, a.v, b.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 Log(Float16 a) => new(Vector512.Log(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Float16 a) => Vector512.Sum(a.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Float16 a)
    {
        var h = Vector256.Max(a.v.GetLower(), a.v.GetUpper());
        return LaneMath.Max(Vector128.Max(h.GetLower(), h.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float16 KeepFrom(Float16 a, int first) =>
        new(Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(first)).AsSingle() & a.v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* p) => v.Store(p);
}
