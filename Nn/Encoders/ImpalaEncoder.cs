using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Encoders;

/// <summary>
/// The Impala ResNet encoder (Espeholt et al. 2018) as Dopamine's JAX <c>ImpalaEncoder</c> (papers.md §4.3):
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
    {
        if (channelScale < 1) throw new ArgumentException($"ImpalaEncoder: channelScale must be >= 1, got {channelScale}.");
        var chans = stackChannels ?? [16, 32, 32];
        _stacks = new ImpalaStack[chans.Length];
        int c = inChannels;
        for (int i = 0; i < chans.Length; i++)
        {
            int o = chans[i] * channelScale;
            _stacks[i] = RegisterModule($"stack{i}", new ImpalaStack(c, o, blocksPerStack, rng));
            c = o;
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
    {
        Conv = RegisterModule("conv", new Conv2d(inChannels, outChannels, 3, 1, Padding.Same, rng));
        Pool = RegisterModule("pool", new MaxPool2d(3, 2, Padding.Same));
        _blocks = new ResidualBlock[blocks];
        for (int i = 0; i < blocks; i++) _blocks[i] = RegisterModule($"block{i}", new ResidualBlock(outChannels, rng));
    }

    /// <summary>The stack's first convolution.</summary>
    public Conv2d Conv { get; }

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
    public ResidualBlock(int channels, Rng rng)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(channels, channels, 3, 1, Padding.Same, rng, weightInit: Init.LecunNormal));
        Conv2 = RegisterModule("conv2", new Conv2d(channels, channels, 3, 1, Padding.Same, rng, weightInit: Init.LecunNormal));
    }

    /// <summary>First convolution.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>Second convolution.</summary>
    public Conv2d Conv2 { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Add(x, Conv2.Forward(Ops.Relu(Conv1.Forward(Ops.Relu(x)))));

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;
}
