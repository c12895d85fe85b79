namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// Settings of MinAtar's <c>Environment</c> wrapper (MinAtar environment.py). The defaults are the ones behind the
/// published results: sticky actions 0.1, difficulty ramping on, all six actions.
/// </summary>
public sealed record MinAtarOptions
{
    /// <summary>
    /// Probability that the chosen action is replaced by the previously executed one (MinAtar's sticky actions).
    /// Default 0.1 as in MinAtar and Revisiting Rainbow; 0 disables it.
    /// </summary>
    public double StickyActionProbability { get; init; } = 0.1;

    /// <summary>Whether Asterix, Seaquest and Space Invaders speed up over an episode (default on).</summary>
    public bool DifficultyRamping { get; init; } = true;

    /// <summary>
    /// Use the game's minimal action set (gym id <c>-v1</c>) instead of all six actions (<c>-v0</c>, what the
    /// published results use). Default false.
    /// </summary>
    public bool MinimalActionSet { get; init; }
}

/// <summary>The six MinAtar actions, in MinAtar's index order (MinAtar environment.py: n, l, u, r, d, f).</summary>
public enum MinAtarAction
{
    /// <summary>'n': do nothing.</summary>
    NoOp = 0,

    /// <summary>'l': move left.</summary>
    Left = 1,

    /// <summary>'u': move up.</summary>
    Up = 2,

    /// <summary>'r': move right.</summary>
    Right = 3,

    /// <summary>'d': move down.</summary>
    Down = 4,

    /// <summary>'f': fire.</summary>
    Fire = 5,
}
