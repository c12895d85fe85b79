using System.Globalization;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Sweep;

/// <summary>One training job of a sweep: the arguments of a <c>train</c> invocation.</summary>
/// <param name="Index">Position in the sweep (the Slurm array index).</param>
/// <param name="Preset">Agent preset.</param>
/// <param name="Env">Environment.</param>
/// <param name="Network">Network variant as given (e.g. "softmoe:4").</param>
/// <param name="Seed">Seed.</param>
/// <param name="Arguments">The full <c>train</c> argument list.</param>
public sealed record SweepJob(int Index, string Preset, string Env, string Network, ulong Seed, IReadOnlyList<string> Arguments);

/// <summary>
/// Expands presets × environments × network variants × seeds into <see cref="SweepJob"/>s (cleanrl's
/// <c>benchmark.py</c> pattern). Seeds vary fastest so that a partial sweep already has every
/// configuration on the first seeds.
/// </summary>
public static class SweepPlan
{
    /// <summary>
    /// Parses a network variant: <c>name</c>, <c>name:&lt;experts&gt;</c> for MoE torsos, or <c>name:x&lt;k&gt;</c>
    /// for a dense torso's width multiplier. Returns the <c>train</c> flags it stands for.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name or bad suffix; the message lists what is allowed.</exception>
    public static string[] NetworkFlags(string variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        string[] parts = variant.Split(':', 2);
        string name = parts[0].ToLowerInvariant();
        if (!Choices.Networks.Contains(name))
            throw new ArgumentException($"--networks: '{variant}' names no network; allowed: {string.Join(", ", Choices.Networks)} (optionally ':<experts>' for MoE, ':x<k>' for dense).");
        if (parts.Length == 1) return ["--network", name];
        string suffix = parts[1];
        bool moe = Choices.IsMoe(name);
        if (moe && int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out int experts) && experts >= 1)
            return ["--network", name, "--experts", suffix];
        if (!moe && suffix.StartsWith('x') && int.TryParse(suffix[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k >= 1)
            return ["--network", name, "--width-multiplier", suffix[1..]];
        throw new ArgumentException(moe
            ? $"--networks: '{variant}': the suffix of an MoE network is its expert count, e.g. '{name}:8'."
            : $"--networks: '{variant}': the suffix of a dense network is its width multiplier, e.g. '{name}:x2'.");
    }

    /// <summary>Builds the jobs.</summary>
    /// <param name="presets">Agent presets (at least one).</param>
    /// <param name="envs">Environments (at least one), e.g. "minatar:breakout".</param>
    /// <param name="networks">Network variants (at least one), see <see cref="NetworkFlags"/>.</param>
    /// <param name="seeds">Seeds (at least one).</param>
    /// <param name="common">Flags passed to every job (e.g. --total-steps, --out).</param>
    /// <exception cref="ArgumentException">An empty axis, an unknown preset/env/network, or duplicate values.</exception>
    public static List<SweepJob> Expand(IReadOnlyList<string> presets, IReadOnlyList<string> envs, IReadOnlyList<string> networks,
                                        IReadOnlyList<ulong> seeds, IReadOnlyList<string> common)
    {
        NonEmpty(presets, "--presets");
        NonEmpty(envs, "--envs");
        NonEmpty(networks, "--networks");
        NonEmpty(seeds, "--seeds");
        foreach (string p in presets)
            if (!Choices.Presets.Contains(p)) throw new ArgumentException($"--presets: '{p}' is not a preset; allowed: {string.Join(", ", Choices.Presets)}.");
        foreach (string e in envs) EnvSpec.Parse(e);
        var netFlags = networks.Select(NetworkFlags).ToList();
        var jobs = new List<SweepJob>();
        foreach (string preset in presets)
            foreach (string env in envs)
                for (int n = 0; n < networks.Count; n++)
                    foreach (ulong seed in seeds)
                    {
                        var args = new List<string> { "train", "--preset", preset, "--env", env };
                        args.AddRange(netFlags[n]);
                        args.AddRange(["--seed", seed.ToString(CultureInfo.InvariantCulture)]);
                        args.AddRange(common);
                        jobs.Add(new SweepJob(jobs.Count, preset, env, networks[n], seed, args));
                    }
        return jobs;
    }

    private static void NonEmpty<T>(IReadOnlyList<T> values, string flag)
    {
        if (values.Count == 0) throw new ArgumentException($"{flag}: give at least one value.");
        if (values.Distinct().Count() != values.Count) throw new ArgumentException($"{flag}: values repeat ({string.Join(", ", values)}); each must appear once.");
    }
}
