using System.CommandLine;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Cli;

/// <summary>
/// One kebab-case flag per <see cref="TrainConfig"/> field, plus <c>--config</c> (a strict JSON file) and
/// <c>--resume</c> (a run folder). Values are layered: record defaults → <c>--config</c> file (or the resumed run's
/// config.json) → flags typed on the command line.
/// </summary>
internal sealed class TrainOptions
{
    public Option<string> Preset { get; } = OptionFactory.Choice("--preset",
        "Agent preset; each belongs to one environment family (MinAtar: minatar-dqn, minatar-rainbow; Atari: dqn, " +
        "rainbow-lite, full-rainbow, der, drq-eps; der and drq-eps run the Atari-100k protocol). " +
        "[default: dqn for atari:, minatar-dqn for minatar:]", Choices.Presets);
    public Option<string?> Env { get; } = OptionFactory.Text("--env", "Environment: minatar:<game> or atari:<rom path>. [default: minatar:breakout]", "minatar:<game>|atari:<rom>");
    public Option<string> Network { get; } = OptionFactory.Choice("--network", "Network torso.", Choices.Networks);
    public Option<long?> Experts { get; } = OptionFactory.Integer("--experts", "Number of experts (MoE networks).", 1, 1024);
    public Option<string> Tokenizer { get; } = OptionFactory.Choice("--tokenizer", "Tokenization for MoE networks.", Choices.Tokenizers);
    public Option<long?> WidthMultiplier { get; } = OptionFactory.Integer("--width-multiplier", "Penultimate width multiplier (dense networks).", 1, 64);
    public Option<long?> ExpertHidden { get; } = OptionFactory.Integer("--expert-hidden", "Expert hidden size.", 1, 65_536);
    public Option<string> Encoder { get; } = OptionFactory.Choice("--encoder",
        "Encoder. [default: the preset's paper config: nature for dqn (dqn.gin; dqn_impala.gin is impala), rainbow-lite, " +
        "der (DER.gin) and drq-eps; impala for full-rainbow (as P1 ran it); minatar for the MinAtar presets]", Choices.Encoders);
    public Option<long?> DenseWidth { get; } = OptionFactory.Integer("--dense-width",
        "Hidden width of the dense networks before --width-multiplier; 0 = no hidden layer (baseline only): Revisiting " +
        "Rainbow's MinAtar network; 128: the MinAtar paper's. [default: 512, P1's, in every preset]", 0, 65_536);
    public Option<long?> StackSize { get; } = OptionFactory.Integer("--stack-size", "Frames per state. [default: the preset's: 4 Atari, 1 MinAtar]", 1, 64);
    public Option<double?> RepeatActionProbability { get; } = OptionFactory.Closed("--repeat-action-probability",
        "Atari: ALE's sticky-action probability. [default: 0.25; 0 for der and drq-eps]", 0, 1);
    public Option<string> TerminalOnLifeLoss { get; } = OptionFactory.Choice("--terminal-on-life-loss",
        "Atari: a lost life is terminal for the agent; the logged episode runs to game over. [default: false; true for der and drq-eps]", ["true", "false"]);
    public Option<long?> FinalEvalEpisodes { get; } = OptionFactory.Integer("--final-eval-episodes",
        "Evaluation episodes played once after training at ε_eval; they score the run in report. [default: 100 for der and drq-eps, else 0]", 0, 100_000);
    public Option<long?> TotalSteps { get; } = OptionFactory.Integer("--total-steps", "Training agent steps. [default: 100000 for der and drq-eps (Atari-100k), else 20000]", 1);
    public Option<long?> Iterations { get; } = OptionFactory.Integer("--iterations", "Iterations (checkpoint/eval units).", 1, 100_000);
    public Option<long?> EvalEpisodes { get; } = OptionFactory.Integer("--eval-episodes", "Evaluation episodes per iteration (0 = none).", 0, 100_000);
    public Option<long?> Seed { get; } = OptionFactory.Integer("--seed", "Root seed.", 0);
    public Option<string?> Experiment { get; } = OptionFactory.Text("--experiment", "Experiment name in the run-folder name (default: preset-network).", "name");
    public Option<string?> Out { get; } = OptionFactory.Text("--out", "Runs root folder. [default: runs]", "dir");
    public Option<long?> CheckpointEvery { get; } = OptionFactory.Integer("--checkpoint-every", "Checkpoint every k iterations.", 1, 100_000);
    public Option<long?> KeepCheckpoints { get; } = OptionFactory.Integer("--keep-checkpoints", "Checkpoints kept.", 1, 1000);
    public Option<double?> LearningRate { get; } = OptionFactory.Real("--learning-rate", "Adam learning rate (default: the preset's).", 0, 1);
    public Option<long?> BatchSize { get; } = OptionFactory.Integer("--batch-size", "Batch size (default: the preset's).", 1, 65_536);
    public Option<long?> MinReplayHistory { get; } = OptionFactory.Integer("--min-replay-history", "Steps before training starts (default: the preset's).", 0, int.MaxValue);
    public Option<long?> ReplayCapacity { get; } = OptionFactory.Integer("--replay-capacity", "Replay capacity (default: the preset's).", 64, int.MaxValue);
    public Option<long?> TargetUpdatePeriod { get; } = OptionFactory.Integer("--target-update-period", "Steps between target syncs (default: the preset's).", 1, int.MaxValue);
    public Option<long?> EpsilonDecayPeriod { get; } = OptionFactory.Integer("--epsilon-decay-period", "Steps of the ε decay (default: the preset's).", 1, int.MaxValue);
    public Option<double?> LogEverySeconds { get; } = OptionFactory.Real("--log-every-seconds", "Seconds between plain progress lines.", 0);
    public Option<long?> SummaryEpisodes { get; } = OptionFactory.Integer("--summary-episodes", "Episodes averaged in the final summary.", 1, 1_000_000);
    public Option<long?> ProbeEvery { get; } = OptionFactory.Integer("--probe-every", "Iterations between analysis probes, written to analysis.csv and TensorBoard (0 = off). [default: 1]", 0, 100_000);
    public Option<long?> ProbeBatch { get; } = OptionFactory.Integer("--probe-batch", "Transitions per analysis probe; the eNTK cost grows with its square. [default: 32]", 1, TrainConfig.MaxProbeBatch);
    public Option<double?> DormantTau { get; } = OptionFactory.Closed("--dormant-tau", "Dormant-neuron threshold τ of the probes. [default: 0]", 0, 1);
    public Option<string?> ConfigFile { get; } = OptionFactory.Text("--config", "A JSON config file (snake_case keys; unknown keys are errors).", "file.json");
    public Option<string?> Resume { get; } = OptionFactory.Text("--resume", "Continue the run in this run folder from its newest intact checkpoint (it must have one; --run-dir also starts runs).", "run folder");
    public Option<string?> RunDir { get; } = OptionFactory.Text("--run-dir", "The run folder, named by you: starts a run there, resumes it from its newest intact checkpoint, or says it is already complete (exit 0), so the same command can be rerun any number of times (what sweep jobs do). Typed flags must agree with an existing run's config.json, except --total-steps/--iterations, which may extend it.", "dir");

