using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Encoders;

/// <summary>
/// What an encoder asks of one of its convolutions: the settings of its <see cref="Conv2d"/> and, when the encoder
/// was built for a known observation size, the conv's input shape [1, H, W, C].
/// </summary>
/// <param name="InChannels">Input channels C.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="KernelSize">Square kernel size.</param>
/// <param name="Stride">Stride along both axes.</param>
/// <param name="Padding">Padding rule.</param>
/// <param name="WeightInit">Kernel initializer, or null for <see cref="Conv2d"/>'s default (xavier_uniform).</param>
/// <param name="Input">The conv's input [1, H, W, C], or null when the encoder was built from a channel count only.</param>
public sealed record ConvSpec(int InChannels, int OutChannels, int KernelSize, int Stride, Padding Padding,
                              Initializer? WeightInit, Shape? Input);

/// <summary>
/// Makes the convolution an encoder asks for. The default (<see cref="ConvFactories.Plain"/>) is one
/// <see cref="Conv2d"/>; the "All" expert variant (P1 §5.3) puts a Soft MoE of conv copies in its place, so
/// the encoders' topology (strides, pooling, residual adds) is written once.
/// </summary>
/// <param name="spec">The conv's settings and input shape.</param>
/// <param name="rng">Initialization randomness.</param>
/// <returns>A layer mapping [B, H, W, InChannels] to [B, H', W', OutChannels].</returns>
public delegate Layer ConvFactory(ConvSpec spec, Rng rng);

/// <summary>The standard <see cref="ConvFactory"/>.</summary>
public static class ConvFactories
{
    /// <summary>One <see cref="Conv2d"/> with the spec's settings (the baseline encoders).</summary>
    public static ConvFactory Plain { get; } = (spec, rng) =>
        new Conv2d(spec.InChannels, spec.OutChannels, spec.KernelSize, spec.Stride, spec.Padding, rng, weightInit: spec.WeightInit);
}

/// <summary>
/// What the next layer of an encoder under construction sees: always its channel count, and its full input shape
/// [1, H, W, C] when the encoder was given the observation shape (needed by convs whose parameters depend on the
/// input size, e.g. a PerSamp router Φ of H·W·C rows).
/// </summary>
public readonly record struct ConvInput
{
    private ConvInput(int channels, Shape? shape)
    {
        Channels = channels;
        Shape = shape;
    }

    /// <summary>Input channels C.</summary>
    public int Channels { get; }

    /// <summary>The input [1, H, W, C], or null when only the channels are known.</summary>
    public Shape? Shape { get; }

    /// <summary>Only the channel count is known (enough for plain convs).</summary>
    public static ConvInput FromChannels(int channels) => new(channels, null);

    /// <summary>The full observation shape [B, H, W, C] is known; the batch size is set to 1.</summary>
    /// <exception cref="ArgumentException">The shape is not rank 4 (NHWC).</exception>
    public static ConvInput FromShape(Shape input)
    {
        if (input.Rank != 4) throw new ArgumentException($"ConvInput: an encoder input must be [B, H, W, C] (NHWC), got {input}.");
        return new(input[3], new Shape(1, input[1], input[2], input[3]));
    }

    /// <summary>The spec of a conv reading this input.</summary>
    public ConvSpec Conv(int outChannels, int kernelSize, int stride, Padding padding, Initializer? weightInit = null) =>
        new(Channels, outChannels, kernelSize, stride, padding, weightInit, Shape);

    /// <summary>The input of the layer after <paramref name="layer"/>, which has <paramref name="outChannels"/> channels.</summary>
    public ConvInput After(Layer layer, int outChannels) =>
        new(outChannels, Shape is { } s ? layer.OutputShape(s) : (Shape?)null);
}
