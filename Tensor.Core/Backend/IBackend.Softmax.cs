namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Max-subtracted softmax (or log-softmax when <paramref name="log"/>) along the middle axis of x viewed as
    /// [outer, n, inner]; y has x's shape.
    /// </summary>
    void Softmax(Tensor y, Tensor x, int outer, int n, int inner, bool log);

    /// <summary>
    /// Accumulates the input gradient from the saved output y, viewed as [outer, n, inner]:
    /// softmax <c>dx += y ⊙ (dy − Σₙ dy ⊙ y)</c>; log-softmax <c>dx += dy − exp(y) · Σₙ dy</c>.
    /// </summary>
    void SoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int outer, int n, int inner, bool log);

    /// <summary>
    /// <see cref="SoftmaxBackward"/> overwriting dx instead of adding to it: a fresh gradient buffer needs no zero-filling
    /// first. The default clears dx and accumulates; the CPU writes it directly.
    /// </summary>
    void SoftmaxBackwardInto(Tensor dx, Tensor dy, Tensor y, int outer, int n, int inner, bool log)
    {
        Fill(dx, 0f);
        SoftmaxBackward(dx, dy, y, outer, n, inner, log);
    }

    /// <summary>
    /// Both softmaxes of x viewed as [batch, m, n] (<see cref="Ops.SoftmaxBothAxes"/>): yCols over m (each column
    /// normalized) and yRows over n (each row). The default runs <see cref="Softmax"/> twice; the CPU shares one exp
    /// per element between them where the block's range allows.
    /// </summary>
    void SoftmaxPair(Tensor yCols, Tensor yRows, Tensor x, int batch, int m, int n)
    {
        Softmax(yCols, x, batch, m, n, log: false);
        Softmax(yRows, x, batch * m, n, 1, log: false);
    }
}