    /// <summary>Every option, for adding to a command.</summary>
    public IEnumerable<Option> All =>
    [
        Preset, Env, Network, Experts, Tokenizer, WidthMultiplier, ExpertHidden, Encoder, DenseWidth, StackSize,
        RepeatActionProbability, TerminalOnLifeLoss, FinalEvalEpisodes, TotalSteps, Iterations, EvalEpisodes,
        Seed, Experiment, Out, CheckpointEvery, KeepCheckpoints, LearningRate, BatchSize, MinReplayHistory,
        ReplayCapacity, TargetUpdatePeriod, EpsilonDecayPeriod, LogEverySeconds, SummaryEpisodes, ProbeEvery, ProbeBatch,
        DormantTau, ConfigFile, Resume, RunDir,
    ];

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in All) command.Options.Add(o);
    }

    /// <summary>
    /// Applies the flags the user typed on top of <paramref name="baseConfig"/> (defaults, or a config file).
    /// </summary>
    public TrainConfig Apply(ParseResult pr, TrainConfig baseConfig)
    {
        TrainConfig c = baseConfig;
        bool G(Option o) => OptionFactory.Given(pr, o);
        if (G(Preset)) c = c with { Preset = pr.GetValue(Preset)! };
        if (G(Env)) c = c with { Env = pr.GetValue(Env)! };
        if (G(Network)) c = c with { Network = pr.GetValue(Network)! };
        if (G(Experts)) c = c with { Experts = (int)pr.GetValue(Experts)!.Value };
        if (G(Tokenizer)) c = c with { Tokenizer = pr.GetValue(Tokenizer)! };
        if (G(WidthMultiplier)) c = c with { WidthMultiplier = (int)pr.GetValue(WidthMultiplier)!.Value };
        if (G(ExpertHidden)) c = c with { ExpertHidden = (int?)pr.GetValue(ExpertHidden) };
        if (G(Encoder)) c = c with { Encoder = pr.GetValue(Encoder) };
        if (G(DenseWidth)) c = c with { DenseWidth = (int?)pr.GetValue(DenseWidth) };
        if (G(StackSize)) c = c with { StackSize = (int?)pr.GetValue(StackSize) };
        if (G(RepeatActionProbability)) c = c with { RepeatActionProbability = pr.GetValue(RepeatActionProbability) };
        if (G(TerminalOnLifeLoss)) c = c with { TerminalOnLifeLoss = pr.GetValue(TerminalOnLifeLoss) == "true" };
        if (G(FinalEvalEpisodes)) c = c with { FinalEvalEpisodes = (int?)pr.GetValue(FinalEvalEpisodes) };
        if (G(TotalSteps)) c = c with { TotalSteps = pr.GetValue(TotalSteps)!.Value };
        if (G(Iterations)) c = c with { Iterations = (int)pr.GetValue(Iterations)!.Value };
        if (G(EvalEpisodes)) c = c with { EvalEpisodes = (int)pr.GetValue(EvalEpisodes)!.Value };
        if (G(Seed)) c = c with { Seed = (ulong)pr.GetValue(Seed)!.Value };
        if (G(Experiment)) c = c with { Experiment = pr.GetValue(Experiment) };
        if (G(Out)) c = c with { Out = pr.GetValue(Out)! };
        if (G(CheckpointEvery)) c = c with { CheckpointEvery = (int)pr.GetValue(CheckpointEvery)!.Value };
        if (G(KeepCheckpoints)) c = c with { KeepCheckpoints = (int)pr.GetValue(KeepCheckpoints)!.Value };
        if (G(LearningRate)) c = c with { LearningRate = pr.GetValue(LearningRate) };
        if (G(BatchSize)) c = c with { BatchSize = (int?)pr.GetValue(BatchSize) };
        if (G(MinReplayHistory)) c = c with { MinReplayHistory = (int?)pr.GetValue(MinReplayHistory) };
        if (G(ReplayCapacity)) c = c with { ReplayCapacity = (int?)pr.GetValue(ReplayCapacity) };
        if (G(TargetUpdatePeriod)) c = c with { TargetUpdatePeriod = (int?)pr.GetValue(TargetUpdatePeriod) };
        if (G(EpsilonDecayPeriod)) c = c with { EpsilonDecayPeriod = (int?)pr.GetValue(EpsilonDecayPeriod) };
        if (G(LogEverySeconds)) c = c with { LogEverySeconds = pr.GetValue(LogEverySeconds)!.Value };
        if (G(SummaryEpisodes)) c = c with { SummaryEpisodes = (int)pr.GetValue(SummaryEpisodes)!.Value };
        if (G(ProbeEvery)) c = c with { ProbeEvery = (int)pr.GetValue(ProbeEvery)!.Value };
        if (G(ProbeBatch)) c = c with { ProbeBatch = (int)pr.GetValue(ProbeBatch)!.Value };
        if (G(DormantTau)) c = c with { DormantTau = pr.GetValue(DormantTau)!.Value };
        return c;
    }

    /// <summary>
    /// Resolves the session: defaults, then <c>--config</c> or an existing run's config.json, then typed flags. For an
    /// existing run (<c>--resume</c>, or <c>--run-dir</c> on a folder with config.json) the typed flags must agree with
    /// the run, except the budget, which may grow, and the settings that never change training
    /// (<see cref="RunConfigRules.Continue"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A bad file, conflicting flags, or a flag that disagrees with the run.</exception>
    public RunRequest Resolve(ParseResult pr)
    {
        var byName = All.ToDictionary(o => o.Name, StringComparer.Ordinal);
        bool G(Option o) => OptionFactory.Given(pr, o);
        bool Typed(string name) => byName.TryGetValue(name, out Option? o) && G(o);
        string? resume = pr.GetValue(Resume), runDir = pr.GetValue(RunDir), file = pr.GetValue(ConfigFile);
        if (resume is not null && runDir is not null)
            throw new ArgumentException("--resume and --run-dir are exclusive: --run-dir already resumes a run that has a checkpoint.");
        string? folder = runDir ?? resume;
        string folderFlag = runDir is null ? "--resume" : "--run-dir";
        if (folder is not null && G(Out)) throw new ArgumentException($"--out and {folderFlag} are exclusive: {folderFlag} names the run folder itself.");
        if (resume is not null && file is not null) throw new ArgumentException("--config and --resume are exclusive: a resumed run uses the config.json in its folder.");
        RunMode mode = resume is not null ? RunMode.Resume : runDir is not null ? RunMode.RunDir : RunMode.New;
        string? savedPath = folder is null ? null : Path.Combine(folder, RunFolder.ConfigFile);
        if (mode == RunMode.Resume && !File.Exists(savedPath))
        {
            throw new ArgumentException(Directory.Exists(resume)
                ? $"--resume: '{resume}' is not a run folder (it has no {RunFolder.ConfigFile}); start a run there with --run-dir {resume}."
                : $"--resume: run folder '{resume}' does not exist; start a run there with --run-dir {resume}.");
        }
        if (savedPath is not null && File.Exists(savedPath))
        {
            TrainConfig saved = JsonConfig.Load(savedPath);
            TrainConfig start = saved;
            if (file is not null)
            {
                // A config file given again for an existing run is compared whole, its budget-derived defaults fixed
                // as they were when the run was created.
                TrainConfig f = JsonConfig.Load(file);
                start = TrainSetup.ResolveDerived(f with { TotalSteps = saved.TotalSteps, Iterations = saved.Iterations }) with
                {
                    TotalSteps = f.TotalSteps, Iterations = f.Iterations, Out = saved.Out,
                };
            }
            TrainConfig requested = Apply(pr, start);
            RunConfigRules.CheckNetworkFlags(requested, Typed);
            return new RunRequest(RunConfigRules.Continue(saved, requested, savedPath, G(Iterations) || file is not null), mode, folder);
        }
        TrainConfig config = Apply(pr, file is null ? new TrainConfig() : JsonConfig.Load(file));
        RunConfigRules.CheckNetworkFlags(config, Typed);
        // config.json then says where the run lives (its runs root), as for a run folder named by train itself.
        if (folder is not null) config = config with { Out = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(folder)) is { Length: > 0 } root ? root : "." };
        return new RunRequest(config, mode, folder);
    }
}
