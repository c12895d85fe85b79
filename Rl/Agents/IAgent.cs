namespace MoeScratch.Rl.Agents;

/// <summary>
/// The episode protocol between a runner and an agent (Dopamine's begin_episode / step / end_episode). The agent
/// never touches an environment: the runner passes each new frame and reward in and gets the next action back.
/// The agent keeps its own frame stack, stores transitions in its replay memory and trains on its own schedule.
/// </summary>
public interface IAgent : IDisposable
{
    /// <summary>Number of actions the agent chooses from.</summary>
    int ActionCount { get; }

    /// <summary>
    /// Evaluation mode: no storing, no training, ε_eval instead of the training schedule, noise off in noisy
    /// networks.
    /// </summary>
    bool EvalMode { get; set; }

    /// <summary>Starts an episode with its first frame (H·W·C bytes) and returns the first action.</summary>
    int BeginEpisode(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Records the reward of the previous action (already clipped by the runner when configured) and the frame
    /// it led to; may run gradient updates; returns the next action.
    /// </summary>
    int Step(float reward, ReadOnlySpan<byte> frame);

    /// <summary>
    /// Ends the episode. <paramref name="terminal"/> is false when the episode was truncated (time limit):
    /// the last transition then keeps its bootstrap.
    /// </summary>
    void EndEpisode(float reward, bool terminal);

    /// <summary>Counters and the most recent losses, for logging.</summary>
    AgentStats Stats { get; }
}

/// <summary>Training counters and the latest update's statistics.</summary>
/// <param name="EnvSteps">Agent steps taken in training mode.</param>
/// <param name="GradientUpdates">Gradient updates performed.</param>
/// <param name="LastLoss">Total loss of the latest update (NaN before the first).</param>
/// <param name="LastTdLoss">TD (or C51 cross-entropy) part of the latest loss.</param>
/// <param name="LastAuxLoss">Auxiliary (MoE load-balancing, CQL) part of the latest loss.</param>
/// <param name="LastMeanQ">Mean Q(s, a) over the latest batch.</param>
/// <param name="Epsilon">The current training ε.</param>
public readonly record struct AgentStats(long EnvSteps, long GradientUpdates, float LastLoss, float LastTdLoss,
                                         float LastAuxLoss, float LastMeanQ, float Epsilon);
