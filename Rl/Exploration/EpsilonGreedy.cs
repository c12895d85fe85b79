using MoeScratch.Tensors;

namespace MoeScratch.Rl.Exploration;

/// <summary>ε-greedy action selection as in Dopamine's <c>select_action</c> (dqn_agent.py).</summary>
public static class EpsilonGreedy
{
    /// <summary>
    /// With probability ε a uniformly random action (which may equal the greedy one), otherwise the first
    /// argmax of <paramref name="qValues"/>. Dopamine draws p ~ U[0, 1) and explores when p ≤ ε; we do the same.
    /// One uniform is always drawn from <paramref name="rng"/>, and a second only when exploring.
    /// </summary>
    /// <param name="qValues">[A] action values of one state (or the expected values of a C51 head).</param>
    /// <param name="epsilon">Exploration rate in [0, 1].</param>
    /// <param name="rng">The exploration stream.</param>
    /// <exception cref="ArgumentException">Empty or NaN q-values, or ε outside [0, 1].</exception>
    public static int SelectAction(ReadOnlySpan<float> qValues, double epsilon, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (qValues.IsEmpty)
        {
            throw new ArgumentException("EpsilonGreedy.SelectAction: qValues is empty; pass one value per action.");
        }
        if (!(epsilon >= 0 && epsilon <= 1))
        {
            throw new ArgumentException($"EpsilonGreedy.SelectAction: epsilon = {epsilon} must lie in [0, 1].");
        }
        int greedy = Argmax(qValues);
        return rng.NextDouble() <= epsilon ? rng.NextInt(qValues.Length) : greedy;
    }

    /// <summary>Index of the first maximum (ties go to the lowest index, like <c>jnp.argmax</c>).</summary>
    /// <exception cref="ArgumentException">Empty, or a NaN value (the network diverged).</exception>
    public static int Argmax(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) throw new ArgumentException("EpsilonGreedy.Argmax: values is empty.");
        int best = 0;
        for (int a = 0; a < values.Length; a++)
        {
            if (float.IsNaN(values[a]))
            {
                throw new ArgumentException($"EpsilonGreedy.Argmax: value {a} is NaN; the Q-network has diverged.");
            }
            if (values[a] > values[best]) best = a;
        }
        return best;
    }
}
