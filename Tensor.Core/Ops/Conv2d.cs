using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

public static partial class Ops
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as in every DL framework) of NHWC images x [B, H, W, C] with HWIO
    /// weights w [KH, KW, C, Cout] and an optional bias [Cout], giving [B, OH, OW, Cout].
    /// </summary>
    /// <param name="x">Input [B, H, W, C].</param>
    /// <param name="w">Weights [KH, KW, C, Cout].</param>
    /// <param name="bias">Optional bias [Cout].</param>
    /// <param name="stride">Stride along both spatial axes.</param>
    /// <param name="padding">Spatial padding; null means <see cref="Padding.Valid"/> (PyTorch's default; flax's
    /// <c>nn.Conv</c>, used by the Dopamine networks, defaults to <see cref="Padding.Same"/>).</param>
    /// <remarks>
    /// y[b, i, j, o] = bias[o] + Σ_{kh, kw, c} x[b, i·sh − top + kh, j·sw − left + kw, c] · w[kh, kw, c, o], with
    /// x = 0 outside the image. dX = col2im(dY · Wᵀ); dW = im2col(x)ᵀ · dY; dBias = Σ_{B, OH, OW} dY.
    /// NaN in x or w propagates to every output whose window touches it.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// Wrong ranks, C of x differs from w's third dimension, bias length differs from Cout, different backends,
    /// or bad stride/padding/kernel sizes (see <see cref="Padding.Resolve"/>).
    /// </exception>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias = null, int stride = 1, Padding? padding = null) =>
        Conv2d(x, w, bias, stride, stride, padding);

    /// <summary>2-D convolution with separate vertical and horizontal strides (see the other overload).</summary>
    /// <param name="x">Input [B, H, W, C].</param>
    /// <param name="w">Weights [KH, KW, C, Cout].</param>
    /// <param name="bias">Optional bias [Cout].</param>
    /// <param name="strideH">Vertical stride.</param>
    /// <param name="strideW">Horizontal stride.</param>
    /// <param name="padding">Spatial padding; null means <see cref="Padding.Valid"/>.</param>
    /// <remarks>dX = col2im(dY · Wᵀ); dW = im2col(x)ᵀ · dY; dBias = Σ_{B, OH, OW} dY.</remarks>
    /// <exception cref="ArgumentException">As for the other overload.</exception>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, int strideH, int strideW, Padding? padding = null) =>
        Conv2d(x, w, bias, strideH, strideW, padding, relu: false);

    /// <summary>
    /// ReLU(Conv2d(x, w, bias)) as one op: the CPU backend applies the ReLU in the convolution's output step instead
    /// of a separate pass over y (see the <see cref="Conv2d(Tensor, Tensor, Tensor?, int, Padding?)"/> overload for
    /// the arguments).
    /// </summary>
    /// <param name="x">Input [B, H, W, C].</param>
    /// <param name="w">Weights [KH, KW, C, Cout].</param>
    /// <param name="bias">Optional bias [Cout].</param>
    /// <param name="stride">Stride along both spatial axes.</param>
    /// <param name="padding">Spatial padding; null means <see cref="Padding.Valid"/>.</param>
    /// <remarks>
    /// y = max(0, z) with z the convolution; dz = dY·[y &gt; 0] (y &gt; 0 exactly where z &gt; 0, so the gradient at 0
    /// is 0, as for <see cref="Relu"/>), then the convolution's rules with dz. Same values and gradients as
    /// Relu(Conv2d(…)).
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// As for <see cref="Conv2d(Tensor, Tensor, Tensor?, int, Padding?)"/>.
    /// </exception>
    public static Tensor Conv2dRelu(Tensor x, Tensor w, Tensor? bias = null, int stride = 1, Padding? padding = null) =>
        Conv2d(x, w, bias, stride, stride, padding, relu: true);

    private static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, int strideH, int strideW, Padding? padding,
                                 bool relu)
    {
        var g = ValidateConv2d(x, w, bias, strideH, strideW, padding ?? Padding.Valid);
        var y = NewLike(x, g.OutputShape);
        if (relu) x.Backend.Conv2dReluForward(y, x, w, bias, g);
        else x.Backend.Conv2dForward(y, x, w, bias, g);

        bool biasGrad = bias is not null && bias.RequiresGrad;
        if (GradMode.ShouldRecord(x, w) || (biasGrad && GradMode.ShouldRecord(bias!)))
        {
            Record(y, relu ? "conv2d_relu" : "conv2d", bias is null ? [x, w] : [x, w, bias], dOut =>
            {
                var dy = dOut;
                if (relu)
                {
                    // dz = [y > 0]·dOut: the ReLU rule evaluated at y, which is positive exactly where z is;
                    // written in one pass (no zero-filled buffer).
                    dy = Tensor.Empty(y.Shape, y.Backend);
                    y.Backend.UnaryBackwardInto(UnaryOp.Relu, 0f, dy, dOut, y, y);
                }
                if (x.RequiresGrad)
                {
                    var dx = Tensor.Zeros(x.Shape, x.Backend);
                    x.Backend.Conv2dBackwardInput(dx, dy, w, g);
                    x.AccumulateGrad(dx);
                }
                if (w.RequiresGrad || biasGrad)
                {
                    // The kernel accumulates, so leaf parameters take it straight into their Grad.
                    var wLeaf = w.LeafGradTarget();
                    var bLeaf = biasGrad ? bias!.LeafGradTarget() : null;
                    var dw = wLeaf ?? (w.RequiresGrad ? Tensor.Zeros(w.Shape, w.Backend) : null);
                    var db = bLeaf ?? (biasGrad ? Tensor.Zeros(bias!.Shape, bias.Backend) : null);
                    x.Backend.Conv2dBackwardWeight(dw, db, dy, x, g);
                    if (dw is not null && wLeaf is null) w.AccumulateGrad(dw);
                    if (db is not null && bLeaf is null) bias!.AccumulateGrad(db);
                }
            });
        }
        return y;
    }

    private static Conv2dGeometry ValidateConv2d(Tensor x, Tensor w, Tensor? bias, int strideH, int strideW,
                                                 Padding padding)
    {
        const string op = "Conv2d";
        ThrowHelper.SameBackend(op, x, w);
        if (x.Rank != 4 || w.Rank != 4)
        {
            ThrowHelper.Argument($"{op}: expected x [B, H, W, C] and w [KH, KW, C, Cout] (NHWC/HWIO), got x {x.Shape} " +
                                 $"and w {w.Shape}.");
        }
        if (x.Shape[3] != w.Shape[2])
        {
            ThrowHelper.Argument($"{op}: x has {x.Shape[3]} channels but w expects {w.Shape[2]} (x {x.Shape}, w " +
                                 $"{w.Shape}); weights are HWIO [KH, KW, Cin, Cout] — a PyTorch OIHW weight must be " +
                                 "permuted first.");
        }
        if (bias is not null)
        {
            ThrowHelper.SameBackend(op, x, bias);
            if (bias.Rank != 1 || bias.Shape[0] != w.Shape[3])
            {
                ThrowHelper.Argument($"{op}: bias must be [{w.Shape[3]}] (one per output channel of w {w.Shape}), " +
                                     $"got {bias.Shape}.");
            }
        }
        return Conv2dGeometry.Create(op, x.Shape, w.Shape[0], w.Shape[1], w.Shape[3], strideH, strideW, padding);
    }
}
