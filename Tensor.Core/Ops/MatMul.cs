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
        var (m, n, ka, ba, bb, batch, outShape) = ProductShapes("MatMul", a, b, transA, transB);
        var y = NewLike(a, outShape);
        a.Backend.MatMul(y, a, transA, b, transB, ba, bb, batch, m, n, ka, accumulate: false);

        if (GradMode.ShouldRecord(a, b))
        {
            Record(y, "matmul", [a, b], g => MatMulBackward(g, a, transA, b, transB, ba, bb, batch, m, n, ka));
        }
        return y;
    }

    /// <summary>
    /// A dense layer in one op: <c>relu?(a · b + bias)</c>, a [..., M, K] · b [..., K, N] with MatMul's batch rules
    /// (no transposes), bias [N] added to every row, or one row per product ([B, N] or any shape of B·N floats, B the
    /// batch). The CPU adds the bias and applies ReLU to each tile of the product as its GEMM finishes it, instead of
    /// two passes over the output (MinAtar's Soft MoE experts: the [4, 800, 512] hidden).
    /// </summary>
    /// <remarks>
    /// dz = [y &gt; 0]·dY (ReLU; else dY), dbias = Σ_rows dz (per product, or over all of them when shared) in one pass,
    /// then MatMul's rules on dz: dA = dz·Bᵀ, dB = Aᵀ·dz.
    /// </remarks>
    /// <exception cref="ArgumentException">Shapes as in <see cref="MatMul"/>, or a bias of neither N nor B·N floats.</exception>
    public static Tensor MatMulBias(Tensor a, Tensor b, Tensor bias, bool relu = false)
    {
        ThrowHelper.SameBackend("MatMulBias", a, bias);
        var (m, n, k, ba, bb, batch, outShape) = ProductShapes("MatMulBias", a, b, false, false);
        int bBias = BiasRows("MatMulBias", "the bias", bias, n, batch, a, b);
        var y = NewLike(a, outShape);
        if (batch > 0) a.Backend.MatMulBias(y, a, b, bias, ba, bb, bBias, m, n, k, relu);

        if (GradMode.ShouldRecord([a, b, bias]))
        {
            Record(y, relu ? "matmul_bias_relu" : "matmul_bias", [a, b, bias],
                   g => MatMulBiasBackward(g, y, a, b, bias, relu, ba, bb, bBias, batch, m, n, k));
        }
        return y;
    }

    /// <summary>
    /// The gradients of y = relu?(a·b + bias) from dY = <paramref name="g"/> (MatMulBias, and each layer of
    /// <see cref="Mlp"/>): dz = [y &gt; 0]·dY (ReLU; else dY) and dbias in one pass, then dA = dz·Bᵀ, dB = Aᵀ·dz for
    /// the operands that require them.
    /// </summary>
    private static void MatMulBiasBackward(Tensor g, Tensor y, Tensor a, Tensor b, Tensor bias, bool relu, int ba, int bb,
                                           int bBias, int batch, int m, int n, int k)
    {
        var dz = relu ? Tensor.Empty(y.Shape, y.Backend) : g;
        Tensor? db = null, leaf = null;
        bool accumulate = false;
        if (bias.RequiresGrad)
        {
            // A leaf bias takes its sums straight into its Grad (written when logically zero).
            leaf = bias.LeafGradTarget(out bool overwrite);
            db = leaf ?? Tensor.Empty(bias.Shape, bias.Backend);
            accumulate = leaf is not null && !overwrite;
        }
        if (relu || db is not null)
        {
            y.Backend.MatMulBiasBackward(relu ? dz : null, db, g, y, batch, bBias, m, n, relu, accumulate);
        }
        if (db is not null && leaf is null) bias.AccumulateGrad(db);
        MatMulBackward(dz, a, false, b, false, ba, bb, batch, m, n, k);
    }

    /// <summary>
    /// The sizes of op(a) · op(b) under MatMul's batch rules, checked: M, N, K, the batch counts of a and b, their
    /// maximum B and the output shape [batch…, M, N].
    /// </summary>
    private static (int M, int N, int K, int BatchA, int BatchB, int Batch, Shape Out) ProductShapes(
        string op, Tensor a, Tensor b, bool transA, bool transB)
    {
        ThrowHelper.SameBackend(op, a, b);
        if (a.Rank < 2 || b.Rank < 2)
        {
            ThrowHelper.Argument($"{op}: both operands need rank >= 2, a is {a.Shape} and b is {b.Shape}.");
        }
        int m = transA ? a.Shape[-1] : a.Shape[-2];
        int ka = transA ? a.Shape[-2] : a.Shape[-1];
        int kb = transB ? b.Shape[-1] : b.Shape[-2];
        int n = transB ? b.Shape[-2] : b.Shape[-1];
        if (ka != kb)
        {
            ThrowHelper.Argument($"{op}: inner dimensions differ, a is {a.Shape}{(transA ? "ᵀ" : "")} and " +
                                 $"b is {b.Shape}{(transB ? "ᵀ" : "")} ({ka} vs {kb}).");
        }
        var batchA = a.Shape.Dims[..^2];
        var batchB = b.Shape.Dims[..^2];
        if (a.Rank > 2 && b.Rank > 2 && !batchA.SequenceEqual(batchB))
        {
            ThrowHelper.Argument($"{op}: batch dimensions differ, a is {a.Shape} and b is {b.Shape}.");
        }
        var batchDims = (a.Rank >= b.Rank ? batchA : batchB).ToArray();
        int ba = Product(batchA), bb = Product(batchB);
        return (m, n, ka, ba, bb, Math.Max(ba, bb), Shape.Wrap([.. batchDims, m, n]));
    }

    /// <summary>dA and dB of y = op(a) · op(b) from dY = <paramref name="g"/> (shared by MatMul and MatMulBias).</summary>
    private static void MatMulBackward(Tensor g, Tensor a, bool transA, Tensor b, bool transB, int ba, int bb,
                                       int batch, int m, int n, int ka)
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
    }

    private static int Product(ReadOnlySpan<int> dims)
    {
        int p = 1;
        foreach (int d in dims) p *= d;
        return p;
    }
}
