using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MoeScratch.Tensors.Cpu.Kernels.Gemm;

/// <summary>Rows of a <see cref="WideTile"/> product in use (the JIT compiles each count separately).</summary>
internal interface ITileRows
{
    static abstract int Count { get; }
}

internal readonly struct OneTileRow : ITileRows
{
    public static int Count => 1;
}

internal readonly struct TwoTileRows : ITileRows
{
    public static int Count => 2;
}

internal readonly struct FiveTileRows : ITileRows
{
    public static int Count => 5;
}

internal readonly struct SixTileRows : ITileRows
{
    public static int Count => 6;
}

internal readonly struct FourTileRows : ITileRows
{
    public static int Count => 4;
}

internal readonly struct ThreeTileRows : ITileRows
{
    public static int Count => 3;
}

/// <summary>
/// The 512-bit register tiles shared by the GEMM (packed and in place) and the Winograd products when
/// <see cref="GemmMicroKernel.Wide"/> is on. <see cref="Product{TRows}"/>: c[r, 0..16] (+)= Σ_{i &lt; depth} a[r·aRow + i·aStep] · b[i·bStep + 0..16]
/// for r &lt; TRows.Count (1 to 6), one zmm per row.
/// </summary>
/// <remarks>
/// One zmm holds a whole 16-channel row, so six rows are only six accumulators, fewer than the 8 independent chains
/// that two FMA pipes of 4-cycle latency need; even and odd depth steps therefore accumulate apart (twelve chains),
/// summed once at the end. Inlined with constant strides (the GEMM's packed panels) the addressing folds away.
/// </remarks>
internal static unsafe class WideTile
{
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Product<TRows>(float* a, nint aRow, nint aStep, float* b, nint bStep, int depth, float* c,
                                      nint ldc, bool addC) where TRows : ITileRows
    {
        Vector512<float> e0 = default, e1 = default, e2 = default, e3 = default, e4 = default, e5 = default;
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default;
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        int i = 0;
        for (; i + 1 < depth; i += 2, a += 2 * aStep, b += 2 * bStep)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + bStep);
            float* a1 = a + aStep;
            e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, e0);
            o0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[0]), b1, o0);
            if (TRows.Count > 1)
            {
                e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[aRow]), b0, e1);
                o1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[aRow]), b1, o1);
            }
            if (TRows.Count > 2)
            {
                e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r2]), b0, e2);
                o2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[r2]), b1, o2);
            }
            if (TRows.Count > 3)
            {
                e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r3]), b0, e3);
                o3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[r3]), b1, o3);
            }
            if (TRows.Count > 4)
            {
                e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r4]), b0, e4);
                o4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[r4]), b1, o4);
            }
            if (TRows.Count > 5)
            {
                e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r5]), b0, e5);
                o5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[r5]), b1, o5);
            }
        }

        if (i < depth)
        {
            var b0 = Vector512.Load(b);
            e0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, e0);
            if (TRows.Count > 1) e1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[aRow]), b0, e1);
            if (TRows.Count > 2) e2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r2]), b0, e2);
            if (TRows.Count > 3) e3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r3]), b0, e3);
            if (TRows.Count > 4) e4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r4]), b0, e4);
            if (TRows.Count > 5) e5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[r5]), b0, e5);
        }

        Store(c, e0 + o0, addC);
        if (TRows.Count > 1) Store(c + ldc, e1 + o1, addC);
        if (TRows.Count > 2) Store(c + 2 * ldc, e2 + o2, addC);
        if (TRows.Count > 3) Store(c + 3 * ldc, e3 + o3, addC);
        if (TRows.Count > 4) Store(c + 4 * ldc, e4 + o4, addC);
        if (TRows.Count > 5) Store(c + 5 * ldc, e5 + o5, addC);
    }

    /// <summary>
    /// Two adjacent 16-column panels at once: c[r, 0..16] from b and c[r, 16..32] from b + <paramref name="bPanel"/>,
    /// (+)= Σ_i a[r·aRow + i·aStep] · b[i·bStep + ·]. Twelve accumulators without splitting the depth, and per step two
    /// vector loads and six broadcasts for twelve FMAs (the one-panel tile needs fourteen loads per twelve FMAs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Product2<TRows>(float* a, nint aRow, nint aStep, float* b, nint bPanel, nint bStep, int depth,
                                       float* c, nint ldc, bool addC) where TRows : ITileRows
    {
        Vector512<float> l0 = default, l1 = default, l2 = default, l3 = default, l4 = default, l5 = default;
        Vector512<float> h0 = default, h1 = default, h2 = default, h3 = default, h4 = default, h5 = default;
        nint r2 = 2 * aRow, r3 = 3 * aRow, r4 = 4 * aRow, r5 = 5 * aRow;
        for (int i = 0; i < depth; i++, a += aStep, b += bStep)
        {
            var bl = Vector512.Load(b);
            var bh = Vector512.Load(b + bPanel);
            var x = Vector512.Create(a[0]);
            l0 = Avx512F.FusedMultiplyAdd(x, bl, l0);
            h0 = Avx512F.FusedMultiplyAdd(x, bh, h0);
            if (TRows.Count > 1)
            {
                x = Vector512.Create(a[aRow]);
                l1 = Avx512F.FusedMultiplyAdd(x, bl, l1);
                h1 = Avx512F.FusedMultiplyAdd(x, bh, h1);
            }
            if (TRows.Count > 2)
            {
                x = Vector512.Create(a[r2]);
                l2 = Avx512F.FusedMultiplyAdd(x, bl, l2);
                h2 = Avx512F.FusedMultiplyAdd(x, bh, h2);
            }
            if (TRows.Count > 3)
            {
                x = Vector512.Create(a[r3]);
                l3 = Avx512F.FusedMultiplyAdd(x, bl, l3);
                h3 = Avx512F.FusedMultiplyAdd(x, bh, h3);
            }
            if (TRows.Count > 4)
            {
                x = Vector512.Create(a[r4]);
                l4 = Avx512F.FusedMultiplyAdd(x, bl, l4);
                h4 = Avx512F.FusedMultiplyAdd(x, bh, h4);
            }
            if (TRows.Count > 5)
            {
                x = Vector512.Create(a[r5]);
                l5 = Avx512F.FusedMultiplyAdd(x, bl, l5);
                h5 = Avx512F.FusedMultiplyAdd(x, bh, h5);
            }
        }

        Store2(c, l0, h0, addC);
        if (TRows.Count > 1) Store2(c + ldc, l1, h1, addC);
        if (TRows.Count > 2) Store2(c + 2 * ldc, l2, h2, addC);
        if (TRows.Count > 3) Store2(c + 3 * ldc, l3, h3, addC);
        if (TRows.Count > 4) Store2(c + 4 * ldc, l4, h4, addC);
        if (TRows.Count > 5) Store2(c + 5 * ldc, l5, h5, addC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(float* row, Vector512<float> lo, Vector512<float> hi, bool addC)
    {
        Store(row, lo, addC);
        Store(row + 16, hi, addC);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* row, Vector512<float> v, bool addC)
    {
        if (addC) v += Vector512.Load(row);
        v.Store(row);
    }
}
