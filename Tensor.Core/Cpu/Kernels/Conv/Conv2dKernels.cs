using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// 2-D convolution over NHWC images with HWIO weights, forward and backward, as im2col + GEMM.
/// </summary>
/// <remarks>
/// <para>Glossary: B batch; H×W input spatial; C in-channels; KH×KW kernel; K = Cout out-channels; OH×OW output
/// spatial; P = OH·OW output pixels per image; KK = KH·KW·C patch length (one im2col row, ordered kh, kw, c
/// exactly like the flattened HWIO weight [KK, K]); M = rows of one GEMM (images in the chunk × P).</para>
/// <para>Buffers: x [B, H, W, C], w [KH, KW, C, K] = [KK, K], bias [K], y [B, OH, OW, K] = [B·P, K];
/// col [M, KK]. Because NHWC output rows are output pixels, y = col · w needs no transpose (the reason for the
/// NHWC/HWIO layout, see <c>Ops</c>).</para>
/// <para>Forward: y = im2col(x) · w (+ bias). Backward: dW += colᵀ · dY; dBias += Σ_rows dY;
/// dcol = dY · wᵀ then col2im scatter-adds dcol into dx. Backward kernels accumulate (+=).</para>
/// <para>The <c>*Naive</c> kernels are direct loops kept as test oracle and documentation. Faster paths, chosen by
/// shape: unpadded convs with a short patch and few output channels skip im2col in the forward
/// (<see cref="Conv2dImplicit"/>), convs with few input channels run a direct forward (<see cref="Conv2dSmallChannel"/>),
/// padded ones run the implicit forward on a zero-bordered copy and, at stride 1, their input gradient as the flipped
/// convolution of bordered dY (<see cref="Conv2dPadded"/>); every weight gradient with whole 16-channel output panels
/// is a direct loop over the images (<see cref="Conv2dDirectWeightGrad"/>). These split their own loops across
/// threads and call no GEMM.</para>
/// <para>Threads: the batch is not split across threads here; all parallelism comes from
/// <see cref="MatMulKernels.Gemm"/>, which threads large products itself (splitting here as well would
/// oversubscribe the two cores). Several images share one GEMM so that M stays large.</para>
/// </remarks>
internal static class Conv2dKernels
{
    /// <summary>
    /// Default upper bound on the floats of one chunk's im2col buffer (16 MiB): bounds memory while keeping the
    /// GEMM's M (images × P) large. Nature conv 1 at batch 32 needs 3.3 M floats, so it runs as one GEMM.
    /// </summary>
    public const int DefaultMaxColFloats = 1 << 22;

    /// <summary>
    /// Whether the Winograd kernels run where they apply (<see cref="Conv2dWinograd"/>, <see cref="Conv2dWinograd4"/>,
    /// <see cref="Conv2dWinogradWeightGrad"/>, <see cref="Conv2dStridedWinograd"/>). On by default; the environment variable <c>MOESCRATCH_WINOGRAD=0</c> turns
    /// them off for the process (direct convolutions only, e.g. to compare results that differ by rounding); tests
    /// turn it off to reach the direct paths with the same shapes.
    /// </summary>
    internal static bool Winograd = Environment.GetEnvironmentVariable("MOESCRATCH_WINOGRAD") != "0";

    /// <summary>
    /// Whether Winograd takes F(4×4, 3×3) (<see cref="Conv2dWinograd4"/>) where it pays, F(2×2, 3×3) otherwise (on by
    /// default; tests turn it off to reach F(2×2) with the same shapes). <see cref="Winograd"/> off turns off both.
    /// IMPALA training step at batch 32, 2 threads, min over alternating runs on a shared machine: 57.3–58.9 ms off,
    /// 52.2–54.5 ms on (per-shape times at <see cref="Conv2dWinograd4.Pays"/>).
    /// </summary>
    internal static bool Winograd4 = true;

    /// <summary>Images per GEMM chunk: as many as fit in <paramref name="maxColFloats"/>, at least one.</summary>
    private static int ImagesPerChunk(in Conv2dGeometry g, int maxColFloats) =>
        Math.Clamp(maxColFloats / Math.Max(1, g.OutPixels * g.PatchSize), 1, Math.Max(1, g.Batch));

