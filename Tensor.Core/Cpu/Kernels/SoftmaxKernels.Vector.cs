using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Softmax rows and columns of any length ≥ one vector, in whole vectors of either width (<see cref="Float16"/> where
/// the 512-bit kernels run and the length allows, else <see cref="Float8"/>). A length that is not a multiple of the
/// vector width ends with one vector that overlaps the one before it: the forward rewrites the overlapped lanes with
/// the same values, and sums and the backward's additions count only its new lanes (<see cref="IFloatVector{TSelf}.KeepFrom"/>).
/// </summary>
/// <remarks>
/// Soft MoE on MinAtar (issue 18) softmaxes [32, 100, 100] logits over both axes: 100 is no multiple of 8, so the
/// token axis (I = 100) ran vector calls of 100 floats per row and a scalar backward, and the slot axis ran several
/// TensorPrimitives calls per 100-float row; the two softmaxes and their backward were 21% of the update.
/// </remarks>
internal static unsafe partial class SoftmaxKernels
{
    /// <summary>Whether a length of <paramref name="n"/> runs in vectors here (at least one 256-bit vector).</summary>
    private static bool Vectorizes(int n) => n >= Vector256<float>.Count && Vector256.IsHardwareAccelerated;

    /// <summary>Whether the 512-bit path takes a length of <paramref name="n"/>.</summary>
    private static bool Wide(int n) => n >= Vector512<float>.Count && GemmMicroKernel.Wide;

    /// <summary>Rows of n ≥ 8 (<see cref="Vectorizes"/>): y, x [rows, n], not overlapping.</summary>
    private static void ForwardRowsVector(Span<float> y, ReadOnlySpan<float> x, int rows, int n, bool log)
    {
        fixed (float* py = y)
        fixed (float* px = x)
        {
            if (Wide(n)) ForwardRows<Float16>(py, px, rows, n, log);
            else ForwardRows<Float8>(py, px, rows, n, log);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows<TV>(float* y, float* x, int rows, int n, bool log)
        where TV : struct, IFloatVector<TV>
    {
        // The tail vector [last, n) overlaps the full ones; its new lanes start at 'fresh'.
        int w = TV.Count, full = n / w * w, last = n - w, fresh = w - (n - full);
        for (int r = 0; r < rows; r++)
        {
            float* xr = x + (long)r * n, yr = y + (long)r * n;
            TV m = TV.Load(xr + last);
            for (int j = 0; j < full; j += w) m = TV.MaxNative(m, TV.Load(xr + j)); // a NaN is carried on by x − max
            var max = TV.Create(TV.MaxAcross(m));
            TV s = TV.Create(0f);
            for (int j = 0; j < full; j += w)
            {
                var e = TV.Exp(TV.Load(xr + j) - max);
                if (!log) e.Store(yr + j);
                s += e;
            }
            if (full < n)
            {
                var e = TV.Exp(TV.Load(xr + last) - max);
                if (!log) e.Store(yr + last);
                s += TV.KeepFrom(e, fresh);
            }
            float sum = TV.Sum(s);
            if (log)
            {
                // (x − max) − ln Σ: subtracting apart keeps precision when |max| ≫ ln Σ (logits ~1e4), as ForwardRow.
                var lse = TV.Create(MathF.Log(sum));
                for (int j = 0; j < full; j += w) (TV.Load(xr + j) - max - lse).Store(yr + j);
                if (full < n) (TV.Load(xr + last) - max - lse).Store(yr + last);
            }
            else
            {
                var inv = TV.Create(1f / sum);
                for (int j = 0; j < full; j += w) (TV.Load(yr + j) * inv).Store(yr + j);
                // The tail is recomputed from x: its overlapped lanes are already scaled.
                if (full < n) (TV.Exp(TV.Load(xr + last) - max) * inv).Store(yr + last);
            }
        }
    }

    /// <summary>Columns of [N, I] blocks, I ≥ 8 (<see cref="Vectorizes"/>): y, x [O, N, I], not overlapping.</summary>
    private static void ForwardColumnsVector(Span<float> y, ReadOnlySpan<float> x, int outer, int n, int inner, bool log)
    {
        fixed (float* py = y)
        fixed (float* px = x)
        {
            if (Wide(inner)) ForwardColumns<Float16>(py, px, outer, n, inner, log);
            else ForwardColumns<Float8>(py, px, outer, n, inner, log);
        }
    }

    /// <summary>
    /// One vector of columns at a time through all N rows of the block (an [N, w] strip, in L1 for Soft MoE's 100
    /// tokens): column max, exp and column sum, scale. The last strip may overlap the one before it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardColumns<TV>(float* y, float* x, int outer, int n, int inner, bool log)
        where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count;
        long block = (long)n * inner;
        for (int o = 0; o < outer; o++)
        {
            for (int c0 = 0; c0 < inner; c0 += w)
            {
                int c = Math.Min(c0, inner - w);
                float* xb = x + o * block + c, yb = y + o * block + c;
                TV m = TV.Load(xb);
                for (int j = 1; j < n; j++) m = TV.MaxNative(m, TV.Load(xb + (long)j * inner));
                TV s = TV.Create(0f);
                for (int j = 0; j < n; j++)
                {
                    var e = TV.Exp(TV.Load(xb + (long)j * inner) - m);
                    if (!log) e.Store(yb + (long)j * inner);
                    s += e;
                }
                if (log)
                {
                    var lse = TV.Log(s);
                    for (int j = 0; j < n; j++) (TV.Load(xb + (long)j * inner) - m - lse).Store(yb + (long)j * inner);
                }
                else
                {
                    var inv = TV.Create(1f) / s;
                    for (int j = 0; j < n; j++) (TV.Load(yb + (long)j * inner) * inv).Store(yb + (long)j * inner);
                }
            }
        }
    }

    /// <summary>dx (+)= the softmax (or log-softmax) backward of rows of n ≥ 8: dx, dy, y [rows, n].</summary>
    private static void BackwardRowsVector(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, int rows, int n,
                                           bool log, bool accumulate)
    {
        fixed (float* pdx = dx)
        fixed (float* pdy = dy)
        fixed (float* py = y)
        {
            if (Wide(n)) BackwardRows<Float16>(pdx, pdy, py, rows, n, log, accumulate);
            else BackwardRows<Float8>(pdx, pdy, py, rows, n, log, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRows<TV>(float* dx, float* dy, float* y, int rows, int n, bool log, bool accumulate)
        where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count, full = n / w * w, last = n - w, fresh = w - (n - full);
        for (int r = 0; r < rows; r++)
        {
            long o = (long)r * n;
            float* dxr = dx + o, dyr = dy + o, yr = y + o;
            // softmax: s = Σ dy·y, dx += y·(dy − s); log-softmax: s = Σ dy, dx += dy − exp(y)·s.
            TV acc = TV.Create(0f);
            for (int j = 0; j < full; j += w) acc += log ? TV.Load(dyr + j) : TV.Load(dyr + j) * TV.Load(yr + j);
            if (full < n)
                acc += TV.KeepFrom(log ? TV.Load(dyr + last) : TV.Load(dyr + last) * TV.Load(yr + last), fresh);
            var s = TV.Create(TV.Sum(acc));
            for (int j = 0; j < full; j += w) Put(dxr + j, Term(dyr + j, yr + j, s, log), 0, accumulate);
            if (full < n) Put(dxr + last, Term(dyr + last, yr + last, s, log), fresh, accumulate);
        }
    }

    /// <summary>Columns of [N, I] blocks, I ≥ 8: dx (+)= the backward along N; dx, dy, y [O, N, I].</summary>
    private static void BackwardColumnsVector(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, int outer,
                                              int n, int inner, bool log, bool accumulate)
    {
        fixed (float* pdx = dx)
        fixed (float* pdy = dy)
        fixed (float* py = y)
        {
            if (Wide(inner)) BackwardColumns<Float16>(pdx, pdy, py, outer, n, inner, log, accumulate);
            else BackwardColumns<Float8>(pdx, pdy, py, outer, n, inner, log, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardColumns<TV>(float* dx, float* dy, float* y, int outer, int n, int inner, bool log,
                                            bool accumulate) where TV : struct, IFloatVector<TV>
    {
        int w = TV.Count;
        long block = (long)n * inner;
        for (int o = 0; o < outer; o++)
        {
            for (int c0 = 0; c0 < inner; c0 += w)
            {
                int c = Math.Min(c0, inner - w), fresh = c0 - c; // an overlapping last strip adds only its new lanes
                long b = o * block + c;
                TV acc = TV.Create(0f);
                for (int j = 0; j < n; j++)
                {
                    long p = b + (long)j * inner;
                    acc += log ? TV.Load(dy + p) : TV.Load(dy + p) * TV.Load(y + p);
                }
                for (int j = 0; j < n; j++)
                {
                    long p = b + (long)j * inner;
                    Put(dx + p, Term(dy + p, y + p, acc, log), fresh, accumulate);
                }
            }
        }
    }

    /// <summary>
    /// Stores t's lanes from <paramref name="fresh"/> on into dx (0: all): added to dx, or written over it. A vector that
    /// overlaps the one before it leaves the lanes below <paramref name="fresh"/> as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<TV>(float* dx, TV t, int fresh, bool accumulate) where TV : struct, IFloatVector<TV>
    {
        if (fresh == 0)
        {
            (accumulate ? TV.Load(dx) + t : t).Store(dx);
            return;
        }
        var old = TV.Load(dx);
        if (accumulate)
        {
            (old + TV.KeepFrom(t, fresh)).Store(dx);
            return;
        }
        var ones = TV.EqualMask(TV.Create(0f), TV.Create(0f)); // all bits set
        TV.Select(TV.KeepFrom(ones, fresh), t, old).Store(dx); // a fresh buffer's lanes may hold anything, NaN included
    }

    /// <summary>y·(dy − s) for softmax, dy − exp(y)·s for log-softmax.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Term<TV>(float* dy, float* y, TV s, bool log) where TV : struct, IFloatVector<TV> =>
        log ? TV.Load(dy) - TV.Exp(TV.Load(y)) * s : TV.Load(y) * (TV.Load(dy) - s);
}
