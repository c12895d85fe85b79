using System.Globalization;

namespace MoeScratch.Train.Config;

/// <summary>
/// Everything one training run needs, resolved from a preset, an optional JSON file and command-line flags (in that
/// order). Every property has a kebab-case flag (<see cref="Cli.TrainOptions"/>) and a snake_case JSON key
/// (<see cref="JsonConfig"/>); the resolved record is written to <c>config.json</c> inside the run folder
/// as well. Nullable agent fields mean "the preset's value".
/// </summary>
public sealed record TrainConfig
{
    /// <summary>Agent preset (hyperparameters of one paper).</summary>
    public string Preset { get; init; } = "minatar-dqn";

    /// <summary>Environment: <c>minatar:&lt;game&gt;</c> or <c>atari:&lt;rom path&gt;</c>.</summary>
    public string Env { get; init; } = "minatar:breakout";

    /// <summary>Network torso variant (P1 §4.1, Fig. 2).</summary>
    public string Network { get; init; } = "softmoe";

    /// <summary>Number of experts (MoE torsos only; ignored by dense torsos).</summary>
    public int Experts { get; init; } = 4;

    /// <summary>Tokenization of the encoder output for MoE torsos (P1 §3; P2 §5).</summary>
    public string Tokenizer { get; init; } = "perconv";

    /// <summary>Penultimate width multiplier of dense torsos (the "scaled baseline", P1 §4.1, Fig. 2).</summary>
    public int WidthMultiplier { get; init; } = 1;

    /// <summary>Expert hidden size; null keeps 512 (P1 §3).</summary>
    public int? ExpertHidden { get; init; }

    /// <summary>
    /// Total training agent steps (split into <see cref="Iterations"/> iterations). The default keeps the no-argument
    /// command to a few minutes on 2 cores: Soft MoE-4 (expert hidden 512) ran at 30–120 steps/s on MinAtar Breakout
    /// on the shared 2-core development machine, the dense baseline at about 180.
    /// </summary>
    public long TotalSteps { get; init; } = 20_000;

    /// <summary>Iterations (Dopamine's unit of checkpointing and evaluation; dopamine run_experiment.py).</summary>
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
    /// Transitions per probe batch (P1 computes its statistics on batches of 32, P1 §4.3). The eNTK takes one
    /// forward and backward pass per sample and a B × B Gram matrix of P-long gradient rows (B·P floats held at once:
    /// 128 MB at B = 32 for a 1M-parameter network), so its cost grows with B·P and B²·P. Measured (<c>analysis/probe_seconds</c>) on the shared, heavily loaded
    /// 2-core development machine for the default MinAtar Breakout Soft MoE-4 (expert hidden 512, P = 79,447
    /// parameters): 0.14–0.20 s per probe at B = 32, 0.5–0.8 s at 64, 1.4–2.0 s at 128. At the default 2,000-step
    /// iterations (about 20 s each at 100 steps/s) a probe per iteration at B = 32 adds about 1% to the run.
    /// </summary>
    public int ProbeBatch { get; init; } = 32;

    /// <summary>
    /// τ of both dormant-neuron fractions (ReDo's score ≤ τ). Dopamine's default 0 counts units that are
    /// exactly zero on the whole batch; P1's τ for Fig. 10 is not stated.
    /// </summary>
    public double DormantTau { get; init; }

    /// <summary>Largest <see cref="ProbeBatch"/>: the eNTK holds B gradient rows of every parameter at once.</summary>
    public const int MaxProbeBatch = 1024;

    /// <summary>The experiment name actually used (explicit, or derived from preset, network and experts).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ExperimentName => Experiment ?? DerivedExperiment();

    private string DerivedExperiment()
    {
        string net = Choices.IsMoe(Network)
            ? string.Create(CultureInfo.InvariantCulture, $"{Network}{Experts}-{Tokenizer}")
            : WidthMultiplier == 1 ? Network : string.Create(CultureInfo.InvariantCulture, $"{Network}x{WidthMultiplier}");
        return $"{Preset}-{net}";
    }

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
        if (EnvSpec.TryParse(Env, out _, out string? envError) is false) errors.Add($"--env: {envError}");
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
