using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Tokenizers;

namespace MoeScratch.Nn.Networks;

/// <summary>The convolutional encoder (dopamine jax/networks.py; for MinAtar, Revisiting Rainbow).</summary>
public enum EncoderKind
{
    /// <summary>Nature-DQN CNN: 32@8×8 s4, 64@4×4 s2, 64@3×3 s1.</summary>
    NatureCnn,

    /// <summary>Impala ResNet: stacks of (16, 32, 32)·scale channels (always SAME).</summary>
    Impala,

    /// <summary>MinAtar: one 16@3×3 conv.</summary>
    MinAtar,
}

/// <summary>Padding of the Nature CNN and MinAtar encoders (Dopamine/flax default SAME; original DQN VALID).</summary>
public enum EncoderPadding
{
    /// <summary>SAME (84 → 21 → 11 → 11 for the Nature CNN).</summary>
    Same,

    /// <summary>VALID (84 → 20 → 9 → 7).</summary>
    Valid,
}

/// <summary>The replaceable middle of the network (P1 §3, Fig. 2; P2 Fig. 5).</summary>
public enum TorsoKind
{
    /// <summary>Flatten → Dense(DenseWidth·WidthMultiplier) → ReLU (the baseline and P1 Fig. 1's scaled baseline); DenseWidth 0:
    /// flatten only.</summary>
    Baseline,

    /// <summary>Tokenize → Soft MoE → flatten (P1 §2.2, §3).</summary>
    SoftMoe,

    /// <summary>Tokenize → Top-1 MoE → flatten (P1 §4.2).</summary>
    Top1Moe,

    /// <summary>Tokenize → Expert Choice MoE → flatten (P2).</summary>
    ExpertChoice,

    /// <summary>PerConv tokens → shared Dense+ReLU → sum over tokens (P2 tokenized_sum, Fig. 5).</summary>
    TokenizedSum,

    /// <summary>PerConv tokens → shared Dense+ReLU → mean over tokens (P2 tokenized_avg, Fig. 5).</summary>
    TokenizedAvg,

    /// <summary>Global average pool → Dense+ReLU (the *Mind the GAP* reading, Sokar &amp; Castro 2025).</summary>
    Gap,
}

/// <summary>Where the experts sit (P1 §5.3, Figs. 13–15).</summary>
public enum ExpertVariant
{
    /// <summary>The MoE replaces the penultimate layer (default everywhere).</summary>
    Regular,

    /// <summary>Each expert is a full network with its own encoder; PerSamp routing at the input.</summary>
    Big,

    /// <summary>
    /// A separate Soft MoE at every layer (every encoder conv, the penultimate dense, and the final layer unless the
    /// head is shared as in Rainbow), each routing its own input as one PerSamp token.
    /// </summary>
    All,
}

/// <summary>
/// A complete description of a value network of P1/P2, built by <see cref="NetworkBuilder.Build"/>. Presets name
/// the paper variants; adjust with <c>with</c> (e.g. <c>NetworkConfig.SoftMoe(4) with { Head = HeadOptions.FullRainbow }</c>).
/// </summary>
public sealed record NetworkConfig
{
    /// <summary>Penultimate width of the unscaled baseline and expert hidden size (P1 §3, Table 2).</summary>
    public const int BaseWidth = 512;

    /// <summary>Encoder kind (default Impala, which P1 mostly uses: P1 §2.1).</summary>
    public EncoderKind Encoder { get; init; } = EncoderKind.Impala;

    /// <summary>Padding for the Nature CNN / MinAtar encoders; Impala must stay SAME.</summary>
    public EncoderPadding EncoderPadding { get; init; } = EncoderPadding.Same;

    /// <summary>Impala channel multiplier (Dopamine nn_scale, jax/networks.py); 1 for other encoders.</summary>
    public int ImpalaScale { get; init; } = 1;

    /// <summary>The middle of the network.</summary>
    public TorsoKind Torso { get; init; } = TorsoKind.Baseline;

    /// <summary>Penultimate width = <see cref="DenseWidth"/> × this for Baseline, Tokenized* and Gap (P1 Fig. 1's "scaled baseline").</summary>
    public int WidthMultiplier { get; init; } = 1;

