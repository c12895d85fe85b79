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
            : new AtariEnvironment(new AtariOptions { RomPath = spec.Target, Seed = seed });
    }

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

    /// <summary>The network architecture: MinAtar conv for MinAtar, the P1 default (Impala) for Atari.</summary>
    public static NetworkConfig Network(TrainConfig c, EnvKind kind)
    {
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
        if (kind == EnvKind.MinAtar) n = n with { Encoder = EncoderKind.MinAtar };
        if (n.IsMoe && n.ExpertVariant == ExpertVariant.Regular) n = n with { Tokenization = Tokenization(c.Tokenizer) };
        if (c.ExpertHidden is int h) n = n with { ExpertHidden = h };
        return n;
    }

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
    /// Fixes the budget-dependent defaults into the config when a run is created, so that config.json holds them
    /// and a resumed (possibly extended) run keeps them. When <c>--epsilon-decay-period</c> is not given, the
    /// preset's decay is capped at a fifth of the budget: the presets decay over 250k steps, tuned for runs of
    /// millions of steps (P1 Table 2), which would keep a short run almost random to its end. The replay
    /// capacity is capped at the budget (a larger buffer would never fill).
    /// </summary>
    public static TrainConfig ResolveDerived(TrainConfig c)
    {
        AgentConfig preset = Preset(c.Preset);
        return c with
        {
            EpsilonDecayPeriod = c.EpsilonDecayPeriod ?? (int)Math.Min(preset.EpsilonDecayPeriod, Math.Max(1, c.TotalSteps / 5)),
            ReplayCapacity = c.ReplayCapacity ?? (int)Math.Min(preset.ReplayCapacity, Math.Max(c.TotalSteps, 1_000)),
        };
    }

    /// <summary>The agent config: preset, then the typed overrides and the network of <see cref="Network"/>.</summary>
    public static AgentConfig Agent(TrainConfig c)
    {
        AgentConfig preset = Preset(c.Preset);
        return preset with
        {
            // The agent builds it with NetworkBuilder and its own head (AgentConfig.Network).
            Network = Network(c, EnvSpec.Parse(c.Env).Kind),
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
