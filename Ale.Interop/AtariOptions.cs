using MoeScratch.Ale.Roms;

namespace MoeScratch.Ale;

/// <summary>
/// Settings of <see cref="AtariEnvironment"/>. The defaults are the Machado et al. (2018) / Dopamine protocol that both
/// reproduced papers use (dopamine atari_lib.py): frame skip 4 with summed rewards and a max over the last
/// two frames, 84×84 grayscale, sticky actions 0.25, the minimal action set, life loss not terminal, no no-op starts,
/// and a cap of 27,000 agent steps (108,000 frames) reported as truncation.
/// </summary>
public sealed record AtariOptions
{
    /// <summary>Path of the ROM file; its MD5 must be in ALE's table (roms/md5.json).</summary>
    public required string RomPath { get; init; }

    /// <summary>Emulator frames per agent step; rewards are summed over them (Dopamine frame_skip = 4).</summary>
    public int FrameSkip { get; init; } = 4;

    /// <summary>Sticky-action probability, ALE's repeat_action_probability (Machado et al. 2018: 0.25).</summary>
    public float RepeatActionProbability { get; init; } = 0.25f;

    /// <summary>Use all 18 legal actions instead of the game's minimal set (Dopamine / ALE v5 use the minimal set).</summary>
    public bool FullActionSet { get; init; }

    /// <summary>
    /// Report a lost life as terminal to the agent (Atari-100k and Nature-DQN training; Dopamine's terminal_on_life_loss) through
    /// <see cref="Rl.Envs.StepResult.LifeLossTerminal"/>; the game continues without a Reset, and the episode lasts
    /// until game over (Dopamine's convention). Machado et al. advise against it, hence off by default.
    /// </summary>
    public bool TerminalOnLifeLoss { get; init; }

    /// <summary>Episode cap in agent steps, reported as truncation (Dopamine: 27,000 steps = 108k frames).</summary>
    public int MaxEpisodeSteps { get; init; } = 27_000;

    /// <summary>
    /// Maximum no-op frames at the start of an episode, drawn uniformly from 1..NoopMax (Gymnasium/Nature DQN use
    /// 30). 0 disables them, as in Dopamine, which relies on sticky actions for stochasticity (atari_lib.py).
    /// </summary>
    public int NoopMax { get; init; }

    /// <summary>Side of the square observation (84).</summary>
    public int ScreenSize { get; init; } = 84;

    /// <summary>
    /// Seed for ALE's random_seed (sticky actions) and the no-op draws; ALE's own default is time-based.
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>An explicit path of libale_c.so; null uses <see cref="Native.AleLibrary"/>'s search.</summary>
    public string? LibraryPath { get; init; }

    /// <summary>Replaces the embedded ROM table (tests with a test-double library only).</summary>
    internal RomTable? RomTableOverride { get; init; }

    /// <summary>
    /// The Atari-100k protocol (dopamine/labs/atari_100k/configs/DER.gin): no sticky actions, life loss terminal,
    /// 27k-step cap.
    /// </summary>
    public static AtariOptions Atari100k(string romPath) =>
        new() { RomPath = romPath, RepeatActionProbability = 0f, TerminalOnLifeLoss = true };

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is out of range; the message names it and the valid range.</exception>
    public void Validate()
    {
        Require(FrameSkip >= 1, $"FrameSkip = {FrameSkip}: must be ≥ 1 (ALE silently forces values < 1 to 1)");
        Require(RepeatActionProbability is >= 0f and <= 1f, $"RepeatActionProbability = {RepeatActionProbability}: must be in [0, 1]");
        Require(MaxEpisodeSteps >= 1, $"MaxEpisodeSteps = {MaxEpisodeSteps}: must be ≥ 1 (27,000 in the standard protocol)");
        Require(NoopMax >= 0, $"NoopMax = {NoopMax}: must be ≥ 0 (0 disables no-op starts, 30 is the Nature-DQN value)");
        Require(ScreenSize is >= 1 and <= 160, $"ScreenSize = {ScreenSize}: must be in 1..160 (84 in the standard protocol)");
    }

    private static void Require(bool ok, string message)
    {
        if (!ok)
        {
            throw new ArgumentException($"AtariOptions.{message}.");
        }
    }
}