    /// <summary>
    /// Width of the dense torsos' hidden layer before the multiplier: 512 in both papers' Atari networks (P1 Table 2); the
    /// MinAtar literature differs (the MinAtar paper: 128; Revisiting Rainbow: no hidden layer). 0 means no hidden layer
    /// (Baseline only: flatten straight into the head). MoE torsos size themselves with <see cref="ExpertHidden"/>.
    /// </summary>
    public int DenseWidth { get; init; } = BaseWidth;

    /// <summary>Number of experts n (MoE torsos only).</summary>
    public int NumExperts { get; init; } = 1;

    /// <summary>
    /// Expert hidden size (512; "scaled SoftMoE-1" 512·k, P2 Fig. 1; "÷ NumExperts" 512/n, P1 Fig. 5).
    /// </summary>
    public int ExpertHidden { get; init; } = BaseWidth;

    /// <summary>Tokenization for MoE torsos (P1 §3; PerConv default).</summary>
    public Tokenization Tokenization { get; init; } = Tokenization.PerConv;

    /// <summary>Patch side for the PerPatch schemes (dopamine networks.py, default 3).</summary>
    public int PatchSize { get; init; } = 3;

    /// <summary>PerPatch embedding size; null = dopamine's default (32 Impala, 64 CNN/MinAtar, networks.py).</summary>
    public int? PatchEmbedding { get; init; }

    /// <summary>
    /// Soft MoE: L2-normalize tokens and Φ for the logits (softmoe.py; off in P1's main runs, P1 §5.3).
    /// </summary>
    public bool SoftMoeNormalize { get; init; }

    /// <summary>MoE capacity factor: slots/tokens per expert = ceil(m·factor/n) (softmoe.py, routers.py).</summary>
    public double CapacityFactor { get; init; } = 1.0;

    /// <summary>Soft MoE explicit slots per expert (overrides the capacity factor).</summary>
    public int? SlotsPerExpert { get; init; }

    /// <summary>Soft MoE total slots as a fraction of the tokens (P2 Fig. 8 slot reduction).</summary>
    public double? SlotFraction { get; init; }

    /// <summary>Soft MoE with a fresh random Φ every call (P1 Fig. 8 "RandPhi").</summary>
    public bool RandomPhi { get; init; }

    /// <summary>
    /// Top-1 MoE with the importance and load losses of Ruiz et al. 2021 (P1 Fig. 9 "LoadBalancing"; dopamine
    /// labs/moes/agents/losses.py).
    /// </summary>
    public bool LoadBalancing { get; init; }

    /// <summary>Regular, Big or All experts (P1 §5.3).</summary>
    public ExpertVariant ExpertVariant { get; init; } = ExpertVariant.Regular;

    /// <summary>
    /// MoE torsos: Dense(512)+ReLU after the flatten (dopamine networks.py use_extra_linear_layer, default false).
    /// </summary>
    public bool ExtraLinearLayer { get; init; }

    /// <summary>
    /// Head kind (DQN by default; noisy heads make the penultimate layer / experts' first layer noisy, as in dopamine's
    /// FullRainbowNetwork and FullRainbowMoENetwork).
    /// </summary>
    public HeadOptions Head { get; init; } = HeadOptions.Dqn;

    /// <summary>True for the three MoE torsos.</summary>
    public bool IsMoe => Torso is TorsoKind.SoftMoe or TorsoKind.Top1Moe or TorsoKind.ExpertChoice;

    /// <summary>Penultimate width of non-MoE torsos: <see cref="DenseWidth"/> × <see cref="WidthMultiplier"/> (0: none).</summary>
    public int PenultimateWidth => DenseWidth * WidthMultiplier;

    /// <summary>The P1 baseline: flatten → Dense(512) → ReLU (P1 Table 2).</summary>
    public static NetworkConfig Baseline() => new();

    /// <summary>The scaled baseline: Dense(512·n) (P1 Fig. 1 x-axis).</summary>
    public static NetworkConfig ScaledBaseline(int n) => new() { WidthMultiplier = n };

    /// <summary>SoftMoE-n, PerConv, hidden 512 per expert (P1 §3).</summary>
    public static NetworkConfig SoftMoe(int n) => new() { Torso = TorsoKind.SoftMoe, NumExperts = n };

    /// <summary>P2's "scaled SoftMoE-1": one expert of hidden 512·k (P2 Fig. 1).</summary>
    public static NetworkConfig ScaledSoftMoe1(int k) =>
        new() { Torso = TorsoKind.SoftMoe, NumExperts = 1, ExpertHidden = BaseWidth * k };

