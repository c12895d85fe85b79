namespace MoeScratch.Train.Config;

/// <summary>Which environment family an <c>--env</c> value names.</summary>
public enum EnvKind
{
    /// <summary>A built-in MinAtar game (Young &amp; Tian 2019).</summary>
    MinAtar,

    /// <summary>An Atari ROM played through ALE.</summary>
    Atari,
}

/// <summary>A parsed <c>--env</c> value: <c>minatar:&lt;game&gt;</c> or <c>atari:&lt;rom path&gt;</c>.</summary>
/// <param name="Kind">Family.</param>
/// <param name="Target">MinAtar game name (lower case) or ROM path.</param>
public sealed record EnvSpec(EnvKind Kind, string Target)
{
    /// <summary>A short name for folder names and reports: the game, or the ROM file name without extension.</summary>
    public string ShortName => Kind == EnvKind.MinAtar
        ? $"minatar-{Target}"
        : $"atari-{Path.GetFileNameWithoutExtension(Target)}";

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is allowed.</summary>
    public static bool TryParse(string? text, out EnvSpec? spec, out string? error)
    {
        spec = null;
        error = null;
        const string Allowed = "expected minatar:<game> (games: {0}) or atari:<rom path>";
        string allowed = string.Format(System.Globalization.CultureInfo.InvariantCulture, Allowed,
                                       string.Join(", ", Choices.MinAtarGames));
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"the value is empty; {allowed}.";
            return false;
        }
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string family = colon < 0 ? "" : text[..colon].ToLowerInvariant();
        string rest = colon < 0 ? "" : text[(colon + 1)..];
        switch (family)
        {
            case "minatar":
                string game = rest.ToLowerInvariant();
                if (!Choices.MinAtarGames.Contains(game))
                {
                    error = $"'{text}' names no MinAtar game; {allowed}.";
                    return false;
                }
                spec = new EnvSpec(EnvKind.MinAtar, game);
                return true;
            case "atari":
                if (rest.Length == 0)
                {
                    error = $"'{text}' has no ROM path; {allowed}.";
                    return false;
                }
                spec = new EnvSpec(EnvKind.Atari, rest);
                return true;
            default:
                error = $"'{text}' has no known family prefix; {allowed}.";
                return false;
        }
    }

    /// <summary>Parses or throws <see cref="ArgumentException"/> with the message of <see cref="TryParse"/>.</summary>
    public static EnvSpec Parse(string text) =>
        TryParse(text, out EnvSpec? spec, out string? error) ? spec! : throw new ArgumentException($"--env: {error}", nameof(text));
}
