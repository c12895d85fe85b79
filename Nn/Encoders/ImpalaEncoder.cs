using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Encoders;

/// <summary>
/// The Impala ResNet encoder (Espeholt et al. 2018) as Dopamine's JAX <c>ImpalaEncoder</c> (dopamine/jax/networks.py):
/// three stacks of (16, 32, 32)·scale channels, each conv 3×3 SAME (xavier_uniform) → max-pool 3×3 s2 SAME →
/// two residual blocks y = x + conv(relu(conv(relu(x)))) with lecun_normal kernels; ReLU at the end.
/// 84×84 → 42 → 21 → 11, output 11×11×32.
/// </summary>
public sealed class ImpalaEncoder : Layer
{
    private readonly ImpalaStack[] _stacks;

    /// <summary>Creates the encoder.</summary>
    /// <param name="inChannels">Input channels (stacked frames).</param>
    /// <param name="rng">Initialization randomness.</param>
    /// <param name="channelScale">Multiplies every stack's channels (Dopamine's nn_scale).</param>
    /// <param name="stackChannels">Channels per stack before scaling (default 16, 32, 32).</param>
    /// <param name="blocksPerStack">Residual blocks per stack (default 2).</param>
    public ImpalaEncoder(int inChannels, Rng rng, int channelScale = 1, int[]? stackChannels = null, int blocksPerStack = 2)
        : this(ConvInput.FromChannels(inChannels), rng, ConvFactories.Plain, channelScale, stackChannels, blocksPerStack)
    {
    }

    /// <summary>Creates the encoder with every convolution (stack and residual convs) made by <paramref name="conv"/>.</summary>
    /// <param name="input">The observation's channels, and its shape when the convs need it.</param>
    /// <param name="rng">Initialization randomness.</param>
    /// <param name="conv">Makes each convolution, in forward order.</param>
    /// <param name="channelScale">Multiplies every stack's channels (Dopamine's nn_scale).</param>
    /// <param name="stackChannels">Channels per stack before scaling (default 16, 32, 32).</param>
    /// <param name="blocksPerStack">Residual blocks per stack (default 2).</param>
    public ImpalaEncoder(ConvInput input, Rng rng, ConvFactory conv, int channelScale = 1, int[]? stackChannels = null,
                         int blocksPerStack = 2)
    {
        ArgumentNullException.ThrowIfNull(conv);
        if (channelScale < 1) throw new ArgumentException($"ImpalaEncoder: channelScale must be >= 1, got {channelScale}.");
        var chans = stackChannels ?? [16, 32, 32];
        _stacks = new ImpalaStack[chans.Length];
        for (int i = 0; i < chans.Length; i++)
        {
            int o = chans[i] * channelScale;
            _stacks[i] = RegisterModule($"stack{i}", new ImpalaStack(input, o, blocksPerStack, rng, conv));
            input = input.After(_stacks[i], o);
        }
    }

    /// <summary>The stacks.</summary>
    public IReadOnlyList<ImpalaStack> Stacks => _stacks;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        foreach (var s in _stacks) x = s.Forward(x);
        return Ops.Relu(x);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        foreach (var s in _stacks) input = s.OutputShape(input);
        return input;
    }
}

/// <summary>One Impala stack: conv → max-pool → residual blocks.</summary>
public sealed class ImpalaStack : Layer
{
    private readonly ResidualBlock[] _blocks;

    /// <summary>Creates the stack.</summary>
    public ImpalaStack(int inChannels, int outChannels, int blocks, Rng rng)
        : this(ConvInput.FromChannels(inChannels), outChannels, blocks, rng, ConvFactories.Plain)
    {
    }

    /// <summary>Creates the stack with its convolutions (the stack conv, then each block's two) made by <paramref name="conv"/>.</summary>
    public ImpalaStack(ConvInput input, int outChannels, int blocks, Rng rng, ConvFactory conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        Conv = RegisterModule("conv", conv(input.Conv(outChannels, 3, 1, Padding.Same), rng));
        Pool = RegisterModule("pool", new MaxPool2d(3, 2, Padding.Same));
        var pooled = input.After(Conv, outChannels).After(Pool, outChannels);
        _blocks = new ResidualBlock[blocks];
        for (int i = 0; i < blocks; i++) _blocks[i] = RegisterModule($"block{i}", new ResidualBlock(pooled, rng, conv));
    }

    /// <summary>The stack's first convolution.</summary>
    public Layer Conv { get; }

    /// <summary>The max-pool.</summary>
    public MaxPool2d Pool { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        x = Pool.Forward(Conv.Forward(x));
        foreach (var b in _blocks) x = b.Forward(x);
        return x;
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => Pool.OutputShape(Conv.OutputShape(input));
}

/// <summary>y = x + conv2(relu(conv1(relu(x)))), 3×3 SAME convs with lecun_normal kernels (flax default).</summary>
public sealed class ResidualBlock : Layer
{
    /// <summary>Creates the block.</summary>
    public ResidualBlock(int channels, Rng rng) : this(ConvInput.FromChannels(channels), rng, ConvFactories.Plain)
    {
    }

    /// <summary>Creates the block with both convolutions made by <paramref name="conv"/>; shapes are preserved (SAME, stride 1).</summary>
    public ResidualBlock(ConvInput input, Rng rng, ConvFactory conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        var spec = input.Conv(input.Channels, 3, 1, Padding.Same, Init.LecunNormal);
        Conv1 = RegisterModule("conv1", conv(spec, rng));
        Conv2 = RegisterModule("conv2", conv(spec, rng));
    }

    /// <summary>First convolution.</summary>
    public Layer Conv1 { get; }

    /// <summary>Second convolution.</summary>
    public Layer Conv2 { get; }

    /// <inheritdoc/>
    // Conv1's ReLU is fused into its output step (ForwardRelu); the leading ReLU cannot be, x is the skip path.
    public override Tensor Forward(Tensor x) => Ops.Add(x, Conv2.Forward(Conv1.ForwardRelu(Ops.Relu(x))));

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;
}
