using MoeScratch.Rl.Envs;

namespace MoeScratch.Rl.Tests.Running;

/// <summary>
/// A deterministic test environment: episode e lasts <c>lengths[e % lengths.Length]</c> steps and step t pays
/// <c>rewards[t % rewards.Length]</c>; the last step is terminal (or truncated when <c>truncateInsteadOfTerminal</c>).
/// A length of 0 means the episode never ends by itself. Steps listed in <c>lifeLosses</c> (1-based within the
/// episode) lose a life that the environment reports as terminal (<see cref="StepResult.LifeLossTerminal"/>) while the
/// game goes on. Not stateful.
/// </summary>
internal sealed class ScriptedEnvironment(int[] lengths, float[] rewards, bool truncateInsteadOfTerminal = false, int[]? lifeLosses = null) : IEnvironment
{
    private readonly byte[] _obs = new byte[2 * 2 * 1];
    private int _episode = -1, _t;

    public string Id => "test:scripted";
    public int ActionCount => 3;
    public IReadOnlyList<int> ObservationShape { get; } = [2, 2, 1];
    public float ObservationScale => 1f;
    public ReadOnlySpan<byte> Observation => _obs;
    public int Resets { get; private set; }
    public List<ulong?> ResetSeeds { get; } = [];

    public void Reset(ulong? seed = null)
    {
        _episode++;
        _t = 0;
        Resets++;
        ResetSeeds.Add(seed);
        Render();
    }

    public StepResult Step(int action)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(action, ActionCount);
        float r = rewards[_t % rewards.Length];
        _t++;
        Render();
        int len = lengths[_episode % lengths.Length];
        bool end = len > 0 && _t >= len;
        bool lifeLost = !end && lifeLosses is not null && lifeLosses.Contains(_t);
        return new StepResult(r, end && !truncateInsteadOfTerminal, end && truncateInsteadOfTerminal, 0, lifeLost);
    }

    private void Render()
    {
        _obs[0] = (byte)_t;
        _obs[1] = (byte)_episode;
    }

    public void Dispose() { }
}
