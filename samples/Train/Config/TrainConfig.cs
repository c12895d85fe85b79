using System.Globalization;
using System.Text.Json.Serialization;

namespace MoeScratch.Train.Config;

/// <summary>
/// Everything one training run needs, resolved from a preset, an optional JSON file and command-line flags (in that
/// order). Every property has a kebab-case flag (<see cref="Cli.TrainOptions"/>) and a snake_case JSON key
/// (<see cref="JsonConfig"/>); the resolved record is written to <c>config.json</c> inside the run folder
/// (docs/runs-and-sweeps.md). Nullable agent fields mean "the preset's value".
/// </summary>
public sealed record TrainConfig
{
    /// <summary>
    /// Agent preset (the hyperparameters of one paper config). Unset, it is the environment family's
    /// default (<see cref="PresetCatalog.DefaultFor"/>: <c>dqn</c> for <c>atari:</c>, <c>minatar-dqn</c> for
    /// <c>minatar:</c>); config.json of a run holds the preset in force.
    /// </summary>
    [JsonIgnore]
    public string Preset
    {
        get => PresetSetting ?? PresetCatalog.DefaultFor(EnvSpec.TryParse(Env, out EnvSpec? e, out _) ? e!.Kind : EnvKind.MinAtar);
        init => PresetSetting = value;
    }

    // The JSON form keeps "unset" (null) apart from a name, so a file without a preset follows its --env.
    [JsonInclude, JsonPropertyName("preset")]
    private string? PresetSetting { get; init; }

    /// <summary>Environment: <c>minatar:&lt;game&gt;</c> or <c>atari:&lt;rom path&gt;</c>.</summary>
    public string Env { get; init; } = "minatar:breakout";

    /// <summary>Network torso variant (P1 §3, Fig. 2; P2 Fig. 5).</summary>
    public string Network { get; init; } = "softmoe";

    /// <summary>Number of experts (MoE torsos only; ignored by dense torsos).</summary>
    public int Experts { get; init; } = 4;

    /// <summary>Tokenization of the encoder output for MoE torsos (P1 §3; P2 §5).</summary>
    public string Tokenizer { get; init; } = "perconv";

    /// <summary>Penultimate width multiplier of dense torsos (P1 Fig. 1's "scaled baseline").</summary>
    public int WidthMultiplier { get; init; } = 1;

    /// <summary>Expert hidden size; null keeps 512 (P1 §3).</summary>
    public int? ExpertHidden { get; init; }

    /// <summary>Encoder: <c>nature</c>, <c>impala</c> or <c>minatar</c>; null: the preset's (its paper config's).</summary>
    public string? Encoder { get; init; }

    /// <summary>
    /// Hidden width of the dense networks before <see cref="WidthMultiplier"/> (0: no hidden layer, baseline only);
    /// null: the preset's, 512 for all of them (the MinAtar presets say why in Rl/Agents/AgentConfig.Presets.cs).
    /// </summary>
    public int? DenseWidth { get; init; }

    /// <summary>Frames stacked into one state; null: the preset's (4 Atari, 1 MinAtar).</summary>
    public int? StackSize { get; init; }

    /// <summary>
    /// Atari only: ALE's sticky-action probability; null: the preset's protocol (0.25 as Machado et al. 2018 and
    /// Dopamine; 0 for the Atari-100k presets).
    /// </summary>
    public double? RepeatActionProbability { get; init; }

    /// <summary>
    /// Atari only: a lost life ends the agent's episode (terminal transition) while the game and the logged episode
    /// go on; null: the preset's protocol (off; on for the Atari-100k presets).
    /// </summary>
    public bool? TerminalOnLifeLoss { get; init; }

    /// <summary>
    /// Evaluation episodes played once after the last iteration, at the agent's ε_eval; when present they are the
    /// run's score in <c>report</c>. Null: the preset's protocol (100 for the Atari-100k presets, else 0).
    /// </summary>
    public int? FinalEvalEpisodes { get; init; }

    /// <summary>
    /// Total training agent steps (split into <see cref="Iterations"/> iterations). Unset, the Atari-100k presets train
    /// their protocol's 100,000 steps (P1 Table 1) and every other preset 20,000, which keeps the no-argument command
    /// to a few minutes on 2 cores: Soft MoE-4 (expert hidden 512) ran at 30–120 steps/s on MinAtar Breakout on the
    /// shared 2-core development machine, the dense baseline at about 180.
    /// </summary>
    [JsonIgnore]
    public long TotalSteps
    {
        get => TotalStepsSetting ?? (PresetCatalog.IsAtari100k(Preset) ? Atari100kSteps : 20_000);
        init => TotalStepsSetting = value;
    }

    [JsonInclude, JsonPropertyName("total_steps")]
    private long? TotalStepsSetting { get; init; }

