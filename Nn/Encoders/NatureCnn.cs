using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Encoders;

/// <summary>
/// The Nature-DQN torso (Mnih et al. 2015; Dopamine JAX): conv 32@8×8 s4 → conv 64@4×4 s2 → conv 64@3×3 s1,
/// ReLU after each, xavier_uniform kernels, zero biases. Dopamine's JAX networks (and both papers) use flax's
/// default SAME padding (84 → 21 → 11 → 11, output 11×11×64); the original DQN used VALID (→ 7×7×64).
/// </summary>
public sealed class NatureCnn : Layer
{
    /// <summary>Creates the encoder for <paramref name="inChannels"/> stacked frames.</summary>
    public NatureCnn(int inChannels, Rng rng, Padding? padding = null)
        : this(ConvInput.FromChannels(inChannels), rng, ConvFactories.Plain, padding)
    {
    }

    /// <summary>Creates the encoder with every convolution made by <paramref name="conv"/> (in order conv1..conv3).</summary>
    public NatureCnn(ConvInput input, Rng rng, ConvFactory conv, Padding? padding = null)
    {
        ArgumentNullException.ThrowIfNull(conv);
        var pad = padding ?? Padding.Same;
        Conv1 = RegisterModule("conv1", conv(input.Conv(32, 8, 4, pad), rng));
        input = input.After(Conv1, 32);
        Conv2 = RegisterModule("conv2", conv(input.Conv(64, 4, 2, pad), rng));
        input = input.After(Conv2, 64);
        Conv3 = RegisterModule("conv3", conv(input.Conv(64, 3, 1, pad), rng));
    }

    /// <summary>First convolution.</summary>
    public Layer Conv1 { get; }

    /// <summary>Second convolution.</summary>
    public Layer Conv2 { get; }

    /// <summary>Third convolution.</summary>
    public Layer Conv3 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) =>
        Conv3.ForwardRelu(Conv2.ForwardRelu(Conv1.ForwardRelu(x)));

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Conv3.OutputShape(Conv2.OutputShape(Conv1.OutputShape(input)));
}

/// <summary>
/// The MinAtar torso of Revisiting Rainbow / Dopamine's MinAtar configs (Obando-Ceron &amp; Castro 2021): one conv
/// 16@3×3 s1 + ReLU on 10×10×C. SAME padding (flax default, 10·10·16 features) by default; VALID gives MinAtar's
/// own 8·8·16.
/// </summary>
public sealed class MinAtarEncoder : Layer
{
    /// <summary>Creates the encoder.</summary>
    public MinAtarEncoder(int inChannels, Rng rng, Padding? padding = null, int channels = 16)
        : this(ConvInput.FromChannels(inChannels), rng, ConvFactories.Plain, padding, channels)
    {
    }

    /// <summary>Creates the encoder with its convolution made by <paramref name="conv"/>.</summary>
    public MinAtarEncoder(ConvInput input, Rng rng, ConvFactory conv, Padding? padding = null, int channels = 16)
    {
        ArgumentNullException.ThrowIfNull(conv);
        Conv = RegisterModule("conv1", conv(input.Conv(channels, 3, 1, padding ?? Padding.Same), rng));
    }

    /// <summary>The convolution.</summary>
    public Layer Conv { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Conv.ForwardRelu(x);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Conv.OutputShape(input);
}
