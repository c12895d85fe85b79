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

/// <summary>
/// An agent that can run the analysis probes of P1 Fig. 10 (<see cref="Analysis.NetworkProbe"/>) on a batch from
/// its own replay memory, without disturbing training (the runner's <see cref="Running.IterationProbe"/> calls it).
/// </summary>
public interface IProbeableAgent : IAgent
{
    /// <summary>
    /// Probes the online network on <paramref name="batchSize"/> transitions drawn from the replay memory with
    /// <paramref name="rng"/> (a stream of the caller's, never one that training draws from). Training must continue
    /// bit for bit as if the probe had not run: no parameter, optimizer, replay, counter or RNG state may change.
    /// </summary>
    /// <returns>The report, or null when the replay memory cannot serve a batch yet.</returns>
    /// <exception cref="ArgumentException"><paramref name="batchSize"/> is less than 1.</exception>
    Analysis.ProbeReport? Probe(int batchSize, Tensors.Rng rng, Analysis.ProbeOptions? options = null);
}
