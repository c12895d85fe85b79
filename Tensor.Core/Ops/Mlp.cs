using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// A two-layer MLP in one op: <c>relu(x · w1 + b1) · w2 + b2</c>, x [..., M, K], w1 [..., K, H], w2 [..., H, N] with
    /// MatMul's batch rules (x and the weights each batched or shared; w1 and w2 alike), b1 of H or B·H floats, b2 of
    /// N or B·N (shared, or one row per product). The hidden layer is not kept: on the CPU the forward and the backward
    /// make and consume it in blocks of rows that stay in cache, which pays where it is large and the products are thin
    /// (a Soft MoE's experts: depth 16 on both sides of a 512-wide hidden).
    /// </summary>
    /// <remarks>
    /// Backward (one backend call, <c>IBackend.MlpBackward</c>): the hidden a = relu(x·w1 + b1) is recomputed; then the
    /// second layer's rules (db2 = Σ_rows dY, dW2 = aᵀ·dY, da = dY·w2ᵀ) and the first's (dz = [a &gt; 0]·da,
    /// db1 = Σ_rows dz, dW1 = xᵀ·dz, dX = dz·w1ᵀ), each as <see cref="MatMulBias"/>'s.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// Shapes as in <see cref="MatMul"/> for x·w1, w2 not [..., H, N] with w1's batch, or a bias of the wrong size.
    /// </exception>
    public static Tensor Mlp(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        ThrowHelper.SameBackend("Mlp", x, b1);
        ThrowHelper.SameBackend("Mlp", w2, b2);
        ThrowHelper.SameBackend("Mlp", x, w2);
        var (m, h, k, bx, bw, batch, hiddenShape) = ProductShapes("Mlp", x, w1, false, false);
        if (w2.Rank != w1.Rank || w2.Shape[-2] != h || !w2.Shape.Dims[..^2].SequenceEqual(w1.Shape.Dims[..^2]))
        {
            ThrowHelper.Argument($"Mlp: w2 {w2.Shape} must be [..., H = {h}, N] with w1's batch dimensions " +
                                 $"(w1 is {w1.Shape}).");
        }
        int n = w2.Shape[-1];
        int bb1 = BiasRows("Mlp", "b1", b1, h, batch, x, w1, w2), bb2 = BiasRows("Mlp", "b2", b2, n, batch, x, w1, w2);
        var outShape = Shape.Wrap([.. hiddenShape.Dims[..^1], n]);
        var y = NewLike(x, outShape);
        if (batch > 0) x.Backend.Mlp(y, x, w1, b1, w2, b2, bx, bw, bb1, bb2, m, k, h, n);

        if (GradMode.ShouldRecord([x, w1, b1, w2, b2]))
        {
            Record(y, "mlp", [x, w1, b1, w2, b2], g =>
            {
                // A leaf whose gradient is logically zero takes its gradient straight from the kernel, which writes
                // every element; anything else gets a fresh buffer that is then added in.
                var direct = new bool[5];
                Tensor? Target(Tensor t, int i)
                {
                    if (!t.RequiresGrad) return null;
                    if (batch == 0) return Tensor.Zeros(t.Shape, t.Backend);
                    if (t.LeafGradTarget(out bool overwrite) is { } leaf && overwrite)
                    {
                        direct[i] = true;
                        return leaf;
                    }
                    return Tensor.Empty(t.Shape, t.Backend);
                }
                Tensor[] inputs = [x, w1, b1, w2, b2];
                var grads = new Tensor?[5];
                for (int i = 0; i < 5; i++) grads[i] = Target(inputs[i], i);
                if (batch > 0)
                {
                    x.Backend.MlpBackward(grads[0], grads[1], grads[2], grads[3], grads[4], g, x, w1, b1, w2, bx, bw, bb1,
                                          bb2, m, k, h, n);
                }
                for (int i = 0; i < 5; i++)
                {
                    if (grads[i] is { } d && !direct[i]) inputs[i].AccumulateGrad(d);
                }
            });
        }
        return y;
    }

    /// <summary>
    /// Rows of a bias added to every row of a batch of products (MatMulBias, each layer of <see cref="Mlp"/>): 1 when it
    /// holds N floats (shared), the batch when it holds B·N (one row per product); anything else is an error naming
    /// the product's operands (formatted only then: this runs on every dense layer's forward).
    /// </summary>
    private static int BiasRows(string op, string name, Tensor bias, int n, int batch, Tensor a, Tensor b, Tensor? c = null)
    {
        if (bias.Count != n && bias.Count != batch * n)
        {
            string product = c is null ? $"a {a.Shape} · b {b.Shape}" : $"{a.Shape} · {b.Shape} · {c.Shape}";
            ThrowHelper.Argument($"{op}: {name} {bias.Shape} must hold N = {n} floats (shared) or B·N = {batch * n} " +
                                 $"(one row per product) for {product}.");
        }
        return bias.Count == n ? 1 : batch;
    }
}