    /// <summary>The Atari-100k protocol's budget: 10 iterations of 10,000 agent steps (Dopamine's DataEfficientAtariRunner).</summary>
    public const long Atari100kSteps = 100_000;

    /// <summary>Iterations (Dopamine's unit of checkpointing and evaluation, run_experiment.py).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>Evaluation episodes after each iteration (0: report training returns, the papers' protocol).</summary>
    public int EvalEpisodes { get; init; }

    /// <summary>Root seed of every random stream.</summary>
    public ulong Seed { get; init; }

    /// <summary>Experiment name used in the run-folder name; null derives it from preset and network.</summary>
    public string? Experiment { get; init; }

    /// <summary>Runs root folder.</summary>
    public string Out { get; init; } = "runs";

    /// <summary>Checkpoint every this many iterations.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Checkpoints kept on disk (the newest ones).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Adam learning rate; null keeps the preset's.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Batch size; null keeps the preset's.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Transitions stored before training starts; null keeps the preset's.</summary>
    public int? MinReplayHistory { get; init; }

    /// <summary>Replay capacity; null: the preset's, capped at the budget when the run is created.</summary>
    public int? ReplayCapacity { get; init; }

    /// <summary>Agent steps between target-network syncs; null keeps the preset's.</summary>
    public int? TargetUpdatePeriod { get; init; }

    /// <summary>Agent steps of the ε decay; null: the preset's, capped at a fifth of the budget when the run is created.</summary>
    public int? EpsilonDecayPeriod { get; init; }

    /// <summary>Seconds between plain progress lines when the console is not interactive.</summary>
    public double LogEverySeconds { get; init; } = 10;

    /// <summary>Episodes averaged for the summary's "recent return" and the report's final score.</summary>
    public int SummaryEpisodes { get; init; } = 100;

    /// <summary>
    /// Iterations between analysis probes (P1 Fig. 10: dormant fractions, srank and relative ranks, eNTK, feature and
    /// parameter norms, router statistics), written to <c>analysis.csv</c> and TensorBoard; 0 turns them off. Probes
    /// never change training (tests/Rl.Tests/Running/IterationProbeTests.cs). An iteration that ends before more than
    /// min-replay-history transitions are stored logs no probe (the replay memory cannot serve a batch yet).
    /// </summary>
    public int ProbeEvery { get; init; } = 1;

    /// <summary>
    /// Transitions per probe batch (P1 §4.3 computes its statistics on batches of 32). The eNTK takes one
    /// forward and backward pass per sample and a B × B Gram matrix of P-long gradient rows (B·P floats held at once:
    /// 128 MB at B = 32 for a 1M-parameter network), so its cost grows with B·P and B²·P. Measured (<c>analysis/probe_seconds</c>) on the shared, heavily loaded
    /// 2-core development machine for the default MinAtar Breakout Soft MoE-4 (expert hidden 512, P = 79,447
    /// parameters): 0.14–0.20 s per probe at B = 32, 0.5–0.8 s at 64, 1.4–2.0 s at 128. At the default 2,000-step
    /// iterations (about 20 s each at 100 steps/s) a probe per iteration at B = 32 adds about 1% to the run.
    /// </summary>
    public int ProbeBatch { get; init; } = 32;

    /// <summary>
    /// τ of both dormant-neuron fractions (ReDo's score ≤ τ, Sokar et al. 2023). Dopamine's default 0 counts units
    /// that are exactly zero on the whole batch; P1's τ for Fig. 10 is not stated.
    /// </summary>
    public double DormantTau { get; init; }

    /// <summary>Largest <see cref="ProbeBatch"/>: the eNTK holds B gradient rows of every parameter at once.</summary>
    public const int MaxProbeBatch = 1024;

    /// <summary>The experiment name actually used: explicit, or the preset and the network tag
    /// (<see cref="RunNames.NetworkTag"/>, which names every network setting).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ExperimentName => Experiment ?? $"{Preset}-{RunNames.NetworkTag(this)}";

