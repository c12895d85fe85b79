using MoeScratch.Tensors;

namespace MoeScratch.Nn.Layers;

/// <summary>
/// 2-D convolution layer on NHWC inputs with an HWIO kernel [kh, kw, in, out] (flax's layout) and a bias [out].
/// </summary>
/// <remarks>
/// Fans follow flax's variance scaling: fan_in = kh·kw·in, fan_out = kh·kw·out. Default init xavier_uniform with
/// zero bias, as Dopamine's Nature CNN and the MoE networks (dopamine networks.py); Impala's residual convs pass
/// <see cref="Init.LecunNormal"/> (P1 Table 4).
/// </remarks>
public sealed class Conv2d : Layer
{
    /// <summary>Creates the layer.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, Padding padding, Rng rng,
                  bool bias = true, Initializer? weightInit = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || stride <= 0)
        {
            throw new ArgumentException($"Conv2d: sizes must be positive, got in={inChannels}, out={outChannels}, " +
                                        $"kernel={kernelSize}, stride={stride}.");
        }
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        int rf = kernelSize * kernelSize;
        Weight = RegisterParameter("weight", (weightInit ?? Init.XavierUniform)(
            new Shape(kernelSize, kernelSize, inChannels, outChannels), rf * inChannels, rf * outChannels, rng));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(new Shape(outChannels)));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Square kernel size.</summary>
    public int KernelSize { get; }

    /// <summary>Stride along both axes.</summary>
    public int Stride { get; }

    /// <summary>Padding rule.</summary>
    public Padding Padding { get; }

    /// <summary>Kernel [kh, kw, in, out].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Conv2d(x, Weight, Bias, Stride, Padding);

    /// <inheritdoc/>
    public override Tensor ForwardRelu(Tensor x) => Ops.Conv2dRelu(x, Weight, Bias, Stride, Padding);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4 || input[3] != InChannels)
        {
            throw new ArgumentException($"Conv2d: input must be [B, H, W, {InChannels}] (NHWC), got {input}.");
        }
        var (oh, ow) = SpatialOut(input[1], input[2], KernelSize, Stride, Padding);
        return new Shape(input[0], oh, ow, OutChannels);
    }

    /// <summary>Output spatial size of a window op under TensorFlow/flax padding rules.</summary>
    internal static (int H, int W) SpatialOut(int h, int w, int k, int s, Padding padding)
    {
        var (_, _, oh) = padding.Resolve("Conv2d", h, k, s, vertical: true);
        var (_, _, ow) = padding.Resolve("Conv2d", w, k, s, vertical: false);
        return (oh, ow);
    }
}

/// <summary>Max pooling with a square window (SAME padding pads with −∞, as flax/TF).</summary>
public sealed class MaxPool2d : Layer
{
    /// <summary>Creates the layer.</summary>
    public MaxPool2d(int window, int stride, Padding padding)
    {
        Window = window;
        Stride = stride;
        Padding = padding;
    }

    /// <summary>Window size.</summary>
    public int Window { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Padding rule.</summary>
    public Padding Padding { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.MaxPool2d(x, Window, Stride, Padding);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        var (oh, ow) = Conv2d.SpatialOut(input[1], input[2], Window, Stride, Padding);
        return new Shape(input[0], oh, ow, input[3]);
    }
}
