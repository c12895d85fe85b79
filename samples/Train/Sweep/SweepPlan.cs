using System.Globalization;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Sweep;

/// <summary>One training job of a sweep: the arguments of a <c>train --run-dir</c> invocation.</summary>
/// <param name="Index">Position in the sweep (the Slurm array index).</param>
/// <param name="Preset">Agent preset.</param>
/// <param name="Env">Environment.</param>
/// <param name="Network">Network variant as given (e.g. "softmoe:4:perfeat").</param>
/// <param name="Seed">Seed.</param>
/// <param name="Arguments">The full <c>train</c> argument list.</param>
public sealed record SweepJob(int Index, string Preset, string Env, string Network, ulong Seed, IReadOnlyList<string> Arguments)
{
    /// <summary>The job's run folder (its <c>--run-dir</c>), or null for a job that is not a training run.</summary>
    public string? RunDir { get; init; }
}

/// <summary>
/// Expands presets × environments × network variants × seeds into <see cref="SweepJob"/>s (cleanrl's
/// <c>benchmark.py</c> pattern). Seeds vary fastest so that a partial sweep already has every
/// configuration on the first seeds. Each job is <c>train --run-dir &lt;runs&gt;/&lt;preset&gt;__&lt;env&gt;__&lt;network
/// tag&gt;__&lt;seed&gt;</c> (<see cref="RunNames.RunDirName"/>): running a job again continues or completes the same run.
/// </summary>
public static class SweepPlan
{
    /// <summary>Parses a network variant (<see cref="NetworkSpec"/>) and returns the <c>train</c> flags it stands for.</summary>
    /// <exception cref="ArgumentException">Unknown name or bad part; the message lists what is allowed.</exception>
    public static string[] NetworkFlags(string variant) => [.. NetworkSpec.Parse(variant).TrainFlags()];

    /// <summary>Builds the jobs.</summary>
    /// <param name="presets">Agent presets (at least one).</param>
    /// <param name="envs">Environments (at least one), e.g. "minatar:breakout".</param>
    /// <param name="networks">Network variants (at least one), see <see cref="NetworkSpec"/>.</param>
    /// <param name="seeds">Seeds (at least one).</param>
    /// <param name="runsRoot">The folder holding every job's run folder.</param>
    /// <param name="common">Flags passed to every job after its own (e.g. --total-steps, --iterations, --threads).</param>
    /// <exception cref="ArgumentException">An empty axis, an unknown preset/env/network, duplicate values, or two
    /// network variants that are the same network.</exception>
    public static List<SweepJob> Expand(IReadOnlyList<string> presets, IReadOnlyList<string> envs, IReadOnlyList<string> networks,
                                        IReadOnlyList<ulong> seeds, string runsRoot, IReadOnlyList<string> common)
    {
        NonEmpty(presets, "--presets");
        NonEmpty(envs, "--envs");
        NonEmpty(networks, "--networks");
        NonEmpty(seeds, "--seeds");
        foreach (string p in presets)
            if (!Choices.Presets.Contains(p)) throw new ArgumentException($"--presets: '{p}' is not a preset; allowed: {string.Join(", ", Choices.Presets)}.");
        foreach (string e in envs) EnvSpec.Parse(e);
        var specs = networks.Select(NetworkSpec.Parse).ToList();
        var tags = specs.Select(n => (n.Text, Tag: RunNames.NetworkTag(n.ApplyTo(new TrainConfig())))).ToList();
        foreach (var same in tags.GroupBy(t => t.Tag).Where(g => g.Count() > 1))
            throw new ArgumentException($"--networks: {string.Join(" and ", same.Select(t => $"'{t.Text}'"))} are the same network ({same.Key}); give each once.");
        var jobs = new List<SweepJob>();
        foreach (string preset in presets)
            foreach (string env in envs)
                foreach (NetworkSpec net in specs)
                    foreach (ulong seed in seeds)
                    {
                        string runDir = Path.Combine(runsRoot, RunNames.RunDirName(net.ApplyTo(new TrainConfig { Preset = preset, Env = env, Seed = seed })));
                        var args = new List<string> { "train", "--run-dir", runDir, "--preset", preset, "--env", env };
                        args.AddRange(net.TrainFlags());
                        args.AddRange(["--seed", seed.ToString(CultureInfo.InvariantCulture)]);
                        args.AddRange(common);
                        jobs.Add(new SweepJob(jobs.Count, preset, env, net.Text, seed, args) { RunDir = runDir });
                    }
        return jobs;
    }

    private static void NonEmpty<T>(IReadOnlyList<T> values, string flag)
    {
        if (values.Count == 0) throw new ArgumentException($"{flag}: give at least one value.");
        if (values.Distinct().Count() != values.Count) throw new ArgumentException($"{flag}: values repeat ({string.Join(", ", values)}); each must appear once.");
    }
}
