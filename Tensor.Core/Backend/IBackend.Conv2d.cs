namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// y [B, OH, OW, Cout] = conv(x [B, H, W, C], w [KH, KW, C, Cout]) + bias [Cout] (bias optional), sizes and
    /// pads in <paramref name="g"/>. Overwrites y.
    /// </summary>
    void Conv2dForward(Tensor y, Tensor x, Tensor w, Tensor? bias, in Conv2dGeometry g);

    /// <summary>
    /// y = max(0, conv(x, w) + bias), i.e. <see cref="Conv2dForward"/> then ReLU (<see cref="UnaryOp.Relu"/>, same NaN
    /// rule). The default runs the two in turn, ReLU in place; a backend may fuse the ReLU into its output step.
    /// </summary>
    void Conv2dReluForward(Tensor y, Tensor x, Tensor w, Tensor? bias, in Conv2dGeometry g)
    {
        Conv2dForward(y, x, w, bias, g);
        Unary(UnaryOp.Relu, 0f, y, y);
    }

    /// <summary>dx [B, H, W, C] += the input gradient of the convolution for dY [B, OH, OW, Cout] and w.</summary>
    void Conv2dBackwardInput(Tensor dx, Tensor dy, Tensor w, in Conv2dGeometry g);

    /// <summary>
    /// dw [KH, KW, C, Cout] += Σ patches(x)ᵀ·dY and dBias [Cout] += Σ_{B,OH,OW} dY; a null gradient is skipped.
    /// </summary>
    void Conv2dBackwardWeight(Tensor? dw, Tensor? dBias, Tensor dy, Tensor x, in Conv2dGeometry g);
}
