namespace MoeScratch.Tensors;

/// <summary>
/// The dispatch table every device implements: the CPU backend in Tensor.Core and the ILGPU backend in
/// Tensor.Gpu. The ops layer (<see cref="Ops"/>) validates shapes, calls exactly one of these primitives and
/// registers the backward rule; composite ops (MSE, Huber, dueling, L2-normalize, logsumexp, …) are written
/// from primitives and need nothing here.
/// </summary>
/// <remarks>
/// <para>The primitives, grouped by the file that declares them:</para>
/// <list type="bullet">
/// <item>Memory (<c>IBackend.cs</c>): Allocate, Recycle, Upload, Download, UploadBytes, Fill, Copy.</item>
/// <item>Elementwise (<c>IBackend.Elementwise.cs</c>): Unary/UnaryBackward (an enum of scalar functions),
/// Binary with broadcasting, Where, BroadcastTo.</item>
/// <item>Reductions (<c>IBackend.Reduce.cs</c>): Reduce (sum, max, min) over any axes.</item>
/// <item>Softmax (<c>IBackend.Softmax.cs</c>): Softmax/SoftmaxBackward, plain or log, along any axis.</item>
/// <item>Top-k (<c>IBackend.TopK.cs</c>): TopK indices (ArgMax is k = 1; values are a Gather).</item>
/// <item>Movement (<c>IBackend.Movement.cs</c>): Permute, SliceCopy, SliceAdd (Concat/Stack reuse them).</item>
/// <item>Indexing (<c>IBackend.Indexing.cs</c>): Gather, ScatterAdd (IndexSelect and OneHot are composites).</item>
/// <item>Further families (matmul, conv2d, pooling, optimizers) each add a <c>partial</c> file of their own.</item>
/// </list>
/// <para>Argument order follows the kernels: outputs first, then saved statistics, then inputs, then sizes.
/// Backward primitives accumulate (+=) into the gradients they are given.</para>
/// </remarks>
public partial interface IBackend
{
    /// <summary>Human-readable name ("cpu", "cuda:0", …) used in error messages.</summary>
    string Name { get; }

    /// <summary>Returns a buffer of <paramref name="length"/> floats, zero-filled when asked.</summary>
    Storage Allocate(int length, bool zero);

    /// <summary>Takes back a buffer whose last tensor was disposed (it may be pooled).</summary>
    void Recycle(Storage storage);

    /// <summary>Copies host floats into a storage.</summary>
    void Upload(Storage dst, ReadOnlySpan<float> src);

    /// <summary>Copies a storage to host floats.</summary>
    void Download(Storage src, Span<float> dst);

    /// <summary>Converts bytes to floats as <c>dst[i] = src[i] * scale</c> (frames: scale = 1/255).</summary>
    void UploadBytes(Storage dst, ReadOnlySpan<byte> src, float scale);

    /// <summary>Sets every element of <paramref name="dst"/> to <paramref name="value"/>.</summary>
    void Fill(Tensor dst, float value);

    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> (equal element counts).</summary>
    void Copy(Tensor dst, Tensor src);
}
