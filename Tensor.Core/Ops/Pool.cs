using MoeScratch.Tensors.Autograd;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Max pooling of NHWC images x [B, H, W, C] over <paramref name="window"/>×<paramref name="window"/> windows,
    /// giving [B, OH, OW, C]. Padded positions count as −∞ (flax <c>max_pool</c>, TensorFlow), so they never win.
    /// </summary>
    /// <param name="x">Input [B, H, W, C].</param>
    /// <param name="window">Window height and width.</param>
    /// <param name="stride">Stride along both spatial axes.</param>
    /// <param name="padding">Spatial padding (IMPALA-CNN uses 3×3, stride 2, <see cref="Padding.Same"/>).</param>
    /// <remarks>
    /// y = max over the window; dX[argmax] += dY. Ties go to the first maximum in row-major window order, so the
    /// whole gradient of a tied window flows to one element (PyTorch does the same; JAX's reduce_window gradient
    /// differs only on exact ties). NaN propagates.
    /// </remarks>
    /// <exception cref="ArgumentException">x is not rank 4, or bad window/stride/padding (see
    /// <see cref="Padding.Resolve"/>).</exception>
    public static Tensor MaxPool2d(Tensor x, int window, int stride, Padding padding)
    {
        var g = Conv2dGeometry.Create("MaxPool2d", x.Shape, window, window, x.Rank == 4 ? x.Shape[3] : 0,
                                      stride, stride, padding);
        var y = NewLike(x, g.OutputShape);
        if (!GradMode.ShouldRecord(x))
        {
            x.Backend.MaxPool2dForward(y, null, x, g); // only the backward reads argmax
            return y;
        }
        var argmax = NewLike(x, g.OutputShape);
        x.Backend.MaxPool2dForward(y, argmax, x, g);
        Record(y, "maxpool2d", [x], dy =>
        {
            var dx = Tensor.Zeros(x.Shape, x.Backend);
            x.Backend.MaxPool2dBackward(dx, dy, argmax, g);
            x.AccumulateGrad(dx);
        });
        return y;
    }

    /// <summary>
    /// Average pooling of NHWC images x [B, H, W, C] over <paramref name="window"/>×<paramref name="window"/>
    /// windows, giving [B, OH, OW, C].
    /// </summary>
    /// <param name="x">Input [B, H, W, C].</param>
    /// <param name="window">Window height and width.</param>
    /// <param name="stride">Stride along both spatial axes.</param>
    /// <param name="padding">Spatial padding.</param>
    /// <param name="countIncludePad">Divide by window² even where the window overlaps padding (zeros), as flax
    /// <c>avg_pool</c> and PyTorch do by default; false divides by the number of input pixels in the window.</param>
    /// <remarks>y = Σ_window x / n; dX += dY / n over each window (n as chosen above).</remarks>
    /// <exception cref="ArgumentException">x is not rank 4, or bad window/stride/padding.</exception>
    public static Tensor AvgPool2d(Tensor x, int window, int stride, Padding padding, bool countIncludePad = true)
    {
        var g = Conv2dGeometry.Create("AvgPool2d", x.Shape, window, window, x.Rank == 4 ? x.Shape[3] : 0,
                                      stride, stride, padding);
        var y = NewLike(x, g.OutputShape);
        x.Backend.AvgPool2dForward(y, x, g, countIncludePad);
        if (GradMode.ShouldRecord(x))
        {
            Record(y, "avgpool2d", [x], dy =>
            {
                var dx = Tensor.Zeros(x.Shape, x.Backend);
                x.Backend.AvgPool2dBackward(dx, dy, g, countIncludePad);
                x.AccumulateGrad(dx);
            });
        }
        return y;
    }
}
