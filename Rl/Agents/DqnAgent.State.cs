using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>
/// The small, JSON-serialisable part of an agent checkpoint: counters, every RNG stream,
/// the acting state (frame stack, last frame, last action) and the latest statistics.
/// </summary>
/// <param name="TrainingSteps">Dopamine's training_steps.</param>
/// <param name="GradientUpdates">Gradient updates performed.</param>
/// <param name="EnvSteps">Training-mode agent steps.</param>
/// <param name="OptimizerSteps">Adam's step count t.</param>
/// <param name="RngStates">Base64 xoshiro states by stream name.</param>
/// <param name="FrameStack">Base64 of the current stacked state bytes.</param>
/// <param name="LastFrame">Base64 of the frame the last action was taken in.</param>
/// <param name="LastAction">The last action returned.</param>
/// <param name="EvalMode">Whether the agent was in evaluation mode.</param>
/// <param name="LastStats">[loss, td, aux, meanQ] of the latest update; NaN before the first update, so serialise
/// with <c>JsonNumberHandling.AllowNamedFloatingPointLiterals</c>.</param>
public sealed record AgentCounters(long TrainingSteps, long GradientUpdates, long EnvSteps, long OptimizerSteps,
                                   Dictionary<string, string> RngStates, string FrameStack, string LastFrame,
                                   int LastAction, bool EvalMode, float[] LastStats);

/// <summary>Everything of an agent except its replay memory: named tensors plus <see cref="AgentCounters"/>.</summary>
/// <param name="Tensors">"online.*", "target.*" and "optimizer.*" tensors. <see cref="DqnAgent.CaptureState"/>
/// returns the live tensors: write them out before the agent trains again.</param>
/// <param name="Counters">Counters, RNG states and acting state.</param>
public sealed record AgentState(IReadOnlyDictionary<string, Tensor> Tensors, AgentCounters Counters);

public sealed partial class DqnAgent
{
    private const string OnlinePrefix = "online.", TargetPrefix = "target.", OptimizerPrefix = "optimizer.";

    /// <summary>
    /// The agent's complete state apart from the replay memory (save that with <see cref="SaveReplay"/>): online,
    /// target and optimizer tensors by name, and the counters with every RNG stream (action, sampling lives in the
    /// replay file, online and target noise, augmentation, expert samples).
    /// </summary>
    public AgentState CaptureState()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in Online.StateDict()) tensors[OnlinePrefix + k] = t;
        foreach (var (k, t) in Target.StateDict()) tensors[TargetPrefix + k] = t;
        foreach (var (k, t) in Optimizer.StateDict()) tensors[OptimizerPrefix + k] = t;
        var rngs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, rng) in NamedRngs()) rngs[name] = Convert.ToBase64String(rng.SaveState());
        var counters = new AgentCounters(_trainingSteps, _gradientUpdates, _envSteps, Optimizer.StepCount, rngs,
            Convert.ToBase64String(_stack), Convert.ToBase64String(_frame), _lastAction, _evalMode,
            [_lastLoss, _lastTd, _lastAux, _lastMeanQ]);
        return new AgentState(tensors, counters);
    }

    /// <summary>
    /// Restores a state from <see cref="CaptureState"/> of an agent built with the same config, shapes and
    /// seed. RNG streams are restored last (torchrl's rule).
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is missing or has another shape, or a counter field does not
    /// fit this agent (named in the message).</exception>
    public void RestoreState(AgentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var c = state.Counters;
        Online.LoadStateDict(Section(state.Tensors, OnlinePrefix));
        Target.LoadStateDict(Section(state.Tensors, TargetPrefix));
        Optimizer.LoadStateDict(Section(state.Tensors, OptimizerPrefix), c.OptimizerSteps);
        byte[] stack = Convert.FromBase64String(c.FrameStack), frame = Convert.FromBase64String(c.LastFrame);
        if (stack.Length != _stack.Length || frame.Length != _frame.Length || c.LastStats.Length != 4)
        {
            throw new ArgumentException(
                $"DqnAgent.RestoreState: the saved frame stack ({stack.Length} bytes), last frame ({frame.Length}) or " +
                $"stats ({c.LastStats.Length}) do not fit this agent ({_stack.Length}, {_frame.Length}, 4).");
        }
        stack.CopyTo(_stack, 0);
        frame.CopyTo(_frame, 0);
        (_trainingSteps, _gradientUpdates, _envSteps) = (c.TrainingSteps, c.GradientUpdates, c.EnvSteps);
        (_lastAction, _evalMode) = (c.LastAction, c.EvalMode);
        (_lastLoss, _lastTd, _lastAux, _lastMeanQ) = (c.LastStats[0], c.LastStats[1], c.LastStats[2], c.LastStats[3]);
        foreach (var (name, rng) in NamedRngs())
        {
            if (!c.RngStates.TryGetValue(name, out var b64))
            {
                throw new ArgumentException($"DqnAgent.RestoreState: the RNG stream '{name}' is missing from the counters.");
            }
            rng.RestoreState(Convert.FromBase64String(b64));
        }
    }

    /// <summary>Writes the replay memory with its sampler (priorities and sampling RNG).</summary>
    public void SaveReplay(Stream stream) => Replay.Save(stream);

    /// <summary>Restores the replay memory written by <see cref="SaveReplay"/>.</summary>
    public void LoadReplay(Stream stream) => Replay.Load(stream);

    private IEnumerable<(string Name, Rng Rng)> NamedRngs()
    {
        yield return ("act", _actRng);
        yield return ("online_noise", _onlineNoise);
        yield return ("target_noise", _targetNoise);
        yield return ("augment", _augRng);
        yield return ("experts", _expertRng);
    }

    private static Dictionary<string, Tensor> Section(IReadOnlyDictionary<string, Tensor> all, string prefix)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, t) in all)
        {
            if (k.StartsWith(prefix, StringComparison.Ordinal)) d[k[prefix.Length..]] = t;
        }
        return d;
    }
}
