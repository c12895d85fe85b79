namespace MoeScratch.Tensors.Cpu.Kernels;

/// <summary>
/// Splits a contiguous element-wise kernel across <see cref="CpuThreads.Max"/> workers by index range: each worker
/// runs the same kernel on its slices of the output and of every same-length operand.
/// </summary>
/// <remarks>
/// Why: ReLU, residual adds and their gradients over IMPALA's activations (0.9–3.6 M floats per call, dozens per
/// training step) are bound by one core's share of memory bandwidth; two cores stream about twice as much. Element-wise
/// work gives the same bits whatever the split. Below <see cref="ParallelMinElements"/> (and at batch-1 acting sizes)
/// the kernel runs on the calling thread.
/// </remarks>
internal static unsafe class ElementwiseSplit
{
    /// <summary>Elements from which the work is split (~1 MB of floats, ~50 µs on one core).</summary>
    public const int ParallelMinElements = 1 << 18;

    /// <summary>A kernel over one range: the output slice and the operands' slices (empty where unused).</summary>
    public delegate void Body(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c);

    /// <summary>
    /// body(y, a, b, c) over ranges of y; an operand whose length differs from y's (e.g. empty) is passed as empty.
    /// </summary>
    public static void Run(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
                           Body body)
    {
        int n = y.Length;
        int threads = n >= ParallelMinElements ? Math.Min(CpuThreads.Max, n / (ParallelMinElements / 2)) : 1;
        if (threads <= 1)
        {
            body(y, a, b, c);
            return;
        }
        bool hasA = a.Length == n, hasB = b.Length == n, hasC = c.Length == n;
        int blocks = (n + 15) / 16; // whole vectors per worker
        fixed (float* py = y, pa = a, pb = b, pc = c)
        {
            nint ny = (nint)py, na = (nint)pa, nb = (nint)pb, nc = (nint)pc;
            CpuThreads.ForRanges(blocks, threads, (b0, b1) =>
            {
                int lo = b0 * 16, len = Math.Min(n, b1 * 16) - lo;
                body(new Span<float>((float*)ny + lo, len),
                     hasA ? new ReadOnlySpan<float>((float*)na + lo, len) : default,
                     hasB ? new ReadOnlySpan<float>((float*)nb + lo, len) : default,
                     hasC ? new ReadOnlySpan<float>((float*)nc + lo, len) : default);
            });
        }
    }

    /// <summary>Bytes from which <see cref="BytesToFloat"/> is split: below a batch-1 Atari frame stack (28,224).</summary>
    public const int BytesMinElements = 1 << 13;

    /// <summary>
    /// <see cref="ElementwiseKernels.BytesToFloat"/> in contiguous ranges, one per thread, from
    /// <see cref="BytesMinElements"/> bytes: far below the float ops' threshold because of who reads the result next.
    /// The first conv splits its image into the same halves (its tiles by rows, caller first), so each core converts
    /// the rows it is about to read and finds them in its own cache. Converted on the calling thread alone, the other
    /// core fetched its half of the 113 KB from the caller's cache on every batch-1 act: when the host placed the two
    /// vCPUs far apart (phases of the shared machine), that took the upload from 0.002 to 0.010 ms and the first conv
    /// from 0.013 to 0.025 (profile forward --batch 1); split, 0.004 and 0.015 in the same phase.
    /// </summary>
    public static void BytesToFloat(Span<float> y, ReadOnlySpan<byte> x, float scale)
    {
        int n = x.Length;
        int threads = n >= BytesMinElements ? Math.Min(CpuThreads.Max, n / (BytesMinElements / 2)) : 1;
        if (threads <= 1)
        {
            ElementwiseKernels.BytesToFloat(y, x, scale);
            return;
        }
        int blocks = (n + 31) / 32; // whole 32-byte vectors per thread
        fixed (float* py = y)
        fixed (byte* px = x)
        {
            nint ny = (nint)py, nx = (nint)px;
            CpuThreads.ForRanges(blocks, threads, (b0, b1) =>
            {
                int lo = b0 * 32, len = Math.Min(n, b1 * 32) - lo;
                ElementwiseKernels.BytesToFloat(new Span<float>((float*)ny + lo, len),
                                                new ReadOnlySpan<byte>((byte*)nx + lo, len), scale);
            });
        }
    }
}