    /// <summary>P1 Fig. 5 "SoftMoE (÷ NumExperts)": n experts of hidden 512/n.</summary>
    public static NetworkConfig SoftMoeDividedHidden(int n) =>
        new() { Torso = TorsoKind.SoftMoe, NumExperts = n, ExpertHidden = n > 0 ? BaseWidth / n : 0 };

    /// <summary>
    /// P1 §5.3 "Big" experts: n full networks (own encoder each) mixed by a Soft MoE router on the PerSamp
    /// observation token. Normalization helped this variant in P1.
    /// </summary>
    public static NetworkConfig SoftMoeBig(int n, bool normalize = false) =>
        new() { Torso = TorsoKind.SoftMoe, NumExperts = n, ExpertVariant = ExpertVariant.Big, Tokenization = Tokenization.PerSamp, SoftMoeNormalize = normalize };

    /// <summary>
    /// P1 §5.3 "All" experts: a Soft MoE of n copies at every layer of the network (each encoder conv, the penultimate
    /// dense, and DQN's final layer; Rainbow's is shared), each routing its own input as one PerSamp token.
    /// P1 found little gain, and failure to learn with normalization.
    /// </summary>
    public static NetworkConfig SoftMoeAll(int n, bool normalize = false) =>
        new() { Torso = TorsoKind.SoftMoe, NumExperts = n, ExpertVariant = ExpertVariant.All, Tokenization = Tokenization.PerSamp, SoftMoeNormalize = normalize };

    /// <summary>
    /// Top1-MoE with n experts (P1 Fig. 6 found PerFeat best for it; set <see cref="Tokenization"/> to compare).
    /// </summary>
    public static NetworkConfig Top1Moe(int n) => new() { Torso = TorsoKind.Top1Moe, NumExperts = n };

    /// <summary>Expert Choice MoE with n experts (P2).</summary>
    public static NetworkConfig ExpertChoice(int n) => new() { Torso = TorsoKind.ExpertChoice, NumExperts = n };

    /// <summary>P2 tokenized_sum with penultimate width 512·k (P2 Fig. 5).</summary>
    public static NetworkConfig TokenizedSum(int k) => new() { Torso = TorsoKind.TokenizedSum, WidthMultiplier = k };

    /// <summary>P2 tokenized_avg with penultimate width 512·k (P2 Fig. 5).</summary>
    public static NetworkConfig TokenizedAvg(int k) => new() { Torso = TorsoKind.TokenizedAvg, WidthMultiplier = k };

    /// <summary>Global average pooling then Dense(512·k) (*Mind the GAP*, Sokar &amp; Castro 2025).</summary>
    public static NetworkConfig Gap(int k) => new() { Torso = TorsoKind.Gap, WidthMultiplier = k };

