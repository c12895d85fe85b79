using System.Globalization;
using MoeScratch.Ale;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Envs;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;
using MoeScratch.Tensors;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Training;

/// <summary>Maps a <see cref="TrainConfig"/> to the library's environment, network, agent and runner configs.</summary>
internal static class TrainSetup
{
    /// <summary>Creates the environment with its own seed stream (stream 0 of the run seed).</summary>
    public static IEnvironment CreateEnvironment(TrainConfig c, ulong? seedOverride = null)
    {
        EnvSpec spec = EnvSpec.Parse(c.Env);
        ulong seed = seedOverride ?? Rng.ForStream(c.Seed, 0).NextUInt64();
        return spec.Kind == EnvKind.MinAtar
            ? MinAtarGames.Create(spec.Target, seed)
            : new AtariEnvironment(AtariSettings(c, spec.Target, seed));
    }

    /// <summary>
    /// The ALE settings of an Atari run: the preset's protocol (Atari-100k for der and drq-eps:
    /// <see cref="AtariOptions.Atari100k"/>; otherwise Dopamine's defaults, sticky actions 0.25 and life loss not
    /// terminal, P1 Table 2) under the config's overrides.
    /// </summary>
    public static AtariOptions AtariSettings(TrainConfig c, string romPath, ulong seed)
    {
        AtariOptions protocol = PresetCatalog.IsAtari100k(c.Preset)
            ? AtariOptions.Atari100k(romPath)
            : new AtariOptions { RomPath = romPath };
        return protocol with
        {
            Seed = seed,
            RepeatActionProbability = c.RepeatActionProbability is double p ? (float)p : protocol.RepeatActionProbability,
            TerminalOnLifeLoss = c.TerminalOnLifeLoss ?? protocol.TerminalOnLifeLoss,
        };
    }

    /// <summary>
    /// Episodes of the one evaluation after training: the config's, else 100 for the Atari-100k presets (Dopamine's
    /// DataEfficientAtariRunner, num_eval_episodes = 100) and 0 for the others.
    /// </summary>
    public static int FinalEvalEpisodes(TrainConfig c) =>
        c.FinalEvalEpisodes ?? (PresetCatalog.IsAtari100k(c.Preset) ? 100 : 0);

    /// <summary>The agent preset by CLI name.</summary>
    public static AgentConfig Preset(string name) => name switch
    {
        "minatar-dqn" => AgentConfig.MinAtarDqn,
        "minatar-rainbow" => AgentConfig.MinAtarRainbow,
        "dqn" => AgentConfig.Dqn,
        "rainbow-lite" => AgentConfig.RainbowLite,
        "full-rainbow" => AgentConfig.FullRainbow,
        "der" => AgentConfig.Der,
        "drq-eps" => AgentConfig.DrqEpsilon,
        _ => throw new ArgumentException($"--preset: '{name}' is not a preset; allowed: {string.Join(", ", Choices.Presets)}."),
    };

    /// <summary>
    /// The network architecture: the <c>--network</c> variant on the preset's encoder and dense width (its paper
    /// config's) unless <c>--encoder</c> or <c>--dense-width</c> say otherwise.
    /// </summary>
    public static NetworkConfig Network(TrainConfig c)
    {
        NetworkConfig preset = Preset(c.Preset).Network;
        NetworkConfig n = c.Network switch
        {
            "baseline" => NetworkConfig.ScaledBaseline(c.WidthMultiplier),
            "softmoe" => NetworkConfig.SoftMoe(c.Experts),
            "top1" => NetworkConfig.Top1Moe(c.Experts),
            "expertchoice" => NetworkConfig.ExpertChoice(c.Experts),
            "tokenized-sum" => NetworkConfig.TokenizedSum(c.WidthMultiplier),
            "tokenized-avg" => NetworkConfig.TokenizedAvg(c.WidthMultiplier),
            "gap" => NetworkConfig.Gap(c.WidthMultiplier),
            "softmoe-big" => NetworkConfig.SoftMoeBig(c.Experts),
            "softmoe-all" => NetworkConfig.SoftMoeAll(c.Experts),
            _ => throw new ArgumentException($"--network: '{c.Network}' is not a network; allowed: {string.Join(", ", Choices.Networks)}."),
        };
        n = n with { Encoder = c.Encoder is { } e ? EncoderOf(e) : preset.Encoder };
        if (!n.IsMoe) n = n with { DenseWidth = c.DenseWidth ?? preset.DenseWidth };
        if (n.IsMoe && n.ExpertVariant == ExpertVariant.Regular) n = n with { Tokenization = Tokenization(c.Tokenizer) };
        if (c.ExpertHidden is int h) n = n with { ExpertHidden = h };
        return n;
    }

    private static EncoderKind EncoderOf(string name) => name switch
    {
        "nature" => EncoderKind.NatureCnn,
        "impala" => EncoderKind.Impala,
        "minatar" => EncoderKind.MinAtar,
        _ => throw new ArgumentException($"--encoder: '{name}' is not an encoder; allowed: {string.Join(", ", Choices.Encoders)}."),
    };

    /// <summary>The <c>--encoder</c> name of an encoder.</summary>
    public static string EncoderName(EncoderKind kind) => Choices.Encoders[kind switch
    {
        EncoderKind.NatureCnn => 0,
        EncoderKind.Impala => 1,
        _ => 2,
    }];

