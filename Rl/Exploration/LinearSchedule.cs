namespace MoeScratch.Rl.Exploration;

/// <summary>
/// Dopamine's <c>linearly_decaying_epsilon</c> (google/dopamine <c>dopamine/jax/agents/dqn/dqn_agent.py</c>;
/// P1 Table 2), the Nature DQN schedule (Mnih et al. 2015): ε = <see cref="StartValue"/> for the first
/// <see cref="WarmupSteps"/> steps, then a linear decay to <see cref="FinalValue"/> over
/// <see cref="DecayPeriod"/> steps, then constant.
/// </summary>
/// <param name="DecayPeriod">Steps over which ε decays (250k for DQN, 2k for DER, 5k for DrQ(ε)).</param>
/// <param name="WarmupSteps">Steps held at the start value; Dopamine passes min_replay_history (20k).</param>
/// <param name="FinalValue">ε after the decay, ε_train (0.01).</param>
/// <param name="StartValue">ε during warm-up; Dopamine fixes it at 1.</param>
public sealed record LinearSchedule(long DecayPeriod, long WarmupSteps, double FinalValue, double StartValue = 1.0)
{
    /// <summary>Checks the fields.</summary>
    /// <exception cref="ArgumentException">DecayPeriod ≤ 0, WarmupSteps &lt; 0, or values outside 0 ≤ final ≤ start ≤ 1.</exception>
    public void Validate()
    {
        if (DecayPeriod <= 0)
        {
            throw new ArgumentException($"LinearSchedule.DecayPeriod = {DecayPeriod} must be positive.");
        }
        if (WarmupSteps < 0)
        {
            throw new ArgumentException($"LinearSchedule.WarmupSteps = {WarmupSteps} must be ≥ 0.");
        }
        if (!(FinalValue >= 0 && FinalValue <= StartValue && StartValue <= 1))
        {
            throw new ArgumentException(
                $"LinearSchedule: need 0 ≤ FinalValue ({FinalValue}) ≤ StartValue ({StartValue}) ≤ 1.");
        }
    }

    /// <summary>ε at <paramref name="step"/> (the agent's training-step counter).</summary>
    public double Value(long step)
    {
        Validate();
        // Dopamine: steps_left = decay + warmup − step; bonus = clip((1 − ε)·steps_left/decay, 0, 1 − ε); ε + bonus.
        double span = StartValue - FinalValue;
        double stepsLeft = DecayPeriod + WarmupSteps - step;
        double bonus = Math.Clamp(span * stepsLeft / DecayPeriod, 0.0, span);
        return FinalValue + bonus;
    }

    /// <summary>Dopamine's function with its argument order, for side-by-side reading.</summary>
    public static double LinearlyDecayingEpsilon(long decayPeriod, long step, long warmupSteps, double epsilon) =>
        new LinearSchedule(decayPeriod, warmupSteps, epsilon).Value(step);
}