    /// <summary>
    /// Checks every field before anything is allocated. Each message names the flag, the value,
    /// the rule, and the allowed values where there is a fixed set.
    /// </summary>
    /// <returns>The problems found (empty when valid).</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string flag, object? value, string rule)
        {
            if (!ok) errors.Add(string.Create(CultureInfo.InvariantCulture, $"--{flag}: '{value}' {rule}."));
        }
        Check(Choices.Presets.Contains(Preset), "preset", Preset, $"is not a preset; allowed: {string.Join(", ", Choices.Presets)}");
        Check(Choices.Networks.Contains(Network), "network", Network, $"is not a network; allowed: {string.Join(", ", Choices.Networks)}");
        Check(Choices.Tokenizers.Contains(Tokenizer), "tokenizer", Tokenizer, $"is not a tokenizer; allowed: {string.Join(", ", Choices.Tokenizers)}");
        Check(Encoder is null || Choices.Encoders.Contains(Encoder), "encoder", Encoder,
              $"is not an encoder; allowed: {string.Join(", ", Choices.Encoders)}");
        if (EnvSpec.TryParse(Env, out EnvSpec? env, out string? envError) is false) errors.Add($"--env: {envError}");
        else if (PresetCatalog.Find(Preset) is { } info && info.Family != env!.Kind)
        {
            errors.Add($"--preset: '{Preset}' is a {info.Family} preset but --env '{Env}' is in the {env.Kind} family; " +
                       $"its presets: {string.Join(", ", PresetCatalog.NamesFor(env.Kind))} (or leave --preset out for " +
                       $"{PresetCatalog.DefaultFor(env.Kind)}).");
        }
        bool atari = env?.Kind == EnvKind.Atari;
        Check(RepeatActionProbability is null || (atari && RepeatActionProbability is >= 0 and <= 1), "repeat-action-probability",
              RepeatActionProbability, atari ? "must lie in [0, 1]" : "applies to atari: environments only");
        Check(TerminalOnLifeLoss is null || atari, "terminal-on-life-loss", TerminalOnLifeLoss, "applies to atari: environments only");
        Check(DenseWidth is null or >= 0, "dense-width", DenseWidth, "must be ≥ 0 (0 = no hidden layer)");
        Check(DenseWidth is null || !Choices.IsMoe(Network), "dense-width", DenseWidth,
              $"applies to dense networks only; size '{Network}' with --expert-hidden");
        Check(DenseWidth is not 0 || Network == "baseline", "dense-width", DenseWidth,
              $"0 (no hidden layer) applies to the baseline network only, not '{Network}'");
        Check(StackSize is null or >= 1, "stack-size", StackSize, "must be ≥ 1");
        Check(FinalEvalEpisodes is null or >= 0, "final-eval-episodes", FinalEvalEpisodes,
              "must be ≥ 0 (0 disables the final evaluation)");
        Check(Experts >= 1, "experts", Experts, "must be ≥ 1");
        Check(WidthMultiplier >= 1, "width-multiplier", WidthMultiplier, "must be ≥ 1");
        Check(!Choices.IsMoe(Network) || WidthMultiplier == 1, "width-multiplier", WidthMultiplier,
              $"applies to dense networks only; scale '{Network}' with --experts or --expert-hidden");
        Check(ExpertHidden is null or >= 1, "expert-hidden", ExpertHidden, "must be ≥ 1");
        Check(TotalSteps >= 1, "total-steps", TotalSteps, "must be ≥ 1");
        Check(Iterations >= 1, "iterations", Iterations, "must be ≥ 1");
        Check(Iterations <= TotalSteps, "iterations", Iterations, $"must not exceed --total-steps ({TotalSteps})");
        Check(EvalEpisodes >= 0, "eval-episodes", EvalEpisodes, "must be ≥ 0 (0 disables evaluation)");
        Check(CheckpointEvery >= 1, "checkpoint-every", CheckpointEvery, "must be ≥ 1");
        Check(KeepCheckpoints >= 1, "keep-checkpoints", KeepCheckpoints, "must be ≥ 1");
        Check(LearningRate is null or > 0 and < 1, "learning-rate", LearningRate, "must lie in (0, 1)");
        Check(BatchSize is null or >= 1, "batch-size", BatchSize, "must be ≥ 1");
        Check(MinReplayHistory is null or >= 0, "min-replay-history", MinReplayHistory, "must be ≥ 0");
        Check(ReplayCapacity is null or >= 64, "replay-capacity", ReplayCapacity, "must be ≥ 64");
        Check(TargetUpdatePeriod is null or >= 1, "target-update-period", TargetUpdatePeriod, "must be ≥ 1");
        Check(EpsilonDecayPeriod is null or >= 1, "epsilon-decay-period", EpsilonDecayPeriod, "must be ≥ 1");
        Check(ProbeEvery >= 0, "probe-every", ProbeEvery, "must be ≥ 0 (0 turns the analysis probes off)");
        Check(ProbeBatch is >= 1 and <= MaxProbeBatch, "probe-batch", ProbeBatch, $"must lie in [1, {MaxProbeBatch}]");
        Check(DormantTau is >= 0 and <= 1, "dormant-tau", DormantTau, "must lie in [0, 1]");
        Check(LogEverySeconds > 0, "log-every-seconds", LogEverySeconds, "must be > 0");
        Check(SummaryEpisodes >= 1, "summary-episodes", SummaryEpisodes, "must be ≥ 1");
        Check(!string.IsNullOrWhiteSpace(Out), "out", Out, "must name a folder");
        Check(Experiment is null || RunFolder.IsSafeName(Experiment), "experiment", Experiment,
              "may contain only letters, digits, '.', '-' and '_'");
        return errors;
    }
}
