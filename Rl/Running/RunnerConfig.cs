using System.Text.Json.Nodes;

namespace MoeScratch.Rl.Running;

/// <summary>
/// The iteration protocol of <see cref="Runner"/>. The defaults are Dopamine's Atari runner
/// (dopamine run_experiment.py, atari_lib.py: 200 iterations of 250,000 training agent steps, rewards clipped to
/// [−1, 1] for the agent, episodes capped at 27,000 agent steps, a checkpoint every iteration, the last 4 kept),
/// with the <c>continuous_train</c> schedule the papers use (no evaluation phase).
/// </summary>
public sealed record RunnerConfig
{
    /// <summary>Number of iterations (Dopamine: 200 = 200M frames).</summary>
    public int Iterations { get; init; } = 200;

    /// <summary>
    /// Minimum training agent steps per iteration (Dopamine: 250,000). Whole episodes run until at least this
    /// many steps are collected, so iteration boundaries fall on episode boundaries (run_experiment.py).
    /// </summary>
    public long TrainingStepsPerIteration { get; init; } = 250_000;

    /// <summary>
    /// Minimum evaluation agent steps per iteration, again in whole episodes (Dopamine's
    /// <c>continuous_train_and_eval</c> uses 125,000). 0 disables the step-based evaluation phase.
    /// </summary>
    public long EvaluationSteps { get; init; }

    /// <summary>
    /// Exact number of evaluation episodes per iteration (the Atari-100k protocol evaluates 100 episodes,
    /// dopamine labs/atari_100k). 0 disables it. At most one of this and <see cref="EvaluationSteps"/> may be set.
    /// </summary>
    public int EvaluationEpisodes { get; init; }

    /// <summary>Clip the reward the agent sees to [−<see cref="RewardClip"/>, +<see cref="RewardClip"/>];
    /// logged returns stay unclipped (dopamine atari_lib.py).</summary>
    public bool ClipRewards { get; init; } = true;

    /// <summary>The clipping bound (Dopamine: 1).</summary>
    public float RewardClip { get; init; } = 1f;

    /// <summary>
    /// Episode cap in agent steps (Dopamine: 27,000 = 108k frames). A capped episode is reported to the agent as
    /// non-terminal (truncation keeps its bootstrap). Null means no cap.
    /// </summary>
    public int? MaxEpisodeSteps { get; init; } = 27_000;

    /// <summary>Write a run checkpoint every this many iterations (Dopamine: every iteration).</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Checkpoints kept on disk (Dopamine's <c>checkpoint_duration</c> = 4).</summary>
    public int KeepCheckpoints { get; init; } = 4;

    /// <summary>
    /// Root seed of the run. The runner uses it only to reseed an environment without saved state when a run
    /// resumes (see <see cref="RunnerState.NeedsEnvironmentReseed"/>); agents and environments take their own
    /// streams from it when the caller builds them.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>Dopamine's Atari DQN / Rainbow runner (the defaults of this record).</summary>
    public static RunnerConfig Atari() => new();

    /// <summary>
    /// Dopamine's MinAtar runner (<c>labs/environments/minatar/*.gin</c>, Revisiting Rainbow): 10 iterations
    /// of 1M training steps, rewards clipped, no episode cap.
    /// </summary>
    public static RunnerConfig MinAtar() => new() { Iterations = 10, TrainingStepsPerIteration = 1_000_000, MaxEpisodeSteps = null };

    /// <summary>The Atari-100k protocol (labs/atari_100k): 10 × 10k steps, cap 27k, 100 evaluation episodes.</summary>
    public static RunnerConfig Atari100k() => new() { Iterations = 10, TrainingStepsPerIteration = 10_000, EvaluationEpisodes = 100 };

    /// <summary>Checks every field before anything runs.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it and the fix.</exception>
    public void Validate()
    {
        if (Iterations < 1) throw Bad(nameof(Iterations), Iterations, "must be ≥ 1");
        if (TrainingStepsPerIteration < 1) throw Bad(nameof(TrainingStepsPerIteration), TrainingStepsPerIteration, "must be ≥ 1");
        if (EvaluationSteps < 0) throw Bad(nameof(EvaluationSteps), EvaluationSteps, "must be ≥ 0 (0 disables evaluation)");
        if (EvaluationEpisodes < 0) throw Bad(nameof(EvaluationEpisodes), EvaluationEpisodes, "must be ≥ 0 (0 disables evaluation)");
        if (EvaluationSteps > 0 && EvaluationEpisodes > 0)
        {
            throw new ArgumentException(
                $"RunnerConfig: EvaluationSteps ({EvaluationSteps}) and EvaluationEpisodes ({EvaluationEpisodes}) are both set; " +
                "choose one evaluation budget and set the other to 0.");
        }
        if (!(RewardClip > 0f) || !float.IsFinite(RewardClip)) throw Bad(nameof(RewardClip), RewardClip, "must be a positive finite bound");
        if (MaxEpisodeSteps is < 1) throw Bad(nameof(MaxEpisodeSteps), MaxEpisodeSteps, "must be ≥ 1, or null for no cap");
        if (CheckpointEvery < 1) throw Bad(nameof(CheckpointEvery), CheckpointEvery, "must be ≥ 1");
        if (KeepCheckpoints < 1) throw Bad(nameof(KeepCheckpoints), KeepCheckpoints, "must be ≥ 1 (the latest is always kept)");
    }

    /// <summary>The configuration as JSON, for checkpoint manifests and hyperparameter logs.</summary>
    public JsonObject ToJson() => new()
    {
        ["iterations"] = Iterations,
        ["training_steps_per_iteration"] = TrainingStepsPerIteration,
        ["evaluation_steps"] = EvaluationSteps,
        ["evaluation_episodes"] = EvaluationEpisodes,
        ["clip_rewards"] = ClipRewards,
        ["reward_clip"] = RewardClip,
        ["max_episode_steps"] = MaxEpisodeSteps,
        ["checkpoint_every"] = CheckpointEvery,
        ["keep_checkpoints"] = KeepCheckpoints,
        ["seed"] = Seed,
    };

    private static ArgumentException Bad(string name, object? value, string rule) =>
        new($"RunnerConfig.{name} = {value?.ToString() ?? "null"} {rule}.");
}
