using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Matrix product of the last two dimensions: a [..., M, K] · b [..., K, N] → [..., M, N]. With
    /// <paramref name="transA"/>/<paramref name="transB"/> the stored operand is read transposed without a copy
    /// (a stored [..., K, M], b stored [..., N, K]). Leading (batch) dimensions must be equal, or one operand is
    /// 2-D and shared across the batch.
    /// </summary>
    /// <remarks>dA = dY · Bᵀ; dB = Aᵀ · dY (each in the stored orientation, summed over the batch when shared).</remarks>
    /// <exception cref="ArgumentException">Ranks below 2, inner dimensions differ, or batch dimensions differ.</exception>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        ThrowHelper.SameBackend("MatMul", a, b);
        if (a.Rank < 2 || b.Rank < 2)
        {
            ThrowHelper.Argument($"MatMul: both operands need rank >= 2, a is {a.Shape} and b is {b.Shape}.");
        }
        int m = transA ? a.Shape[-1] : a.Shape[-2];
        int ka = transA ? a.Shape[-2] : a.Shape[-1];
        int kb = transB ? b.Shape[-1] : b.Shape[-2];
        int n = transB ? b.Shape[-2] : b.Shape[-1];
        if (ka != kb)
        {
            ThrowHelper.Argument($"MatMul: inner dimensions differ, a is {a.Shape}{(transA ? "ᵀ" : "")} and " +
                                 $"b is {b.Shape}{(transB ? "ᵀ" : "")} ({ka} vs {kb}).");
        }
        var batchA = a.Shape.Dims[..^2];
        var batchB = b.Shape.Dims[..^2];
        if (a.Rank > 2 && b.Rank > 2 && !batchA.SequenceEqual(batchB))
        {
            ThrowHelper.Argument($"MatMul: batch dimensions differ, a is {a.Shape} and b is {b.Shape}.");
        }
        var batchDims = (a.Rank >= b.Rank ? batchA : batchB).ToArray();
        int ba = Product(batchA), bb = Product(batchB), batch = Math.Max(ba, bb);
        var outShape = Shape.Wrap([.. batchDims, m, n]);
        var y = NewLike(a, outShape);
        a.Backend.MatMul(y, a, transA, b, transB, ba, bb, batch, m, n, ka, accumulate: false);

        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, "matmul", [a, b], g =>
            {
                if (a.RequiresGrad)
                {
                    // Stored A [M,K]: dA = dY·opB(B)ᵀ. Stored Aᵀ [K,M]: dAᵀ = opB(B)·dYᵀ.
                    // Written, not accumulated: skips zero-filling a buffer the GEMM overwrites (a broadcast
                    // operand, batch > 1 into batchC = 1, still sums over the batch inside Batched; an empty batch writes
                    // nothing, so it keeps the zeros).
                    var da = batch == 0 ? Tensor.Zeros(a.Shape, a.Backend) : Tensor.Empty(a.Shape, a.Backend);
                    if (!transA) a.Backend.MatMul(da, g, false, b, !transB, batch, bb, ba, m, ka, n, accumulate: false);
                    else a.Backend.MatMul(da, b, transB, g, true, bb, batch, ba, ka, m, n, accumulate: false);
                    a.AccumulateGrad(da);
                }
                if (b.RequiresGrad)
                {
                    // Stored B [K,N]: dB = opA(A)ᵀ·dY. Stored Bᵀ [N,K]: dBᵀ = dYᵀ·opA(A). A weight (leaf) gets
                    // the product added straight into its Grad.
                    // A gradient that is logically zero (after ZeroGrad) is overwritten, not cleared and then added
                    // to; an empty batch writes nothing, so it takes the zero-filling path.
                    bool overwrite = false;
                    var leaf = batch == 0 ? b.LeafGradTarget() : b.LeafGradTarget(out overwrite);
                    var db = leaf ?? (batch == 0 ? Tensor.Zeros(b.Shape, b.Backend) : Tensor.Empty(b.Shape, b.Backend));
                    bool acc = leaf is not null && !overwrite;
                    if (!transB) b.Backend.MatMul(db, a, !transA, g, false, ba, batch, bb, ka, n, m, accumulate: acc);
                    else b.Backend.MatMul(db, g, true, a, transA, batch, ba, bb, n, ka, m, accumulate: acc);
                    if (leaf is null) b.AccumulateGrad(db);
                }
            });
        }
        return y;
    }

    private static int Product(ReadOnlySpan<int> dims)
    {
        int p = 1;
        foreach (int d in dims) p *= d;
        return p;
    }
}
