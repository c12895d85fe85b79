namespace MoeScratch.Train.Config;

/// <summary>What a preset brings besides its agent hyperparameters: its environment family and its protocol.</summary>
/// <param name="Name">The <c>--preset</c> value.</param>
/// <param name="Family">The environments it was tuned for; it runs on no other family.</param>
/// <param name="Atari100k">
/// Runs the Atari-100k protocol (P1 Table 1; Dopamine's <c>labs/atari_100k</c> configs): no sticky actions, a lost
/// life is terminal, 100k agent steps, then one evaluation of 100 episodes at ε_eval that scores the run.
/// </param>
/// <param name="Source">Where its values come from.</param>
public sealed record PresetInfo(string Name, EnvKind Family, bool Atari100k, string Source);

/// <summary>The presets of <c>train --preset</c>, grouped by environment family (issue 22).</summary>
public static class PresetCatalog
{
    /// <summary>Every preset, MinAtar first.</summary>
    public static IReadOnlyList<PresetInfo> All { get; } =
    [
        new("minatar-dqn", EnvKind.MinAtar, false, "Revisiting Rainbow's MinAtar DQN (Dopamine labs/environments/minatar)"),
        new("minatar-rainbow", EnvKind.MinAtar, false, "Revisiting Rainbow's MinAtar Rainbow"),
        new("dqn", EnvKind.Atari, false, "P1's DQN (Dopamine labs/moes/configs/dqn.gin)"),
        new("rainbow-lite", EnvKind.Atari, false, "Dopamine's JaxRainbowAgent (jax/agents/rainbow/configs/rainbow.gin)"),
        new("full-rainbow", EnvKind.Atari, false, "P1's Rainbow (Dopamine labs/moes/configs/full_rainbow.gin)"),
        new("der", EnvKind.Atari, true, "DER (Dopamine labs/atari_100k/configs/DER.gin, labs/moes/configs/DER.gin)"),
        new("drq-eps", EnvKind.Atari, true, "DrQ(ε) (Dopamine labs/atari_100k/configs/DrQ_eps.gin)"),
    ];

    /// <summary>The preset names in <see cref="All"/>'s order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(p => p.Name)];

    /// <summary>The preset an environment family gets without <c>--preset</c>: P1's DQN for Atari, MinAtar's DQN for MinAtar.</summary>
    public static string DefaultFor(EnvKind family) => family == EnvKind.Atari ? "dqn" : "minatar-dqn";

    /// <summary>The presets of one family.</summary>
    public static IReadOnlyList<string> NamesFor(EnvKind family) => [.. All.Where(p => p.Family == family).Select(p => p.Name)];

    /// <summary>The preset called <paramref name="name"/>, or null.</summary>
    public static PresetInfo? Find(string? name) => All.FirstOrDefault(p => p.Name == name);

    /// <summary>True for the presets that run the Atari-100k protocol (der, drq-eps).</summary>
    public static bool IsAtari100k(string? name) => Find(name)?.Atari100k ?? false;
}
