namespace MoeScratch.Rl.Evaluation;

/// <summary>Human and random reference scores of one Atari game.</summary>
/// <param name="Human">Human score.</param>
/// <param name="Random">Uniform-random-policy score.</param>
public readonly record struct AtariReference(double Human, double Random);

/// <summary>
/// Human-normalized Atari scores (google/dopamine `labs/atari_100k/normalization_utils.py`, which
/// matches google-deepmind/dqn_zoo `atari_data.py` except VideoPinball's random score). Normalized score =
/// (score − random) / (human − random). MinAtar has no human reference: its results are reported as raw returns.
/// </summary>
public static class AtariScores
{
    private static readonly Dictionary<string, AtariReference> s_table = new(StringComparer.OrdinalIgnoreCase)
    {
        // 20-game subset of P1/P2 (AirRaid has no reference scores anywhere; see NoReference).
        ["Asterix"] = new(8503.3, 210.0),
        ["Asteroids"] = new(47388.7, 719.1),
        ["Bowling"] = new(160.7, 23.1),
        ["Breakout"] = new(30.5, 1.7),
        ["DemonAttack"] = new(1971.0, 152.1),
        ["Freeway"] = new(29.6, 0.0),
        ["Gravitar"] = new(3351.4, 173.0),
        ["Jamesbond"] = new(302.8, 29.0),
        ["MontezumaRevenge"] = new(4753.3, 0.0),
        ["MsPacman"] = new(6951.6, 307.3),
        ["Pong"] = new(14.6, -20.7),
        ["PrivateEye"] = new(69571.3, 24.9),
        ["Qbert"] = new(13455.0, 163.9),
        ["Seaquest"] = new(42054.7, 68.4),
        ["SpaceInvaders"] = new(1668.7, 148.0),
        ["Venture"] = new(1187.5, 0.0),
        ["WizardOfWor"] = new(4756.5, 563.5),
        ["YarsRevenge"] = new(54576.9, 3092.9),
        ["Zaxxon"] = new(9173.3, 32.5),
        // Remaining games of the 26-game Atari-100k set.
        ["Alien"] = new(7127.7, 227.8),
        ["Amidar"] = new(1719.5, 5.8),
        ["Assault"] = new(742.0, 222.4),
        ["BankHeist"] = new(753.1, 14.2),
        ["BattleZone"] = new(37187.5, 2360.0),
        ["Boxing"] = new(12.1, 0.1),
        ["ChopperCommand"] = new(7387.8, 811.0),
        ["CrazyClimber"] = new(35829.4, 10780.5),
        ["Frostbite"] = new(4334.7, 65.2),
        ["Gopher"] = new(2412.5, 257.6),
        ["Hero"] = new(30826.4, 1027.0),
        ["Kangaroo"] = new(3035.0, 52.0),
        ["Krull"] = new(2665.5, 1598.0),
        ["KungFuMaster"] = new(22736.3, 258.5),
        ["RoadRunner"] = new(7845.0, 11.5),
        ["UpNDown"] = new(11693.2, 533.4),
        // Other games of the 60-game set with reference scores.
        ["Atlantis"] = new(29028.1, 12850.0),
        ["BeamRider"] = new(16926.5, 363.9),
        ["Berzerk"] = new(2630.4, 123.7),
        ["Centipede"] = new(12017.0, 2090.9),
        ["DoubleDunk"] = new(-16.4, -18.6),
        ["Enduro"] = new(860.5, 0.0),
        ["FishingDerby"] = new(-38.7, -91.7),
        ["IceHockey"] = new(0.9, -11.2),
        ["NameThisGame"] = new(8049.0, 2292.3),
        ["Phoenix"] = new(7242.6, 761.4),
        ["Pitfall"] = new(6463.7, -229.4),
        ["Riverraid"] = new(17118.0, 1338.5),
        ["Robotank"] = new(11.9, 2.2),
        ["Skiing"] = new(-4336.9, -17098.1),
        ["Solaris"] = new(12326.7, 1236.3),
        ["StarGunner"] = new(10250.0, 664.0),
        ["Tennis"] = new(-8.3, -23.8),
        ["TimePilot"] = new(5229.2, 3568.0),
        ["Tutankham"] = new(167.6, 11.4),
        // Dopamine's random score (0.0); dqn_zoo uses 16256.9. How P1/P2 normalized it is not stated.
        ["VideoPinball"] = new(17667.9, 0.0),
    };

    /// <summary>Games of the 60-game set that have no human/random reference in any of the source tables.</summary>
    public static IReadOnlyList<string> NoReference { get; } = ["AirRaid", "Carnival", "ElevatorAction", "JourneyEscape", "Pooyan"];

    /// <summary>The games with reference scores, in table order.</summary>
    public static IReadOnlyList<string> Games { get; } = [.. s_table.Keys];

    /// <summary>Looks up a game's reference scores (case-insensitive Dopamine name, e.g. "MsPacman").</summary>
    public static bool TryGet(string game, out AtariReference reference) => s_table.TryGetValue(game, out reference);

    /// <summary>Human-normalized score: (score − random) / (human − random).</summary>
    /// <exception cref="ArgumentException">The game has no reference scores; the message says why.</exception>
    public static double Normalize(string game, double score)
    {
        ArgumentNullException.ThrowIfNull(game);
        if (s_table.TryGetValue(game, out var r)) return (score - r.Random) / (r.Human - r.Random);
        if (NoReference.Contains(game, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException(
                $"Atari game '{game}' has no human/random reference score; report raw returns or leave it out of normalized aggregates.", nameof(game));
        throw new ArgumentException($"Unknown Atari game '{game}'; known names are e.g. {string.Join(", ", s_table.Keys.Take(5))} (Dopamine's spelling).", nameof(game));
    }

    /// <summary>Normalizes a runs × tasks matrix of raw returns whose columns are <paramref name="games"/>.</summary>
    public static double[,] Normalize(IReadOnlyList<string> games, double[,] raw)
    {
        ArgumentNullException.ThrowIfNull(games);
        Metrics.CheckShape(raw);
        if (games.Count != raw.GetLength(1))
            throw new ArgumentException($"{games.Count} game names for a matrix with {raw.GetLength(1)} task columns.", nameof(games));
        var result = new double[raw.GetLength(0), raw.GetLength(1)];
        for (int t = 0; t < games.Count; t++)
            for (int r = 0; r < raw.GetLength(0); r++)
                result[r, t] = Normalize(games[t], raw[r, t]);
        return result;
    }
}
