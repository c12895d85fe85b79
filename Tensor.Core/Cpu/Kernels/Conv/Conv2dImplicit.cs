using TP = System.Numerics.Tensors.TensorPrimitives;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Implicit-GEMM convolution forward: y = im2col(x) · w with the im2col rows read straight out of x, for unpadded
/// convolutions with up to 1,024 taps and 64 output channels (all three Nature-DQN convs: 256, 512, 576 taps).
/// </summary>
/// <remarks>
/// <para>Glossary as in <see cref="Conv2dKernels"/>: B, H×W, C, KH×KW, K = Cout, OH×OW, P = OH·OW, KK = KH·KW·C,
/// M = B·P. Buffers: x [B, H, W, C], w [KK, K], y [M, K] (NHWC rows are output pixels).</para>
/// <para>Why: an im2col row of a VALID conv is KH runs of KW·C contiguous floats of x, one per kernel row, W·C
/// floats apart. The tile kernel walks those runs itself, so the im2col matrix (3.3 M floats, 13 MB at batch 32)
/// is never written or read back; 6 consecutive output pixels overlap by (KW − stride)·C floats per run and share
/// cache lines. Same micro-tile as the GEMM's unpacked-A path (<see cref="GemmMicroKernel.Kernel6x16Runs"/>,
/// <see cref="GemmMicroKernel.Kernel6x16RowA"/>); the whole patch is summed in one pass (no depth blocks), so for
/// KK ≤ <see cref="GemmDriver.KC"/> results match the im2col path bit for bit with the 256-bit kernels (by rounding
/// with the 512-bit ones, which split the depth differently) and above it they differ by rounding only. w is read in
/// place too: with K ≤ 64 a panel's 16 columns are one cache line per tap, n floats apart, and the whole filter
/// (≤ 147 KiB) stays in L2. Packing it per call (each thread its own copy) cost batch-1 acting more than the convs'
/// arithmetic: profile forward --batch 1, Nature conv 2 0.020–0.021 → 0.018 ms, conv 3 0.015–0.016 → 0.011–0.013.
/// Measured earlier with the packed panel: Nature conv 2 0.705 ms at batch 32 for the whole conv against 0.723 ms for
/// the blocked GEMM on the im2col matrix alone.</para>
/// <para>Threads: the M rows are split in two halves of whole 6-row tiles (each thread packs the small w itself).</para>
/// </remarks>
internal static unsafe class Conv2dImplicit
{
    private const int MR = GemmMicroKernel.MR;
    private const int NR = GemmMicroKernel.NR;

    /// <summary>
    /// Unpadded, at most 4·<see cref="GemmDriver.KC"/> taps (the tile sums KK in one pass, B panel within L2), Cout
    /// whole 16-wide panels and at most <see cref="GemmDriver.DirectAMaxN"/> (few panels re-read each A row from L1).
    /// </summary>
    public static bool CanRun(in Conv2dGeometry g) =>
        GemmMicroKernel.IsSupported && g.PadTop == 0 && g.PadBottom == 0 && g.PadLeft == 0 && g.PadRight == 0 &&
        g.PatchSize <= 4 * GemmDriver.KC && g.Cout % NR == 0 && g.Cout <= GemmDriver.DirectAMaxN &&
        g.KH * g.KW > 1;

