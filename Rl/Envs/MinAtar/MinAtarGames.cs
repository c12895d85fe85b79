namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// Creates MinAtar games by registered name (kenjyoung/MinAtar's names). Named <c>MinAtarGames</c> rather than
/// <c>MinAtar</c> because a type must not share its name with the <c>MoeScratch.Rl.Envs.MinAtar</c> namespace.
/// </summary>
public static class MinAtarGames
{
    /// <summary>The registered names, in MinAtar's order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["asterix", "breakout", "freeway", "seaquest", "space_invaders"];

    /// <summary>Creates a game.</summary>
    /// <param name="game">One of <see cref="Names"/> (case-insensitive; a "minatar:" prefix is accepted).</param>
    /// <param name="seed">Seed of the game's RNG (sticky actions and game randomness).</param>
    /// <param name="options">Wrapper settings; null means sticky 0.1, ramping on, all six actions.</param>
    /// <exception cref="ArgumentException">The name is not registered; the message lists the valid names.</exception>
    public static MinAtarGame Create(string game, ulong seed, MinAtarOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(game);
        string name = game.StartsWith("minatar:", StringComparison.OrdinalIgnoreCase) ? game[8..] : game;
        return name.ToLowerInvariant() switch
        {
            "asterix" => new Asterix(seed, options),
            "breakout" => new Breakout(seed, options),
            "freeway" => new Freeway(seed, options),
            "seaquest" => new Seaquest(seed, options),
            "space_invaders" => new SpaceInvaders(seed, options),
            _ => throw new ArgumentException(
                $"MinAtarGames.Create: unknown game '{game}'. Valid names: {string.Join(", ", Names)}.", nameof(game)),
        };
    }
}
