using System.Text.Json.Serialization;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>Builds the online (and, called again, the target) network: (frame-stacked observation shape
/// [H, W, stack·C], actions, init stream, noise stream) → network.</summary>
public delegate QNetwork QNetworkFactory(int[] observationShape, int actions, Rng initRng, Rng noiseRng);

/// <summary>What periodically happens to the MoE experts (P2 §6).</summary>
public enum ExpertIntervention
{
    /// <summary>Nothing (the default everywhere in P1/P2 main results).</summary>
    None,

    /// <summary>Re-initialise expert parameters with their original initializers and clear their Adam moments.</summary>
    Reset,

    /// <summary>Shrink &amp; Perturb (Ash &amp; Adams 2020): θ ← α·θ + σ·θ_init, θ_init a fresh initializer sample.</summary>
    ShrinkPerturb,
}

/// <summary>
/// Hyperparameters of <see cref="DqnAgent"/> (one class for DQN, Rainbow-lite, Full Rainbow, DER, DrQ(ε), CQL,
/// CQL+C51). Defaults are Dopamine's JAX DQN (P1 Table 2); the presets in <c>AgentConfig.Presets.cs</c> cite
/// their sources per field. Combine any preset with any network through <c>with</c>.
/// </summary>
public sealed partial record AgentConfig
{
    /// <summary>Head options (atoms, v_max, dueling, noisy) the network must have; the agent checks the built
    /// network against them. Distributional iff Atoms &gt; 1; noisy forces ε = 0 in training.</summary>
    public HeadOptions Head { get; init; } = HeadOptions.Dqn;

    /// <summary>
    /// Encoder and torso of the value network (Nn's <see cref="NetworkConfig"/>; default the Impala baseline, the P1
    /// default of P1 §3, Fig. 2). Any preset combines with any variant, e.g.
    /// <c>AgentConfig.FullRainbow with { Network = NetworkConfig.SoftMoe(8) }</c>. Its own Head is ignored: the
    /// agent's <see cref="Head"/> (part of the algorithm: C51, dueling, noisy) replaces it when the network is built.
    /// </summary>
    public NetworkConfig Network { get; init; } = NetworkConfig.Baseline();

    /// <summary>
    /// A custom network builder (tests, experiments) that replaces <see cref="Network"/>; null builds
    /// <see cref="Network"/> with <see cref="Head"/> through <see cref="NetworkBuilder.Build"/>. Not part of the JSON
    /// form of the config (code, not data).
    /// </summary>
    [JsonIgnore]
    public QNetworkFactory? NetworkFactory { get; init; }

    /// <summary>Builds a network for this config: <see cref="NetworkFactory"/> when set, else the default.</summary>
    public QNetwork BuildNetwork(int[] observationShape, int actions, Rng initRng, Rng noiseRng) =>
        NetworkFactory is { } f ? f(observationShape, actions, initRng, noiseRng)
                                : NetworkBuilder.Build(Network with { Head = Head }, observationShape, actions, initRng, noiseRng);

    /// <summary>Discount γ per agent step.</summary>
    public float Gamma { get; init; } = 0.99f;

    /// <summary>n of the n-step return (steps).</summary>
    public int UpdateHorizon { get; init; } = 1;

    /// <summary>Transitions per gradient update.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam learning rate.</summary>
    public float LearningRate { get; init; } = 6.25e-5f;

    /// <summary>Adam ε (added after the square root, as optax).</summary>
    public float AdamEpsilon { get; init; } = 1.5e-4f;

    /// <summary>Transitions stored before training starts (agent steps); also the ε warm-up.</summary>
    public int MinReplayHistory { get; init; } = 20_000;

    /// <summary>Agent steps between training steps (replay ratio = <see cref="UpdatesPerStep"/> / this).</summary>
    public int UpdatePeriod { get; init; } = 4;

    /// <summary>Gradient updates per training step (Dopamine's num_updates_per_train_step).</summary>
    public int UpdatesPerStep { get; init; } = 1;

    /// <summary>Agent steps (offline: updates) between hard target-network copies; 1 = target is the online net.</summary>
    public int TargetUpdatePeriod { get; init; } = 8_000;

    /// <summary>ε after the decay (training).</summary>
    public double EpsilonTrain { get; init; } = 0.01;

    /// <summary>ε in evaluation mode.</summary>
    public double EpsilonEval { get; init; } = 0.001;

    /// <summary>Agent steps of the linear ε decay after the warm-up of <see cref="MinReplayHistory"/> steps.</summary>
    public int EpsilonDecayPeriod { get; init; } = 250_000;

    /// <summary>Replay capacity (transitions).</summary>
    public int ReplayCapacity { get; init; } = 1_000_000;

    /// <summary>Frames stacked into one state (4 Atari, 1 MinAtar).</summary>
    public int StackSize { get; init; } = 4;

    /// <summary>Prioritized replay (Dopamine style: priority √(loss + 1e-10), IS weights 1/√p normalised).</summary>
    public bool Prioritized { get; init; }

    /// <summary>Double DQN bootstrap (argmax from the online net on s′).</summary>
    public bool DoubleDqn { get; init; }

    /// <summary>TD loss of non-distributional agents (ignored by C51, which uses cross-entropy).</summary>
    public TdLossKind Loss { get; init; } = TdLossKind.Mse;

    /// <summary>Clip rewards to [−1, 1]; the runner applies it before calling the agent.</summary>
    public bool ClipRewards { get; init; } = true;

    /// <summary>Global gradient-norm clip; null = off (Dopamine: no clipping).</summary>
    public float? MaxGradNorm { get; init; }

    /// <summary>DrQ augmentation of sampled states and next states (P1 Table 1).</summary>
    public bool Augmentation { get; init; }

    /// <summary>Weight of the TD term (Dopamine offline: td_coefficient 1.0).</summary>
    public float TdCoefficient { get; init; } = 1f;

    /// <summary>Weight of the CQL regulariser; 0 = off (CQL presets: 0.1, P1 Table 3).</summary>
    public float CqlCoefficient { get; init; }

    /// <summary>What happens to MoE experts every <see cref="ExpertInterventionPeriod"/> updates.</summary>
    public ExpertIntervention ExpertIntervention { get; init; } = ExpertIntervention.None;

    /// <summary>Gradient updates between expert interventions (P2 does not publish its value).</summary>
    public int ExpertInterventionPeriod { get; init; } = 0;

    /// <summary>Shrink factor α of Shrink &amp; Perturb (Ash &amp; Adams 2020). P2 does not publish its value
    /// (P2 publishes no value); 0.8 is our assumption.</summary>
    public float ShrinkFactor { get; init; } = 0.8f;

    /// <summary>Perturbation scale σ of Shrink &amp; Perturb: the weight of a fresh initializer sample (assumed 0.2).</summary>
    public float PerturbScale { get; init; } = 0.2f;

    /// <summary>
    /// A parameter belongs to an expert when one of its dotted name segments starts with this text: the Nn/Moe
    /// layers register their stacked expert MLPs as "experts" (e.g. "torso.moe.experts.fc1.weight"), while the
    /// router (Φ, Top-k router) is left alone.
    /// </summary>
    public string ExpertParameterMarker { get; init; } = "expert";

    /// <summary>True when the head is distributional (C51).</summary>
    [JsonIgnore]
    public bool Distributional => Head.Atoms > 1;

    /// <summary>Checks every field; the message names the field, the value, the rule and the fix.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!(Gamma >= 0f && Gamma < 1f)) Fail(nameof(Gamma), Gamma, "must lie in [0, 1)");
        Positive(UpdateHorizon, nameof(UpdateHorizon));
        Positive(BatchSize, nameof(BatchSize));
        if (!(LearningRate > 0f) || float.IsInfinity(LearningRate)) Fail(nameof(LearningRate), LearningRate, "must be > 0");
        if (!(AdamEpsilon > 0f)) Fail(nameof(AdamEpsilon), AdamEpsilon, "must be > 0");
        if (MinReplayHistory < 0) Fail(nameof(MinReplayHistory), MinReplayHistory, "must be ≥ 0");
        Positive(UpdatePeriod, nameof(UpdatePeriod));
        Positive(UpdatesPerStep, nameof(UpdatesPerStep));
        Positive(TargetUpdatePeriod, nameof(TargetUpdatePeriod));
        Probability(EpsilonTrain, nameof(EpsilonTrain));
        Probability(EpsilonEval, nameof(EpsilonEval));
        Positive(EpsilonDecayPeriod, nameof(EpsilonDecayPeriod));
        Positive(StackSize, nameof(StackSize));
        if (Network is null)
        {
            throw new ArgumentException("AgentConfig.Network is null; set it (e.g. NetworkConfig.Baseline()).");
        }
        if (NetworkFactory is null) (Network with { Head = Head }).Validate();
        if (Head.Atoms < 1) Fail("Head.Atoms", Head.Atoms, "must be ≥ 1");
        if (Head.Atoms > 1 && !(Head.VMax > 0f)) Fail("Head.VMax", Head.VMax, "must be > 0 for a C51 head");
        long needed = (long)BatchSize + UpdateHorizon + StackSize;
        if (ReplayCapacity < needed)
        {
            throw new ArgumentException(
                $"AgentConfig.ReplayCapacity = {ReplayCapacity} is too small: it must be at least BatchSize " +
                $"({BatchSize}) + UpdateHorizon ({UpdateHorizon}) + StackSize ({StackSize}) = {needed}.");
        }
        if (MaxGradNorm is { } m && !(m > 0f)) Fail(nameof(MaxGradNorm), m, "must be > 0 (or null for no clipping)");
        if (!(TdCoefficient >= 0f)) Fail(nameof(TdCoefficient), TdCoefficient, "must be ≥ 0");
        if (!(CqlCoefficient >= 0f)) Fail(nameof(CqlCoefficient), CqlCoefficient, "must be ≥ 0 (0 turns CQL off)");
        if (ExpertIntervention != ExpertIntervention.None && ExpertInterventionPeriod <= 0)
        {
            Fail(nameof(ExpertInterventionPeriod), ExpertInterventionPeriod,
                 $"must be > 0 when ExpertIntervention is {ExpertIntervention}");
        }
        if (!(ShrinkFactor >= 0f && ShrinkFactor <= 1f)) Fail(nameof(ShrinkFactor), ShrinkFactor, "must lie in [0, 1]");
        if (!(PerturbScale >= 0f)) Fail(nameof(PerturbScale), PerturbScale, "must be ≥ 0");
        if (string.IsNullOrEmpty(ExpertParameterMarker)) Fail(nameof(ExpertParameterMarker), "\"\"", "must be non-empty");
    }

    private static void Positive(long value, string name)
    {
        if (value <= 0) Fail(name, value, "must be positive");
    }

    private static void Probability(double value, string name)
    {
        if (!(value >= 0 && value <= 1)) Fail(name, value, "must lie in [0, 1]");
    }

    private static void Fail(string name, object value, string rule) =>
        throw new ArgumentException($"AgentConfig.{name} = {value} {rule}; fix the preset or the override.");
}
