using MoeScratch.Rl.Agents;

namespace MoeScratch.Rl.Running;

/// <summary>Which phase of an iteration an episode belongs to.</summary>
public enum RunPhase
{
    /// <summary>Training: the agent stores transitions and learns.</summary>
    Training = 0,

    /// <summary>Evaluation: <see cref="IAgent.EvalMode"/> is on.</summary>
    Evaluation = 1,
}

/// <summary>One finished episode.</summary>
/// <param name="Phase">Training or evaluation.</param>
/// <param name="Iteration">0-based iteration it ran in.</param>
/// <param name="Index">0-based episode number within its phase over the whole run.</param>
/// <param name="Return">Undiscounted, unclipped return (what the papers report).</param>
/// <param name="Length">Agent steps.</param>
/// <param name="Truncated">Ended by the step cap (or the environment's own time limit) rather than a terminal.</param>
/// <param name="TotalSteps">Training agent steps of the run once this episode ended (the logging x-axis).</param>
public readonly record struct EpisodeRecord(RunPhase Phase, int Iteration, long Index, double Return, int Length, bool Truncated, long TotalSteps);

/// <summary>Aggregates of the episodes of one phase of one iteration.</summary>
/// <param name="Episodes">Episodes finished.</param>
/// <param name="Steps">Agent steps taken.</param>
/// <param name="MeanReturn">Mean unclipped return (NaN with no episodes).</param>
/// <param name="MinReturn">Smallest return (NaN with no episodes).</param>
/// <param name="MaxReturn">Largest return (NaN with no episodes).</param>
/// <param name="MeanLength">Mean episode length (NaN with no episodes).</param>
/// <param name="WallSeconds">Wall time of the phase (not deterministic; excluded from equality checks).</param>
/// <param name="EnvSeconds">Time spent inside <c>IEnvironment.Step/Reset</c>.</param>
public readonly record struct PhaseStats(int Episodes, long Steps, double MeanReturn, double MinReturn, double MaxReturn,
                                         double MeanLength, double WallSeconds, double EnvSeconds)
{
    /// <summary>Agent steps per wall-clock second (Dopamine's <c>Train/AverageStepsPerSecond</c>).</summary>
    public double StepsPerSecond => WallSeconds > 0 ? Steps / WallSeconds : double.NaN;

    /// <summary>Environment-only throughput: steps per second spent in the environment.</summary>
    public double EnvStepsPerSecond => EnvSeconds > 0 ? Steps / EnvSeconds : double.NaN;

    /// <summary>Aggregates a phase's episodes.</summary>
    public static PhaseStats From(IReadOnlyList<EpisodeRecord> episodes, long steps, double wallSeconds, double envSeconds)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        if (episodes.Count == 0) return new PhaseStats(0, steps, double.NaN, double.NaN, double.NaN, double.NaN, wallSeconds, envSeconds);
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity, len = 0;
        foreach (var e in episodes)
        {
            sum += e.Return;
            min = Math.Min(min, e.Return);
            max = Math.Max(max, e.Return);
            len += e.Length;
        }
        return new PhaseStats(episodes.Count, steps, sum / episodes.Count, min, max, len / episodes.Count, wallSeconds, envSeconds);
    }
}

/// <summary>What one iteration produced.</summary>
/// <param name="Iteration">0-based iteration index.</param>
/// <param name="TotalSteps">Training agent steps of the run at the end of the iteration.</param>
/// <param name="Training">Training-phase aggregates.</param>
/// <param name="Evaluation">Evaluation-phase aggregates (0 episodes when no evaluation is configured).</param>
/// <param name="Agent">The agent's counters and latest losses at the end of the iteration.</param>
public readonly record struct IterationStats(int Iteration, long TotalSteps, PhaseStats Training, PhaseStats Evaluation, AgentStats Agent);

/// <summary>Why <see cref="Runner.Run"/> returned.</summary>
public enum StopReason
{
    /// <summary>All configured iterations ran.</summary>
    Completed = 0,

    /// <summary>The cancellation token fired; the episode in progress was finished first.</summary>
    Cancelled = 1,
}

/// <summary>The outcome of <see cref="Runner.Run"/>.</summary>
/// <param name="Reason">Why it stopped.</param>
/// <param name="IterationsCompleted">Iterations completed in the whole run (resumed ones included).</param>
/// <param name="TotalSteps">Training agent steps of the run.</param>
/// <param name="Iterations">The iterations completed by this call, in order.</param>
/// <param name="LastCheckpoint">Directory of the last checkpoint written by this call, or null.</param>
public sealed record RunResult(StopReason Reason, int IterationsCompleted, long TotalSteps, IReadOnlyList<IterationStats> Iterations, string? LastCheckpoint);
