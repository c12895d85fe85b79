namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// y [B, OH, OW, C] = max of x [B, H, W, C] over each KH×KW window (padding acts as −∞); argmax (same shape
    /// as y) receives the winning input pixel ih·W + iw within its image as a float, −1 for an empty window.
    /// Ties go to the first maximum in row-major window order. argmax is null when no backward will read it (the op
    /// under NoGrad): then only y is computed.
    /// </summary>
    void MaxPool2dForward(Tensor y, Tensor? argmax, Tensor x, in Conv2dGeometry g);

    /// <summary>dx [B, H, W, C] += dY routed to the pixels recorded in argmax.</summary>
    void MaxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax, in Conv2dGeometry g);

    /// <summary>
    /// y [B, OH, OW, C] = window sums of x divided by KH·KW (<paramref name="countIncludePad"/>) or by the number
    /// of input pixels in the window.
    /// </summary>
    void AvgPool2dForward(Tensor y, Tensor x, in Conv2dGeometry g, bool countIncludePad);

    /// <summary>dx [B, H, W, C] += dY spread evenly (same divisor as the forward) over each window.</summary>
    void AvgPool2dBackward(Tensor dx, Tensor dy, in Conv2dGeometry g, bool countIncludePad);
}
