using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// The networks of the TorchSharp harness's <c>minatar</c> group (anchors/torchsharp Models.cs <c>MinAtarDqn</c>,
/// <c>MinAtarSoftMoEDqn</c>), built exactly as the trainer builds them for <c>--preset minatar-dqn</c> on Breakout
/// (<see cref="AgentConfig.MinAtarDqn"/>'s network: one 16@3×3 SAME conv + ReLU; then Dense 512 + ReLU, or PerConv
/// tokens → Soft MoE with n experts × ceil(100/n) slots, hidden 512, no normalization; then the DQN head over 6
/// actions), with the harness's parameter counts asserted.
/// </summary>
/// <remarks>
/// The Soft MoE has one parameter more than the harness's: "scale" [1], created but unused without normalization (it
/// belongs to the parameter count of papers' Soft MoE). It costs nothing in the step.
/// </remarks>
public static class MinAtarNetworks
{
    /// <summary>Breakout's frame: 10×10 cells, 4 channels (MinAtar's full action set has 6 actions).</summary>
    public const int Side = 10, Channels = 4, Actions = 6;

    /// <summary>The harness's parameter counts (minatar_dqn; minatar_softmoe4/8 plus our unused "scale").</summary>
    public const long DqnParameters = 823_382, SoftMoe4Parameters = 79_447, SoftMoe8Parameters = 147_159;

    /// <summary>Network input shape of one observation [H, W, C] (stack size 1, as the preset).</summary>
    public static int[] ObservationShape => [Side, Side, Channels];

    /// <summary>
    /// The preset's network config: the dense baseline (0 experts) or Soft MoE with <paramref name="experts"/> of
    /// hidden <paramref name="hidden"/>.
    /// </summary>
    public static NetworkConfig Config(int experts, int hidden = 512) => experts == 0
        ? AgentConfig.MinAtarDqn.Network
        : NetworkConfig.SoftMoe(experts) with { Encoder = EncoderKind.MinAtar, ExpertHidden = hidden }; // as TrainSetup.Network

    /// <summary>
    /// Builds the network (0 experts: dense) and checks its parameter count against the harness's where it has the
    /// network (hidden 512).
    /// </summary>
    public static QNetwork Create(int experts, Rng rng, int hidden = 512)
    {
        var net = (AgentConfig.MinAtarDqn with { Network = Config(experts, hidden) })
            .BuildNetwork(ObservationShape, Actions, rng, new Rng(1));
        long expected = hidden != 512 ? -1 : experts switch
        {
            0 => DqnParameters,
            4 => SoftMoe4Parameters,
            8 => SoftMoe8Parameters,
            _ => -1,
        };
        if (expected >= 0 && net.ParameterCount != expected)
        {
            throw new InvalidOperationException($"MinAtar network with {experts} experts: {net.ParameterCount} parameters, but " +
                                                $"the TorchSharp harness's has {expected}; the benchmark network no longer " +
                                                "matches the harness definition (Models.cs).");
        }
        return net;
    }

    /// <summary>
    /// Forward FLOPs of one observation (2 per multiply-add of the convolution and the matrix products; softmax, ReLU
    /// and bias adds are not counted): conv 100·16·36·2; then Dense 1600·512·2 + head 512·A·2, or Soft MoE
    /// logits, dispatch and combine products (3 · m·S·d·2), the experts (S · 2·d·h·2) and the head 1600·A·2.
    /// </summary>
    public static double ForwardFlops(int experts, out double firstLayer, int hidden = 512)
    {
        const int cells = Side * Side, conv = 16;
        firstLayer = 2.0 * cells * conv * 9 * Channels;
        if (experts == 0) return firstLayer + 2.0 * cells * conv * 512 + 2.0 * 512 * Actions;
        int slots = experts * SoftMoe.ResolveSlots(cells, new SoftMoeOptions(experts, hidden));
        return firstLayer + 3 * 2.0 * cells * slots * conv + slots * 2 * (2.0 * conv * hidden) + 2.0 * cells * conv * Actions;
    }

    /// <summary>
    /// FLOPs of one DQN update at <paramref name="batch"/>: online forward F, target forward F and backward 2F − F₁
    /// (every product's weight and input gradients, except the first convolution's input gradient, which nothing
    /// needs). Adam and the elementwise passes are not counted, so the FLOP limit this gives is an upper bound.
    /// </summary>
    public static double TrainFlops(int experts, int batch, int hidden = 512)
    {
        double f = ForwardFlops(experts, out double first, hidden);
        return batch * (4 * f - first);
    }

    /// <summary>FLOPs per agent step of the minatar-dqn loop: one act forward plus a quarter update (update period 4).</summary>
    public static double AgentStepFlops(int experts) =>
        ForwardFlops(experts, out _) + TrainFlops(experts, AgentConfig.MinAtarDqn.BatchSize) / AgentConfig.MinAtarDqn.UpdatePeriod;
}