    /// <summary>A 1×1, stride-1, unpadded convolution reads x itself as the im2col matrix.</summary>
    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop == 0 && g.PadBottom == 0 && g.PadLeft == 0 && g.PadRight == 0;

    /// <summary>
    /// y [B, OH, OW, K] = conv(x [B, H, W, C], w [KK, K]) + bias [K] (bias may be empty), then max(0, y) when
    /// <paramref name="relu"/> (fused into the implicit path's tile epilogue, a pass over y otherwise).
    /// </summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, int maxColFloats = DefaultMaxColFloats, bool relu = false)
    {
        int kk = g.PatchSize, k = g.Cout, p = g.OutPixels;
        if (IsPointwise(g))
        {
            MatMulKernels.Gemm(false, false, g.Batch * p, k, kk, x, kk, w, k, y, k, accumulate: false);
        }
        else if (Winograd && Winograd4 && Conv2dWinograd4.CanForward(g) && Conv2dWinograd4.PaysForward(g))
        {
            Conv2dWinograd4.Forward(y, x, w, bias, g, relu); // 4× fewer FLOPs than direct, bias and ReLU fused
            return;
        }
        else if (Winograd && Conv2dWinograd.CanForward(g))
        {
            Conv2dWinograd.Forward(y, x, w, bias, g, relu); // 3×3 stride 1: 2.25× fewer FLOPs, bias and ReLU fused
            return;
        }
        else if (Winograd && Conv2dStridedWinograd.CanForward(g))
        {
            Conv2dStridedWinograd.Forward(y, x, w, bias, g, relu); // kernel 2×stride (Nature 1, 2): 16/9× fewer FLOPs
            return;
        }
        else if (Conv2dImplicit.CanRun(g))
        {
            Conv2dImplicit.Forward(y, x, w, bias, g, relu); // bias and ReLU in its tile epilogue
            return;
        }
        else if (Conv2dSmallChannel.CanRun(g))
        {
            Conv2dSmallChannel.Forward(y, x, w, bias, g); // bias in its tiles
            if (relu) TP.Max(y, 0f, y);
            return;
        }
        else if (Conv2dPadded.CanForward(g))
        {
            Conv2dPadded.Forward(y, x, w, bias, g, relu); // zero-bordered copy, then the implicit kernel
            return;
        }
        else
        {
            int chunk = ImagesPerChunk(g, maxColFloats);
            float[] col = ArrayPool<float>.Shared.Rent(chunk * p * kk);
            try
            {
                for (int b0 = 0; b0 < g.Batch; b0 += chunk)
                {
                    int nb = Math.Min(chunk, g.Batch - b0), m = nb * p;
                    var c = col.AsSpan(0, m * kk);
                    Im2ColParallel(c, x, g, b0, nb);
                    MatMulKernels.Gemm(false, false, m, k, kk, c, kk, w, k, y.Slice(b0 * p * k, m * k), k,
                                       accumulate: false);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(col);
            }
        }
        if (!bias.IsEmpty) AddRowVector(y, bias, g.Batch * p, k);
        if (relu) TP.Max(y, 0f, y);
    }

    /// <summary>dx [B, H, W, C] += col2im(dY [B·P, K] · wᵀ), w [KK, K].</summary>
    public static void BackwardInput(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> w,
                                     in Conv2dGeometry g, int maxColFloats = DefaultMaxColFloats)
    {
        int kk = g.PatchSize, k = g.Cout, p = g.OutPixels;
        if (IsPointwise(g))
        {
            MatMulKernels.Gemm(false, true, g.Batch * p, kk, k, dy, k, w, k, dx, kk, accumulate: true);
            return;
        }
        if (Winograd && Winograd4 && Conv2dWinograd4.CanBackwardInputAdjoint(g) && Conv2dWinograd4.PaysAdjoint(g))
        {
            Conv2dWinograd4.AccumulateInputGradAdjoint(dx, dy, w, g); // Nature conv 3: the forward's 4 tiles per image
            return;
        }
        if (Winograd && Winograd4 && Conv2dWinograd4.CanBackwardInput(g) && Conv2dWinograd4.Pays(g.H, g.W))
        {
            Conv2dWinograd4.AccumulateInputGrad(dx, dy, w, g); // the flipped 3×3 conv, by F(4×4, 3×3)
            return;
        }
        if (Winograd && Conv2dWinograd.CanBackwardInput(g))
        {
            Conv2dWinograd.AccumulateInputGrad(dx, dy, w, g); // the flipped 3×3 conv, by Winograd
            return;
        }
        if (Winograd && Conv2dStridedWinograd.CanBackwardInput(g))
        {
            Conv2dStridedWinograd.AccumulateInputGrad(dx, dy, w, g); // kernel 2×stride: F(2×2, 2×2), no col2im
            return;
        }
        // Padded stride-1 convs (IMPALA's SAME 3×3): the flipped conv of bordered dY, no col2im. Unpadded ones keep
        // the GEMM + col2im, which measured faster at Nature conv 3 (576 taps, 64 channels).
        if (Conv2dPadded.IsPadded(g) && Conv2dPadded.CanBackwardInput(g))
        {
            Conv2dPadded.AccumulateInputGrad(dx, dy, w, g);
            return;
        }
        int chunk = ImagesPerChunk(g, maxColFloats);
        float[] col = ArrayPool<float>.Shared.Rent(chunk * p * kk);
        try
        {
            for (int b0 = 0; b0 < g.Batch; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.Batch - b0), m = nb * p;
                var c = col.AsSpan(0, m * kk);
                MatMulKernels.Gemm(false, true, m, kk, k, dy.Slice(b0 * p * k, m * k), k, w, k, c, kk,
                                   accumulate: false);
                Col2ImParallel(dx, c, g, b0, nb);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(col);
        }
    }

    /// <summary>
    /// dw [KK, K] += im2col(x)ᵀ · dY and dBias [K] += Σ over B, OH, OW of dY; either output may be empty (skipped).
    /// </summary>
    public static void BackwardWeight(Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy,
                                      ReadOnlySpan<float> x, in Conv2dGeometry g,
                                      int maxColFloats = DefaultMaxColFloats)
    {
        int kk = g.PatchSize, k = g.Cout, p = g.OutPixels;
        if (!dw.IsEmpty && Winograd && Conv2dWinogradWeightGrad.CanRun(g))
        {
            Conv2dWinogradWeightGrad.Accumulate(dw, dBias, dy, x, g); // 3×3 stride 1: F(3×3, 2×2), dBias too
            return;
        }
        if (!dw.IsEmpty && Winograd && Conv2dStridedWinograd.CanRun(g))
        {
            Conv2dStridedWinograd.AccumulateWeightGrad(dw, dBias, dy, x, g); // kernel 2×stride: F(2×2, 2×2)
            return;
        }
        if (!dw.IsEmpty && !IsPointwise(g) && Conv2dDirectWeightGrad.CanRun(g))
        {
            Conv2dDirectWeightGrad.Accumulate(dw, dBias, dy, x, g); // dBias too, image by image
            return;
        }
        if (!dBias.IsEmpty) SumRowsInto(dBias, dy, g.Batch * p, k);
        if (dw.IsEmpty) return;
        if (IsPointwise(g))
        {
            MatMulKernels.Gemm(true, false, kk, k, g.Batch * p, x, kk, dy, k, dw, k, accumulate: true);
            return;
        }
        int chunk = ImagesPerChunk(g, maxColFloats);
        float[] col = ArrayPool<float>.Shared.Rent(chunk * p * kk);
        // Narrow outputs compute dWᵀ = dyᵀ·col [Cout × KK] instead of colᵀ·dy: the im2col matrix is then the
        // untransposed B operand (16-wide vector packing) and the few output channels the small-m row block, where
        // colᵀ·dy packed the huge im2col matrix transposed, 6 floats at a time (IMPALA's 16/32 channels; Nature's 32/64 gain a little).
        bool swapped = k <= SwappedWeightGradMaxCout;
        float[]? dwT = swapped ? ArrayPool<float>.Shared.Rent(k * kk) : null;
        try
        {
            for (int b0 = 0; b0 < g.Batch; b0 += chunk)
            {
                int nb = Math.Min(chunk, g.Batch - b0), m = nb * p;
                var c = col.AsSpan(0, m * kk);
                Im2ColParallel(c, x, g, b0, nb);
                var dyChunk = dy.Slice(b0 * p * k, m * k);
                if (swapped)
                    MatMulKernels.Gemm(true, false, k, kk, m, dyChunk, k, c, kk, dwT!.AsSpan(0, k * kk), kk, accumulate: b0 > 0);
                else
                    MatMulKernels.Gemm(true, false, kk, k, m, c, kk, dyChunk, k, dw, k, accumulate: true);
            }
            if (swapped)
            {
                for (int o = 0; o < k; o++)
                for (int q = 0; q < kk; q++) dw[q * k + o] += dwT![o * kk + q];
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(col);
            if (dwT is not null) ArrayPool<float>.Shared.Return(dwT);
        }
    }

    /// <summary>Output channels up to which <see cref="BackwardWeight"/> computes dWᵀ = dyᵀ·col (see there).</summary>
    public const int SwappedWeightGradMaxCout = 64;

    /// <summary>y[r, :] += v for r &lt; rows (y is [rows, k] row-major).</summary>
    /// <remarks>
    /// One TensorPrimitives call per row cost more than the add itself at Impala's k = 16 (225,792 rows per conv);
    /// for k ≤ 64 the bias stays in registers and rows stream through.
    /// </remarks>
    internal static void AddRowVector(Span<float> y, ReadOnlySpan<float> v, int rows, int k)
    {
        int n = Vector256<float>.Count;
        if (k % n != 0 || k > 8 * n)
        {
            for (int r = 0; r < rows; r++)
            {
                var row = y.Slice(r * k, k);
                TP.Add(row, v, row);
            }
            return;
        }
        Span<Vector256<float>> bv = stackalloc Vector256<float>[k / n];
        for (int j = 0; j < bv.Length; j++) bv[j] = Vector256.Create(v.Slice(j * n, n));
        ref float y0 = ref MemoryMarshal.GetReference(y);
        for (int r = 0; r < rows; r++)
        {
            nuint off = (nuint)(r * k);
            for (int j = 0; j < bv.Length; j++)
            {
                nuint o = off + (nuint)(j * n);
                (Vector256.LoadUnsafe(ref y0, o) + bv[j]).StoreUnsafe(ref y0, o);
            }
        }
    }

    /// <summary>s[:] += Σ_r m[r, :] over the rows of m [rows, k] (the bias gradient).</summary>
    internal static void SumRowsInto(Span<float> s, ReadOnlySpan<float> m, int rows, int k)
    {
        int n = Vector256<float>.Count;
        if (k % n != 0 || k > 8 * n)
        {
            for (int r = 0; r < rows; r++) TP.Add(s, m.Slice(r * k, k), s);
            return;
        }
        Span<Vector256<float>> acc = stackalloc Vector256<float>[k / n];
        acc.Clear();
        ref float m0 = ref MemoryMarshal.GetReference(m);
        for (int r = 0; r < rows; r++)
        {
            nuint off = (nuint)(r * k);
            for (int j = 0; j < acc.Length; j++) acc[j] += Vector256.LoadUnsafe(ref m0, off + (nuint)(j * n));
        }
        for (int j = 0; j < acc.Length; j++)
        {
            var dst = s.Slice(j * n, n);
            (Vector256.Create((ReadOnlySpan<float>)dst) + acc[j]).CopyTo(dst);
        }
    }

    /// <summary>Floats moved below which im2col/col2im stay on the calling thread (batch-1 acting never forks).</summary>
    public const int ParallelMinColFloats = 1 << 18;

    /// <summary>
    /// <see cref="Im2Col"/> split by images over <see cref="CpuThreads.Max"/> workers: with the GEMMs threaded, the
    /// single-threaded copies were the serial part of every conv at batch 32 (Amdahl).
    /// </summary>
    internal static unsafe void Im2ColParallel(Span<float> col, ReadOnlySpan<float> x, in Conv2dGeometry g, int b0, int nb)
    {
        int threads = Math.Min(CpuThreads.Max, nb);
        if (threads <= 1 || col.Length < ParallelMinColFloats)
        {
            Im2Col(col, x, g, b0, nb);
            return;
        }
        fixed (float* pc = col)
        fixed (float* px = x)
        {
            nint nc = (nint)pc, nx = (nint)px;
            int xLen = x.Length, perImage = g.OutPixels * g.PatchSize;
            var geo = g;
            CpuThreads.ForRanges(nb, threads, (lo, hi) =>
                Im2Col(new Span<float>((float*)nc + (long)lo * perImage, (hi - lo) * perImage),
                       new ReadOnlySpan<float>((float*)nx, xLen), geo, b0 + lo, hi - lo));
        }
    }

    /// <summary><see cref="Col2Im"/> split by images (each image's dx region is written by one worker only).</summary>
    internal static unsafe void Col2ImParallel(Span<float> dx, ReadOnlySpan<float> col, in Conv2dGeometry g, int b0, int nb)
    {
        int threads = Math.Min(CpuThreads.Max, nb);
        if (threads <= 1 || col.Length < ParallelMinColFloats)
        {
            Col2Im(dx, col, g, b0, nb);
            return;
        }
        fixed (float* pc = col)
        fixed (float* pd = dx)
        {
            nint nc = (nint)pc, nd = (nint)pd;
            int dLen = dx.Length, perImage = g.OutPixels * g.PatchSize;
            var geo = g;
            CpuThreads.ForRanges(nb, threads, (lo, hi) =>
                Col2Im(new Span<float>((float*)nd, dLen),
                       new ReadOnlySpan<float>((float*)nc + (long)lo * perImage, (hi - lo) * perImage), geo, b0 + lo, hi - lo));
        }
    }

    // Im2col/col2im move runs of KW·C floats (32 for Nature conv 1, 48 for IMPALA's 16-channel convs), hundreds of
    // thousands per step: a Memmove or TensorPrimitives call per run cost more than the copy, so short runs are
    // moved with inline vector code.
    private const int ShortRun = 256;

    private static void CopyRun(ReadOnlySpan<float> src, Span<float> dst)
    {
        int n = src.Length;
        if (n > ShortRun || !Vector256.IsHardwareAccelerated)
        {
            src.CopyTo(dst);
            return;
        }
        ref float s0 = ref MemoryMarshal.GetReference(src);
        ref float d0 = ref MemoryMarshal.GetReference(dst);
        int i = 0;
        for (; i <= n - 8; i += 8) Vector256.LoadUnsafe(ref s0, (nuint)i).StoreUnsafe(ref d0, (nuint)i);
        for (; i < n; i++) dst[i] = src[i];
    }

    private static void AddRun(Span<float> dst, ReadOnlySpan<float> src)
    {
        int n = src.Length;
        if (n > ShortRun || !Vector256.IsHardwareAccelerated)
        {
            TP.Add(dst, src, dst);
            return;
        }
        ref float s0 = ref MemoryMarshal.GetReference(src);
        ref float d0 = ref MemoryMarshal.GetReference(dst);
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            (Vector256.LoadUnsafe(ref d0, (nuint)i) + Vector256.LoadUnsafe(ref s0, (nuint)i)).StoreUnsafe(ref d0, (nuint)i);
        }
        for (; i < n; i++) dst[i] += src[i];
    }

    /// <summary>
    /// col [nb·P, KK] ← the receptive fields of images b0..b0+nb of x; padded positions are zero. Each (kh, kw)
    /// tap copies C contiguous floats (NHWC keeps a pixel's channels together).
    /// </summary>
    internal static void Im2Col(Span<float> col, ReadOnlySpan<float> x, in Conv2dGeometry g, int b0, int nb)
    {
        int c = g.C, kk = g.PatchSize, rowLen = g.W * c, img = g.H * rowLen;
        int r = 0;
        for (int b = b0; b < b0 + nb; b++)
        {
            var xb = x.Slice(b * img, img);
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++, r++)
                {
                    var dst = col.Slice(r * kk, kk);
                    int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = ih0 + kh;
                        var tapRow = dst.Slice(kh * g.KW * c, g.KW * c);
                        if ((uint)ih >= (uint)g.H)
                        {
                            tapRow.Clear();
                            continue;
                        }
                        // Copy the in-range run of taps in one block; zero the padded taps on either side.
                        int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.W - iw0);
                        if (kwLo == 0 && kwHi == g.KW)
                        {
                            // Interior pixel (every pixel of a VALID conv): one straight copy, no clears.
                            CopyRun(xb.Slice(ih * rowLen + iw0 * c, g.KW * c), tapRow);
                            continue;
                        }
                        if (kwLo >= kwHi)
                        {
                            tapRow.Clear();
                            continue;
                        }
                        tapRow[..(kwLo * c)].Clear();
                        CopyRun(xb.Slice(ih * rowLen + (iw0 + kwLo) * c, (kwHi - kwLo) * c), tapRow[(kwLo * c)..]);
                        tapRow[(kwHi * c)..].Clear();
                    }
                }
            }
        }
    }

    /// <summary>dx[images b0..b0+nb] += col2im(col [nb·P, KK]): the adjoint of <see cref="Im2Col"/>.</summary>
    internal static void Col2Im(Span<float> dx, ReadOnlySpan<float> col, in Conv2dGeometry g, int b0, int nb)
    {
        int c = g.C, kk = g.PatchSize, rowLen = g.W * c, img = g.H * rowLen;
        int r = 0;
        for (int b = b0; b < b0 + nb; b++)
        {
            var xb = dx.Slice(b * img, img);
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++, r++)
                {
                    var src = col.Slice(r * kk, kk);
                    int ih0 = oh * g.StrideH - g.PadTop, iw0 = ow * g.StrideW - g.PadLeft;
                    int kwLo = Math.Max(0, -iw0), kwHi = Math.Min(g.KW, g.W - iw0);
                    if (kwLo >= kwHi) continue;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = ih0 + kh;
                        if ((uint)ih >= (uint)g.H) continue;
                        int len = (kwHi - kwLo) * c;
                        var d = xb.Slice(ih * rowLen + (iw0 + kwLo) * c, len);
                        AddRun(d, src.Slice((kh * g.KW + kwLo) * c, len));
                    }
                }
            }
        }
    }

    /// <summary>Reference forward: the direct 7-deep loop, float accumulation in (kh, kw, c) order.</summary>
    public static void ForwardNaive(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
                                    ReadOnlySpan<float> bias, in Conv2dGeometry g)
    {
        int k = g.Cout;
        for (int b = 0; b < g.Batch; b++)
        for (int oh = 0; oh < g.OH; oh++)
        for (int ow = 0; ow < g.OW; ow++)
        for (int o = 0; o < k; o++)
        {
            float s = bias.IsEmpty ? 0f : bias[o];
            for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
            {
                int ih = oh * g.StrideH - g.PadTop + kh, iw = ow * g.StrideW - g.PadLeft + kw;
                if ((uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) continue;
                for (int ci = 0; ci < g.C; ci++)
                {
                    s += x[((b * g.H + ih) * g.W + iw) * g.C + ci] * w[((kh * g.KW + kw) * g.C + ci) * k + o];
                }
            }
            y[((b * g.OH + oh) * g.OW + ow) * k + o] = s;
        }
    }

    /// <summary>Reference backward: dx += Σ dY·w and dw += Σ x·dY by the chain rule on the direct loop.</summary>
    public static void BackwardNaive(Span<float> dx, Span<float> dw, Span<float> dBias, ReadOnlySpan<float> dy,
                                     ReadOnlySpan<float> x, ReadOnlySpan<float> w, in Conv2dGeometry g)
    {
        int k = g.Cout;
        for (int b = 0; b < g.Batch; b++)
        for (int oh = 0; oh < g.OH; oh++)
        for (int ow = 0; ow < g.OW; ow++)
        for (int o = 0; o < k; o++)
        {
            float d = dy[((b * g.OH + oh) * g.OW + ow) * k + o];
            if (!dBias.IsEmpty) dBias[o] += d;
            for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
            {
                int ih = oh * g.StrideH - g.PadTop + kh, iw = ow * g.StrideW - g.PadLeft + kw;
                if ((uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) continue;
                for (int ci = 0; ci < g.C; ci++)
                {
                    int xi = ((b * g.H + ih) * g.W + iw) * g.C + ci, wi = ((kh * g.KW + kw) * g.C + ci) * k + o;
                    if (!dx.IsEmpty) dx[xi] += d * w[wi];
                    if (!dw.IsEmpty) dw[wi] += d * x[xi];
                }
            }
        }
    }
}