    /// <summary>
    /// y [M, K] = im2col(x) · w [KK, K] + bias [K] (overwritten; bias may be empty), or y += im2col(x) · w with
    /// <paramref name="accumulate"/> (no bias, no ReLU). Requires <see cref="CanRun"/>.
    /// </summary>
    /// <remarks>
    /// The bias is the tile epilogue: each tile's rows are set to the bias just before the kernel adds its sums into
    /// them (addC), so y is not streamed through a second time; bias + Σ equals the old Σ + bias bit for bit. With
    /// <paramref name="relu"/>, y = max(0, ·) is applied to every few finished tiles while they are still in L1 (the
    /// same TensorPrimitives.Max as the ReLU op, so NaN behaves alike).
    /// </remarks>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
                               in Conv2dGeometry g, bool relu = false, bool accumulate = false)
    {
        if (accumulate && (relu || !bias.IsEmpty))
            throw new ArgumentException("Conv2dImplicit.Forward: accumulate adds the bare convolution (no bias or ReLU).");
        int m = g.Batch * g.OutPixels, tiles = (m + MR - 1) / MR;
        int threads = g.ForwardFlops >= GemmDriver.ParallelMinFlops ? Math.Min(CpuThreads.Max, tiles) : 1;
        fixed (float* px = x, pw = w, py = y, pbias = bias)
        {
            nint nx = (nint)px, nw = (nint)pw, ny = (nint)py, nbias = bias.IsEmpty ? 0 : (nint)pbias;
            var geo = g;
            CpuThreads.ForRanges(tiles, threads,
                      (lo, hi) => Rows((float*)ny, (float*)nx, (float*)nw, (float*)nbias, relu, accumulate, geo, lo, hi));
        }
    }

    /// <summary>All rows of y on the calling thread (the caller splits the work, e.g. by images).</summary>
    internal static void Serial(float* y, float* x, float* w, float* bias, bool relu, bool accumulate,
                                in Conv2dGeometry g) =>
        Rows(y, x, w, bias, relu, accumulate, g, 0, (g.Batch * g.OutPixels + MR - 1) / MR);

    /// <summary>
    /// Row tiles [t0, t1) of y: every tile reads its six rows from x and w in place (no packing). bias: null for none.
    /// </summary>
    private static void Rows(float* y, float* x, float* w, float* bias, bool relu, bool accumulate, in Conv2dGeometry g,
                             int t0, int t1)
    {
        int kk = g.PatchSize, n = g.Cout, m = g.Batch * g.OutPixels;
        int segLen = g.KW * g.C, rowLen = g.W * g.C;
        float** rows = stackalloc float*[MR];
        var cursor = new PixelCursor(x, g, t0 * MR);
        for (int t = t0; t < t1; t++)
        {
            int r0 = t * MR, mr = Math.Min(MR, m - r0);
            // ReLU epilogue over the tiles finished since the last one (one TensorPrimitives call per ReluTiles).
            if (relu && t > t0 && (t - t0) % ReluTiles == 0) Relu(y, n, (t - ReluTiles) * MR, r0);
            for (int i = 0; i < mr; i++) rows[i] = cursor.Next();
            for (int i = mr; i < MR; i++) rows[i] = rows[0]; // a short last tile repeats row 0 (results dropped)
            float* c = y + (long)r0 * n;
            bool addC = bias is not null || accumulate;
            if (bias is not null)
            {
                var biasRow = new ReadOnlySpan<float>(bias, n);
                for (int i = 0; i < mr; i++) biasRow.CopyTo(new Span<float>(c + (long)i * n, n));
            }
            // w [KK, K] is read in place: a panel's 16 columns at each tap are contiguous, n floats apart.
            GemmMicroKernel.RunsRows(rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], g.KH, segLen, rowLen, 1, w, n, n,
                                     c, n, mr, addC);
        }
        if (relu && t1 > t0) Relu(y, n, (t0 + (t1 - t0 - 1) / ReluTiles * ReluTiles) * MR, Math.Min(m, t1 * MR));
    }

    /// <summary>Tiles per ReLU epilogue call: 8 tiles of 6 rows are 6–12 KiB at 32–64 channels, still in L1.</summary>
    private const int ReluTiles = 8;

    /// <summary>Rows [r0, r1) of y [M, n] ← max(0, ·).</summary>
    private static void Relu(float* y, int n, int r0, int r1)
    {
        var rows = new Span<float>(y + (long)r0 * n, (r1 - r0) * n);
        TP.Max(rows, 0f, rows);
    }

    /// <summary>
    /// Walks the patch origins (<see cref="RowOrigin"/>) of consecutive output rows with additions only: the two
    /// integer divisions per row cost about a third of a 6×16 tile's FMAs at IMPALA's 144-tap, 16-channel convs.
    /// </summary>
    internal struct PixelCursor
    {
        private readonly float* _x;
        private readonly long _image, _stepW, _stepRow;
        private readonly int _ow, _oh;
        private float* _origin;
        private int _j, _i, _b;

        /// <summary>Positioned at output row <paramref name="r"/> (its origin is the first <see cref="Next"/>).</summary>
        public PixelCursor(float* x, in Conv2dGeometry g, int r)
        {
            _x = x;
            _ow = g.OW;
            _oh = g.OH;
            _image = (long)g.H * g.W * g.C;
            _stepW = (long)g.StrideW * g.C;
            _stepRow = (long)g.StrideH * g.W * g.C - g.OW * _stepW;
            _b = r / g.OutPixels;
            int pix = r - _b * g.OutPixels;
            _i = pix / g.OW;
            _j = pix - _i * g.OW;
            _origin = RowOrigin(x, g, r);
        }

        /// <summary>The current row's origin; then moves to the next output row.</summary>
        public float* Next()
        {
            float* o = _origin;
            _origin += _stepW;
            if (++_j == _ow)
            {
                _j = 0;
                _origin += _stepRow;
                if (++_i == _oh)
                {
                    _i = 0;
                    _origin = _x + ++_b * _image;
                }
            }
            return o;
        }
    }

    /// <summary>
    /// Address of x[b, oh·sh, ow·sw, 0] for output row r = (b·OH + oh)·OW + ow: the tap (0, 0) of its patch.
    /// </summary>
    internal static float* RowOrigin(float* x, in Conv2dGeometry g, int r)
    {
        int b = r / g.OutPixels, pix = r - b * g.OutPixels, oh = pix / g.OW, ow = pix - oh * g.OW;
        return x + ((long)b * g.H * g.W + (long)oh * g.StrideH * g.W + (long)ow * g.StrideW) * g.C;
    }
}
