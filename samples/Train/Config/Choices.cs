namespace MoeScratch.Train.Config;

/// <summary>
/// The fixed value sets of the string-valued flags. They are strings on the command line and in config.json so
/// that error messages can list them verbatim; <see cref="Training.TrainSetup"/> maps them to library enums.
/// </summary>
public static class Choices
{
    /// <summary>Agent presets (Rl/Agents/AgentConfig.Presets.cs), each for one family (<see cref="PresetCatalog"/>).</summary>
    public static IReadOnlyList<string> Presets => PresetCatalog.Names;

    /// <summary>
    /// Encoders: Nature CNN and Impala ResNet (Dopamine jax/networks.py NatureDQNNetwork, ImpalaEncoder) and MinAtar's
    /// one conv.
    /// </summary>
    public static IReadOnlyList<string> Encoders { get; } = ["nature", "impala", "minatar"];

    /// <summary>Network torsos (P1 §3, Fig. 2; P2 Fig. 5): dense baseline, the three MoE layers, P2's tokenized
    /// baselines, global average pooling and P1's "Big" and "All" experts (P1 §5.3).</summary>
    public static IReadOnlyList<string> Networks { get; } =
        ["baseline", "softmoe", "top1", "expertchoice", "tokenized-sum", "tokenized-avg", "gap", "softmoe-big", "softmoe-all"];

    /// <summary>Tokenizations for MoE torsos (P1 §3, Fig. 3; P2 §5.1, Fig. 7).</summary>
    public static IReadOnlyList<string> Tokenizers { get; } =
        ["perconv", "perfeat", "persamp", "perpatch", "perpatch-avgpool", "shuffled"];

    /// <summary>MinAtar games (Rl/Envs/MinAtar).</summary>
    public static IReadOnlyList<string> MinAtarGames => MoeScratch.Rl.Envs.MinAtar.MinAtarGames.Names;

    /// <summary>True for the torsos whose size is set by the number of experts.</summary>
    public static bool IsMoe(string network) => network is "softmoe" or "top1" or "expertchoice" or "softmoe-big" or "softmoe-all";
}
