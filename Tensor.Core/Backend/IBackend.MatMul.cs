namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Batched matrix product <c>c[i] (+)= op(a[i]) · op(b[i])</c> on row-major matrices, op = transpose when the
    /// flag is set. a is [Ba, rows, cols], b is [Bb, rows, cols], c is [Bc, M, N], given as <paramref name="batchA"/>
    /// etc. Ba and Bb are 1 (shared) or B = max(Ba, Bb); Bc is B, or 1 to sum all B products into one matrix
    /// (the gradient of a shared weight). <paramref name="accumulate"/> adds into c instead of overwriting.
    /// </summary>
    void MatMul(Tensor c, Tensor a, bool transA, Tensor b, bool transB, int batchA, int batchB, int batchC,
                int m, int n, int k, bool accumulate);

    /// <summary>
    /// A dense layer's forward in one op (<see cref="Ops.MatMulBias"/>): <c>c[i] = a[i] · b[i] + bias</c>, then max(·, 0)
    /// when <paramref name="relu"/>. a is [Ba, m, k], b [Bb, k, n] (Ba, Bb as in <see cref="MatMul"/>), c [B, m, n], and
    /// bias [Bbias, n] adds the same row to every row of a product, Bbias = B (its own row per product) or 1 (shared).
    /// The default runs <see cref="MatMul"/>, then the bias add and ReLU as passes over c; the CPU applies them to each
    /// tile of c as its GEMM finishes it.
    /// </summary>
    void MatMulBias(Tensor c, Tensor a, Tensor b, Tensor bias, int batchA, int batchB, int batchBias, int m, int n, int k,
                    bool relu)
    {
        int batch = Math.Max(batchA, batchB);
        MatMul(c, a, false, b, false, batchA, batchB, batch, m, n, k, accumulate: false);
        using var rows = c.View(new Shape(batch, m, n));
        using var bias3 = bias.View(new Shape(batchBias, 1, n));
        Binary(BinaryOp.Add, rows, rows, bias3);
        if (relu) Unary(UnaryOp.Relu, 0f, c, c);
    }

    /// <summary>
    /// A two-layer MLP's forward in one op (<see cref="Ops.Mlp"/>): <c>y[i] = relu(x[i] · w1[i] + b1) · w2[i] + b2</c>.
    /// x is [Bx, m, k], w1 [Bw, k, h], w2 [Bw, h, n] (Bx, Bw: 1 = shared, or B = max(Bx, Bw)), y [B, m, n]; b1 holds
    /// [Bb1, h] and b2 [Bb2, n] floats, Bb = B (a row per product) or 1 (shared). The hidden layer is not returned.
    /// The default runs <see cref="MatMulBias"/> twice through a temporary [B, m, h] hidden; the CPU computes it in
    /// blocks of rows that stay in cache.
    /// </summary>
    void Mlp(Tensor y, Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2, int batchX, int batchW, int batchB1,
             int batchB2, int m, int k, int h, int n)
    {
        int batch = Math.Max(batchX, batchW);
        using var hidden = Tensor.Empty(new Shape(batch, m, h), this);
        MatMulBias(hidden, x, w1, b1, batchX, batchW, batchB1, m, h, k, relu: true);
        MatMulBias(y, hidden, w2, b2, batch, batchW, batchB2, m, n, h, relu: false);
    }

    /// <summary>
    /// The backward of <see cref="Mlp"/> (<see cref="Ops.Mlp"/>) from dy [B, m, n]: dx [Bx, m, k], dw1 [Bw, k, h],
    /// db1 [Bb1, h], dw2 [Bw, h, n] and db2 [Bb2, n], each written (a shared operand's over all products); a null one
    /// is not computed. The hidden relu(x·w1 + b1) is recomputed. The default runs <see cref="MatMulBias"/>,
    /// <see cref="MatMul"/> and <see cref="MatMulBiasBackward"/> through temporaries of [B, m, h]; the CPU works in
    /// blocks of rows that stay in cache.
    /// </summary>
    void MlpBackward(Tensor? dx, Tensor? dw1, Tensor? db1, Tensor? dw2, Tensor? db2, Tensor dy, Tensor x, Tensor w1,
                     Tensor b1, Tensor w2, int batchX, int batchW, int batchB1, int batchB2, int m, int k, int h, int n)
    {
        int batch = Math.Max(batchX, batchW);
        using var hidden = Tensor.Empty(new Shape(batch, m, h), this);
        MatMulBias(hidden, x, w1, b1, batchX, batchW, batchB1, m, h, k, relu: true);
        if (dw2 is not null) MatMul(dw2, hidden, true, dy, false, batch, batch, batchW, h, n, m, accumulate: false);
        if (db2 is not null) MatMulBiasBackward(null, db2, dy, dy, batch, batchB2, m, n, relu: false, accumulateBias: false);
        if (dx is null && dw1 is null && db1 is null) return;
        using var da = Tensor.Empty(new Shape(batch, m, h), this);
        MatMul(da, dy, false, w2, true, batch, batchW, batch, m, h, n, accumulate: false);
        using var dz = Tensor.Empty(new Shape(batch, m, h), this);
        MatMulBiasBackward(dz, db1, da, hidden, batch, batchB1, m, h, relu: true, accumulateBias: false);
        if (dw1 is not null) MatMul(dw1, x, true, dz, false, batchX, batch, batchW, k, h, m, accumulate: false);
        if (dx is not null) MatMul(dx, dz, false, w1, true, batch, batchW, batchX, m, k, h, accumulate: false);
    }

    /// <summary>
    /// The backward of <see cref="MatMulBias"/> before its products: with <paramref name="relu"/>, <c>dz = dy</c> where
    /// the output y &gt; 0 and 0 elsewhere (overwriting dz); then, when <paramref name="dbias"/> is given, the column sums
    /// of dz (of dy without ReLU) over the rows of each product ([Bbias, n]; over all products when Bbias = 1), added
    /// to dbias when <paramref name="accumulateBias"/>, else written. Shapes as <see cref="MatMulBias"/>, batch = B.
    /// </summary>
    void MatMulBiasBackward(Tensor? dz, Tensor? dbias, Tensor dy, Tensor y, int batch, int batchBias, int m, int n,
                            bool relu, bool accumulateBias)
    {
        if (relu) UnaryBackwardInto(UnaryOp.Relu, 0f, dz!, dy, y, y);
        if (dbias is null) return;
        using var rows = (relu ? dz! : dy).View(new Shape(batch, m, n));
        using var sums = Tensor.Empty(new Shape(batchBias, 1, n), this);
        Reduce(ReduceOp.Sum, sums, rows);
        using var target = dbias.View(sums.Shape);
        if (accumulateBias) Binary(BinaryOp.Add, target, target, sums);
        else Copy(target, sums);
    }
}
