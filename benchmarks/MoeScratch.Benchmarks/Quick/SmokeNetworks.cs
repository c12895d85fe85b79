using MoeScratch.Nn;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// Miniatures of the three <see cref="AnchorNetworks"/> for <c>--smoke</c> runs on <see cref="WorkloadSize.Smoke"/>
/// frames: the same layer kinds (strided and padded convs, pools, residual blocks, Soft MoE, dense head), so the same
/// kernels run, at 4 channels and a few positions. On ILGPU's CPU accelerator every 4×4 GEMM tile step costs a
/// group barrier (hundreds of µs on a busy 2-core machine), which makes the full-size networks take minutes per step
/// there; these take well under a second.
/// </summary>
public static class SmokeNetworks
{
    /// <summary>Width of the smoke Q heads.</summary>
    public const int Actions = 3;

    private const int Hidden = 16;

    /// <summary>Three convs (12² → 5² → 3² → 2², 4 channels) → Linear 16 → ReLU → Linear 3.</summary>
    public static QNetwork NatureDqn(Rng rng)
    {
        var encoder = new SmokeNatureCnn(rng);
        return new QNetwork(encoder, new DenseTorso(Features(encoder), Hidden, rng), Head(Hidden, rng));
    }

    /// <summary>Three convs → 4 PerConv tokens of dim 4 → Soft MoE (2 experts × 1 slot, hidden 16) → Linear 3.</summary>
    public static QNetwork SoftMoeDqn(Rng rng)
    {
        var encoder = new SmokeNatureCnn(rng);
        var e = EncodedShape(encoder);
        int tokens = e[1] * e[2], dim = e[3];
        return new QNetwork(encoder, new AnchorSoftMoeTorso(tokens, dim, 2, Hidden, rng), Head(tokens * dim, rng));
    }

    /// <summary>Two IMPALA stacks of 4 channels (12² → 6² → 3²), 1 residual block each → Linear 16 → Linear 3.</summary>
    public static QNetwork ImpalaDqn(Rng rng)
    {
        var encoder = new AnchorImpalaEncoder(rng, WorkloadSize.Smoke.Stack, [4, 4], blocks: 1);
        return new QNetwork(encoder, new DenseTorso(Features(encoder), Hidden, rng), Head(Hidden, rng));
    }

    private static RainbowHead Head(int inFeatures, Rng rng) => new(inFeatures, Actions, HeadOptions.Dqn, rng);

    // Flatten sizes come from the encoder, not from hand arithmetic.
    private static Shape EncodedShape(Layer encoder) => encoder.OutputShape(WorkloadSize.Smoke.Frames(1));

    private static int Features(Layer encoder) => EncodedShape(encoder).Count;
}

/// <summary>
/// The Nature-DQN conv stack in miniature: three VALID convs with ReLU, strided first (4×4 s2, 3×3 s1, 2×2 s1 instead
/// of 8×8 s4, 4×4 s2, 3×3 s1), 4 channels each.
/// </summary>
public sealed class SmokeNatureCnn : Layer
{
    private readonly Conv2d _conv1, _conv2, _conv3;

    /// <summary>Creates the encoder for <see cref="WorkloadSize.Smoke"/> frames.</summary>
    public SmokeNatureCnn(Rng rng)
    {
        _conv1 = RegisterModule("conv1", new Conv2d(WorkloadSize.Smoke.Stack, 4, 4, 2, Padding.Valid, rng));
        _conv2 = RegisterModule("conv2", new Conv2d(4, 4, 3, 1, Padding.Valid, rng));
        _conv3 = RegisterModule("conv3", new Conv2d(4, 4, 2, 1, Padding.Valid, rng));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) =>
        Ops.Relu(_conv3.Forward(Ops.Relu(_conv2.Forward(Ops.Relu(_conv1.Forward(x))))));

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => _conv3.OutputShape(_conv2.OutputShape(_conv1.OutputShape(input)));
}