    private static Tokenization Tokenization(string name) => name switch
    {
        "perconv" => Nn.Tokenizers.Tokenization.PerConv,
        "perfeat" => Nn.Tokenizers.Tokenization.PerFeat,
        "persamp" => Nn.Tokenizers.Tokenization.PerSamp,
        "perpatch" => Nn.Tokenizers.Tokenization.PerPatch,
        "perpatch-avgpool" => Nn.Tokenizers.Tokenization.PerPatchAvgPool,
        "shuffled" => Nn.Tokenizers.Tokenization.Shuffled,
        _ => throw new ArgumentException($"--tokenizer: '{name}' is not a tokenizer; allowed: {string.Join(", ", Choices.Tokenizers)}."),
    };

    /// <summary>
    /// Fixes every value the preset (and the environment family) supplies into the config when a run is created, so
    /// that config.json shows the run as it ran and a resumed (possibly extended) run keeps it: preset, budget,
    /// encoder, dense width, stack, the agent fields, the Atari protocol and the final evaluation. When
    /// <c>--epsilon-decay-period</c> is not given, the preset's decay is capped at a fifth of the budget: the presets
    /// decay over 250k steps, tuned for runs of millions of steps (P1 Table 2), which would keep a short run almost
    /// random to its end. The replay capacity is capped at the budget (a larger buffer would never fill).
    /// </summary>
    public static TrainConfig ResolveDerived(TrainConfig c)
    {
        AgentConfig preset = Preset(c.Preset);
        NetworkConfig network = Network(c);
        EnvSpec env = EnvSpec.Parse(c.Env);
        AtariOptions? ale = env.Kind == EnvKind.Atari ? AtariSettings(c, env.Target, 0) : null;
        return c with
        {
            Preset = c.Preset,
            TotalSteps = c.TotalSteps,
            Encoder = EncoderName(network.Encoder),
            DenseWidth = network.IsMoe ? c.DenseWidth : network.DenseWidth,
            StackSize = c.StackSize ?? preset.StackSize,
            // Through the float's shortest text, so config.json shows 6.25E-05 rather than 6.2500001E-05.
            LearningRate = c.LearningRate
                           ?? double.Parse(preset.LearningRate.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            BatchSize = c.BatchSize ?? preset.BatchSize,
            MinReplayHistory = c.MinReplayHistory ?? preset.MinReplayHistory,
            TargetUpdatePeriod = c.TargetUpdatePeriod ?? preset.TargetUpdatePeriod,
            EpsilonDecayPeriod = c.EpsilonDecayPeriod ?? (int)Math.Min(preset.EpsilonDecayPeriod, Math.Max(1, c.TotalSteps / 5)),
            ReplayCapacity = c.ReplayCapacity ?? (int)Math.Min(preset.ReplayCapacity, Math.Max(c.TotalSteps, 1_000)),
            RepeatActionProbability = ale?.RepeatActionProbability,
            TerminalOnLifeLoss = ale?.TerminalOnLifeLoss,
            FinalEvalEpisodes = FinalEvalEpisodes(c),
        };
    }

    /// <summary>
    /// The config a run would write to config.json (<c>train --print-config</c>): a new run's values resolved by
    /// <see cref="ResolveDerived"/>, a resumed run's as saved; the agent it builds is validated, so a contradiction
    /// (say, <c>--expert-hidden</c> on a dense network) is reported here rather than after the run folder exists.
    /// </summary>
    /// <exception cref="ArgumentException">The agent or network config is invalid.</exception>
    public static TrainConfig Preview(TrainConfig c, bool resumed)
    {
        TrainConfig resolved = resumed ? c : ResolveDerived(c);
        Agent(resolved).Validate();
        return resolved;
    }

    /// <summary>The agent config: preset, then the typed overrides and the network of <see cref="Network"/>.</summary>
    public static AgentConfig Agent(TrainConfig c)
    {
        AgentConfig preset = Preset(c.Preset);
        return preset with
        {
            // The agent builds it with NetworkBuilder and its own head (AgentConfig.Network).
            Network = Network(c),
            StackSize = c.StackSize ?? preset.StackSize,
            LearningRate = c.LearningRate is double lr ? (float)lr : preset.LearningRate,
            BatchSize = c.BatchSize ?? preset.BatchSize,
            MinReplayHistory = c.MinReplayHistory ?? preset.MinReplayHistory,
            ReplayCapacity = c.ReplayCapacity ?? preset.ReplayCapacity,
            TargetUpdatePeriod = c.TargetUpdatePeriod ?? preset.TargetUpdatePeriod,
            EpsilonDecayPeriod = c.EpsilonDecayPeriod ?? preset.EpsilonDecayPeriod,
        };
    }

    /// <summary>Builds the agent for <paramref name="env"/> (agent streams derive from the run seed, stream 1).</summary>
    public static DqnAgent CreateAgent(TrainConfig c, IEnvironment env) =>
        new(Agent(c), env.ObservationShape, env.ActionCount, env.ObservationScale, Rng.ForStream(c.Seed, 1).NextUInt64());

    /// <summary>The iteration protocol: the budget split into <see cref="TrainConfig.Iterations"/> equal iterations.</summary>
    public static RunnerConfig Runner(TrainConfig c, AgentConfig agent)
    {
        long perIteration = (c.TotalSteps + c.Iterations - 1) / c.Iterations;
        bool atari = EnvSpec.Parse(c.Env).Kind == EnvKind.Atari;
        return new RunnerConfig
        {
            Iterations = c.Iterations,
            TrainingStepsPerIteration = perIteration,
            EvaluationEpisodes = c.EvalEpisodes,
            ClipRewards = agent.ClipRewards,
            MaxEpisodeSteps = atari ? 27_000 : null,
            CheckpointEvery = c.CheckpointEvery,
            KeepCheckpoints = c.KeepCheckpoints,
            Seed = c.Seed,
        };
    }
}
