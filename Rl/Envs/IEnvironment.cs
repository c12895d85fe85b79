namespace MoeScratch.Rl.Envs;

/// <summary>What one environment step returned (the observation is read from <see cref="IEnvironment.Observation"/>).</summary>
/// <param name="Reward">The reward of this step (unclipped; for Atari the sum over skipped frames).</param>
/// <param name="Terminated">The episode ended inside the MDP (game over): no bootstrapping from the next state.</param>
/// <param name="Truncated">The episode was cut by a time limit: not a terminal, bootstrapping stays valid.</param>
/// <param name="Lives">Lives left after the step (0 for games without lives).</param>
/// <param name="LifeLossTerminal">
/// A life was lost at this step, the game goes on, and the environment reports a lost life as terminal (Atari's
/// <c>TerminalOnLifeLoss</c>, Dopamine's <c>terminal_on_life_loss</c>). As Dopamine's runner does, the agent then
/// stores a terminal transition and begins a new episode from the current observation, while the episode itself — its
/// return, length and step cap — runs on until <paramref name="Terminated"/> or <paramref name="Truncated"/>. Never set
/// together with <paramref name="Terminated"/>.
/// </param>
public readonly record struct StepResult(float Reward, bool Terminated, bool Truncated, int Lives, bool LifeLossTerminal = false)
{
    /// <summary>True when the episode is over for either reason (a life-loss terminal does not end it).</summary>
    public bool Done => Terminated || Truncated;

    /// <summary>True when the agent's transition is terminal: game over, or a lost life reported as terminal.</summary>
    public bool AgentTerminal => Terminated || LifeLossTerminal;
}

/// <summary>
/// A single-agent, discrete-action environment with byte observations in HWC layout. MinAtar games
/// (<c>Rl/Envs/MinAtar</c>) and Atari through ALE (<c>Ale.Interop</c>) implement it; a runner owns the loop
/// and agents never call it.
/// </summary>
public interface IEnvironment : IDisposable
{
    /// <summary>A stable id such as "minatar:breakout" or "atari:pong".</summary>
    string Id { get; }

    /// <summary>Number of discrete actions; actions are 0..ActionCount−1.</summary>
    int ActionCount { get; }

    /// <summary>Observation shape [H, W, C] (HWC, matching the NHWC tensors of Tensor.Core).</summary>
    IReadOnlyList<int> ObservationShape { get; }

    /// <summary>Factor that maps observation bytes to network inputs: 1/255 for frames, 1 for 0/1 channels.</summary>
    float ObservationScale { get; }

    /// <summary>The current observation, H·W·C bytes; valid until the next Step or Reset.</summary>
    ReadOnlySpan<byte> Observation { get; }

    /// <summary>Starts a new episode. A seed re-seeds the environment's own randomness first.</summary>
    void Reset(ulong? seed = null);

    /// <summary>Advances one agent step.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The action is outside 0..ActionCount−1.</exception>
    StepResult Step(int action);
}

/// <summary>An environment whose full state (including its RNG) can be saved for bit-exact resume.</summary>
public interface IStatefulEnvironment : IEnvironment
{
    /// <summary>Serialises the complete state.</summary>
    byte[] SaveState();

    /// <summary>Restores a state written by <see cref="SaveState"/>.</summary>
    /// <exception cref="ArgumentException">The bytes are not a state of this environment.</exception>
    void RestoreState(ReadOnlySpan<byte> state);
}
