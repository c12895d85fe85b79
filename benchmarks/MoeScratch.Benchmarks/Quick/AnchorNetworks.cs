using MoeScratch.Nn;
using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>The networks of the anchors' training-step workloads.</summary>
public enum AnchorModel
{
    /// <summary>Nature-DQN (anchor <c>NatureDqn</c>).</summary>
    NatureDqn,

    /// <summary>Soft MoE DQN over PerConv tokens (anchor <c>SoftMoEDqn</c>).</summary>
    SoftMoeDqn,

    /// <summary>IMPALA-CNN DQN (anchor <c>ImpalaDqn</c>).</summary>
    ImpalaDqn,
}

/// <summary>
/// The three networks of the TorchSharp anchors (their Models.cs; see benchmarks/compare-torchsharp.sh),
/// built from the Nn blocks with the anchors' exact shapes. Each factory asserts the anchor's parameter count so a
/// drifting definition fails loudly instead of producing a number that compares different work.
/// </summary>
/// <remarks>
/// Layout differs (NHWC/HWIO here, NCHW/OIHW in libtorch) but the work is the same: a weight permutation, no
/// extra FLOPs. The anchors use PyTorch's symmetric explicit pads, so the Impala stack is composed here with
/// <see cref="Padding.Symmetric"/> rather than <see cref="ImpalaEncoder"/>'s SAME pooling (SAME pads 0/1 on the
/// even 84 and 42 inputs, PyTorch pads 1/1; same output sizes and cost, different window placement).
/// </remarks>
public static class AnchorNetworks
{
    /// <summary>Anchor parameter counts (results.json "model_parameters").</summary>
    public const long NatureDqnParameters = 1_693_362, SoftMoeDqnParameters = 663_859, ImpalaDqnParameters = 2_089_954;

    /// <summary>Actions of the full Atari action set, as the anchors.</summary>
    public const int Actions = 18;

    /// <summary>Nature-DQN, VALID padding: 84² → 20² → 9² → 7²×64 = 3136 → Linear 512 → ReLU → Linear 18.</summary>
    public static QNetwork NatureDqn(Rng rng) => Check(new QNetwork(
        new NatureCnn(4, rng, Padding.Valid),
        new DenseTorso(3136, 512, rng),
        new RainbowHead(512, Actions, HeadOptions.Dqn, rng)), NatureDqnParameters, "Nature-DQN");

    /// <summary>The anchor Soft MoE DQN: Nature torso → 49 PerConv tokens → Soft MoE (8×1 slot) → flatten → Linear 18.</summary>
    public static QNetwork SoftMoeDqn(Rng rng) => Check(new QNetwork(
        new NatureCnn(4, rng, Padding.Valid),
        new AnchorSoftMoeTorso(49, 64, 8, 512, rng),
        new RainbowHead(49 * 64, Actions, HeadOptions.Dqn, rng)), SoftMoeDqnParameters, "SoftMoE-DQN");

    /// <summary>IMPALA-CNN (16, 32, 32) with symmetric pad-1 convs and pools → relu → 3872 → Linear 512 → Linear 18.</summary>
    public static QNetwork ImpalaDqn(Rng rng) => Check(new QNetwork(
        new AnchorImpalaEncoder(rng),
        new DenseTorso(32 * 11 * 11, 512, rng),
        new RainbowHead(512, Actions, HeadOptions.Dqn, rng)), ImpalaDqnParameters, "IMPALA-DQN");

    /// <summary>
    /// The anchor network for <see cref="WorkloadSize.Anchor"/> frames, or with <paramref name="smoke"/> its miniature
    /// from <see cref="SmokeNetworks"/> for <see cref="WorkloadSize.Smoke"/> frames.
    /// </summary>
    public static QNetwork Create(AnchorModel model, bool smoke, Rng rng) => model switch
    {
        AnchorModel.NatureDqn => smoke ? SmokeNetworks.NatureDqn(rng) : NatureDqn(rng),
        AnchorModel.SoftMoeDqn => smoke ? SmokeNetworks.SoftMoeDqn(rng) : SoftMoeDqn(rng),
        AnchorModel.ImpalaDqn => smoke ? SmokeNetworks.ImpalaDqn(rng) : ImpalaDqn(rng),
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "AnchorNetworks.Create: not an AnchorModel."),
    };

    private static QNetwork Check(QNetwork net, long expected, string what)
    {
        long n = net.ParameterCount;
        if (n != expected)
        {
            throw new InvalidOperationException($"{what}: {n} parameters, but the TorchSharp anchor has {expected}; " +
                                                "the benchmark network no longer matches the anchor definition (Models.cs).");
        }
        return net;
    }
}

/// <summary>The anchor IMPALA encoder: 3 stacks of conv3×3 pad 1 → maxpool 3×3 s2 pad 1 → 2 residual blocks; relu.</summary>
public sealed class AnchorImpalaEncoder : Layer
{
    private readonly List<Layer> _layers = [];

    /// <summary>
    /// Creates the encoder for <paramref name="inChannels"/> stacked frames with one stack per entry of
    /// <paramref name="stackChannels"/>, each with <paramref name="blocks"/> residual blocks (defaults: the anchor's
    /// 4 frames, 16, 32, 32 channels, 2 blocks).
    /// </summary>
    public AnchorImpalaEncoder(Rng rng, int inChannels = 4, int[]? stackChannels = null, int blocks = 2)
    {
        int c = inChannels, i = 0;
        foreach (int o in stackChannels ?? [16, 32, 32])
        {
            _layers.Add(RegisterModule($"stack{i}_conv", new Conv2d(c, o, 3, 1, Padding.Symmetric(1), rng)));
            _layers.Add(RegisterModule($"stack{i}_pool", new MaxPool2d(3, 2, Padding.Symmetric(1))));
            for (int b = 0; b < blocks; b++)
            {
                _layers.Add(RegisterModule($"stack{i}_block{b}", new ResidualBlock(o, rng)));
            }
            c = o;
            i++;
        }
    }

    /// <summary>The layers in order: per stack its conv, pool and residual blocks (profile mode times them one by one).</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        foreach (var l in _layers) x = l.Forward(x);
        return Ops.Relu(x);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        foreach (var l in _layers) input = l.OutputShape(input);
        return input;
    }
}
