using MoeScratch.Tensors;

namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// Mean episode return of the uniform random policy on a MinAtar game: the floor a trained agent must beat
/// (the MinAtar paper's curves start from it: Young &amp; Tian 2019).
/// </summary>
public static class RandomPolicyBaseline
{
    /// <summary>What <see cref="Measure"/> found.</summary>
    /// <param name="Game">Registered game name.</param>
    /// <param name="Episodes">Episodes played.</param>
    /// <param name="MeanReturn">Mean undiscounted episode return.</param>
    /// <param name="StandardError">Standard error of the mean return (sample std / √episodes).</param>
    /// <param name="MeanLength">Mean episode length in agent steps.</param>
    /// <param name="Truncated">Episodes cut at the step cap instead of ending in the game.</param>
    public readonly record struct Result(
        string Game, int Episodes, double MeanReturn, double StandardError, double MeanLength, int Truncated)
    {
        /// <inheritdoc/>
        public override string ToString() =>
            $"{Game}: mean return {MeanReturn:F3} ± {StandardError:F3} (s.e.) over {Episodes} episodes, " +
            $"mean length {MeanLength:F1}, truncated {Truncated}";
    }

    /// <summary>Plays <paramref name="episodes"/> episodes with uniformly random actions.</summary>
    /// <param name="game">One of <see cref="MinAtarGames.Names"/>.</param>
    /// <param name="episodes">Number of episodes (≥ 1).</param>
    /// <param name="seed">Seeds the game (stream 0) and the action choice (stream 1).</param>
    /// <param name="options">Wrapper settings; null means the MinAtar defaults (sticky 0.1, ramping, 6 actions).</param>
    /// <param name="maxStepsPerEpisode">Step cap per episode (≥ 1); capped episodes count as truncated.</param>
    public static Result Measure(string game, int episodes, ulong seed, MinAtarOptions? options = null,
        int maxStepsPerEpisode = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStepsPerEpisode, 1);
        using MinAtarGame env = MinAtarGames.Create(game, Rng.ForStream(seed, 0).NextUInt64(), options);
        var actions = Rng.ForStream(seed, 1);
        double sum = 0, sumSq = 0, steps = 0;
        int truncated = 0;
        for (int e = 0; e < episodes; e++)
        {
            env.Reset();
            double ret = 0;
            int t = 0;
            bool done = false;
            while (!done && t < maxStepsPerEpisode)
            {
                StepResult r = env.Step(actions.NextInt(env.ActionCount));
                ret += r.Reward;
                done = r.Terminated;
                t++;
            }
            if (!done) truncated++;
            sum += ret;
            sumSq += ret * ret;
            steps += t;
        }
        double mean = sum / episodes;
        double variance = episodes > 1 ? Math.Max(0, (sumSq - episodes * mean * mean) / (episodes - 1)) : 0;
        return new Result(game, episodes, mean, Math.Sqrt(variance / episodes), steps / episodes, truncated);
    }
}