    /// <summary>Checks the combination; every message names the field, the value and the fix.</summary>
    /// <exception cref="ArgumentException">An invalid or contradictory setting.</exception>
    public void Validate()
    {
        static void Fail(string msg) => throw new ArgumentException($"NetworkConfig: {msg}");
        if (!Enum.IsDefined(Encoder)) Fail($"unknown Encoder {Encoder}.");
        if (!Enum.IsDefined(Torso)) Fail($"unknown Torso {Torso}.");
        if (ImpalaScale < 1) Fail($"ImpalaScale must be >= 1, got {ImpalaScale}.");
        if (ImpalaScale != 1 && Encoder != EncoderKind.Impala) Fail($"ImpalaScale {ImpalaScale} applies only to the Impala encoder, not {Encoder}; leave it at 1.");
        if (Encoder == EncoderKind.Impala && EncoderPadding != EncoderPadding.Same) Fail("the Impala encoder is always SAME-padded (dopamine jax/networks.py); set EncoderPadding = Same.");
        if (WidthMultiplier < 1) Fail($"WidthMultiplier must be >= 1, got {WidthMultiplier}.");
        if (DenseWidth < 0) Fail($"DenseWidth must be >= 0 (0 = no hidden layer), got {DenseWidth}.");
        if (DenseWidth == 0 && Torso != TorsoKind.Baseline) Fail($"DenseWidth 0 (no hidden layer) applies to the Baseline torso only, not {Torso}.");
        if (NumExperts < 1) Fail($"NumExperts must be >= 1, got {NumExperts}.");
        if (ExpertHidden < 1) Fail($"ExpertHidden must be >= 1, got {ExpertHidden} (SoftMoeDividedHidden(n) needs n <= 512).");
        if (PatchSize < 1) Fail($"PatchSize must be >= 1, got {PatchSize}.");
        if (PatchEmbedding is < 1) Fail($"PatchEmbedding must be >= 1 or null, got {PatchEmbedding}.");
        if (!(CapacityFactor > 0)) Fail($"CapacityFactor must be > 0, got {CapacityFactor}.");
        if (SlotsPerExpert is < 1) Fail($"SlotsPerExpert must be >= 1 or null, got {SlotsPerExpert}.");
        if (SlotFraction is { } f && !(f > 0 && f <= 1)) Fail($"SlotFraction must be in (0, 1], got {f}.");
        if (SlotsPerExpert is not null && SlotFraction is not null) Fail("SlotsPerExpert and SlotFraction are exclusive; set one of them.");
        if (Head.Atoms < 1) Fail($"Head.Atoms must be >= 1, got {Head.Atoms}.");

        bool softOnly = SoftMoeNormalize || RandomPhi || SlotsPerExpert is not null || SlotFraction is not null;
        if (!IsMoe)
        {
            if (NumExperts != 1) Fail($"NumExperts = {NumExperts} applies only to MoE torsos, not {Torso}; for a scaled baseline set WidthMultiplier instead.");
            if (ExpertHidden != BaseWidth) Fail($"ExpertHidden = {ExpertHidden} applies only to MoE torsos, not {Torso}; set WidthMultiplier instead.");
            if (Tokenization != Tokenization.PerConv) Fail($"Tokenization {Tokenization} applies only to MoE torsos; {Torso} uses its own layout (PerConv for the tokenized baselines).");
            if (ExtraLinearLayer) Fail($"ExtraLinearLayer applies only to MoE torsos, not {Torso}.");
            if (LoadBalancing) Fail($"LoadBalancing applies only to the Top-1 MoE, not {Torso}.");
            if (ExpertVariant != ExpertVariant.Regular) Fail($"ExpertVariant {ExpertVariant} needs Torso = SoftMoe, not {Torso}.");
        }
        else
        {
            if (WidthMultiplier != 1) Fail($"WidthMultiplier = {WidthMultiplier} applies to dense torsos, not {Torso}; scale an MoE with NumExperts or ExpertHidden.");
            if (DenseWidth != BaseWidth) Fail($"DenseWidth = {DenseWidth} applies to dense torsos, not {Torso}; an MoE's width is ExpertHidden.");
            if (Torso != TorsoKind.SoftMoe && softOnly) Fail($"SoftMoeNormalize, RandomPhi, SlotsPerExpert and SlotFraction are Soft MoE options, but Torso is {Torso}.");
            if (LoadBalancing && Torso != TorsoKind.Top1Moe) Fail($"LoadBalancing (importance + load losses) is a Top-1 MoE option, but Torso is {Torso}.");
            if (ExpertVariant != ExpertVariant.Regular && Torso != TorsoKind.SoftMoe) Fail($"ExpertVariant {ExpertVariant} is defined for Soft MoE only (P1 §5.3), not {Torso}.");
        }
        if (ExpertVariant is ExpertVariant.Big or ExpertVariant.All)
        {
            // One PerSamp token with capacity factor 1 gives p = ceil(1/n) = 1 slot per expert (softmoe.py, P1 §5.3).
            string routes = ExpertVariant == ExpertVariant.Big ? "the observation" : "each layer's input";
            if (RandomPhi || SlotsPerExpert is not null || SlotFraction is not null || ExtraLinearLayer)
                Fail($"the {ExpertVariant} expert variant routes one PerSamp token to one slot per expert; RandomPhi, SlotsPerExpert, SlotFraction and ExtraLinearLayer do not apply.");
            if (CapacityFactor != 1.0)
                Fail($"CapacityFactor = {CapacityFactor} does not apply to the {ExpertVariant} expert variant: one PerSamp token at capacity 1 gives one slot per expert; leave it at 1.");
            if (Tokenization != Tokenization.PerSamp)
                Fail($"the {ExpertVariant} expert variant routes PerSamp tokens of {routes} (P1 §5.3); set Tokenization = PerSamp, not {Tokenization}.");
        }
    }
}
