using System.CommandLine;
using System.Globalization;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs;
using MoeScratch.Rl.Logging;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Cli;

/// <summary>
/// <c>eval</c>: load a run's checkpoint, play N episodes in evaluation mode (ε_eval, no learning), print the
/// mean ± std of the returns, and optionally write a GIF of the first episode.
/// </summary>
internal static class EvalCommand
{
    /// <summary>Frames kept in a GIF (longer episodes are cut, so a good agent does not produce a huge file).</summary>
    public const int MaxGifFrames = 2_000;

    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "A run folder (written by train)." };
        var checkpoint = OptionFactory.Text("--checkpoint", "A checkpoint: its name inside the run's checkpoints/ (e.g. ckpt-000004-000000010000) or a path (default: the newest intact one).", "name|dir");
        var episodes = OptionFactory.Integer("--episodes", "Episodes to play. [default: 10]", 1, 100_000);
        var seed = OptionFactory.Integer("--seed", "Seed of the evaluation episodes. [default: 12345]", 0);
        var gif = OptionFactory.Text("--gif", "Write a GIF of the first episode to this path.", "file.gif");
        var maxSteps = OptionFactory.Integer("--max-episode-steps", "Cut episodes at this many steps. [default: 27000]", 1);
        var cmd = new Command("eval", "Play episodes with a trained agent and print mean ± std of the returns.");
        cmd.Arguments.Add(run);
        foreach (Option o in new Option[] { checkpoint, episodes, seed, gif, maxSteps }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var r = Evaluate(pr.GetValue(run)!, pr.GetValue(checkpoint), (int)(pr.GetValue(episodes) ?? 10),
                             (ulong)(pr.GetValue(seed) ?? 12345), pr.GetValue(gif), (int)(pr.GetValue(maxSteps) ?? 27_000), ct,
                             pr.InvocationConfiguration.Error);
            pr.InvocationConfiguration.Output.WriteLine(r.ToString());
            return Task.FromResult(0);
        });
        return cmd;
    }

    /// <summary>The outcome of an evaluation.</summary>
    public sealed record EvalResult(string Checkpoint, double[] Returns, string? Gif)
    {
        public double Mean => Returns.Average();

        public double Std => Returns.Length > 1 ? Math.Sqrt(Returns.Sum(x => (x - Mean) * (x - Mean)) / (Returns.Length - 1)) : 0;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Returns.Length} episodes with {Path.GetFileName(Checkpoint)}: return {Mean:F2} ± {Std:F2} (sample std), min {Returns.Min():F2}, max {Returns.Max():F2}{(Gif is null ? "." : $"; GIF of episode 1 in {Gif}.")}");
    }

    /// <summary>Runs the evaluation.</summary>
    /// <param name="log">Receives warnings (checkpoints skipped as corrupt); null discards them.</param>
    public static EvalResult Evaluate(string runFolder, string? checkpoint, int episodes, ulong seed, string? gifPath, int maxSteps, CancellationToken ct,
                                      TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        string cfgPath = Path.Combine(runFolder, RunFolder.ConfigFile);
        if (!File.Exists(cfgPath)) throw new ArgumentException($"eval: '{runFolder}' is not a run folder (no {RunFolder.ConfigFile}).");
        TrainConfig config = JsonConfig.Load(cfgPath);
        using IEnvironment env = TrainSetup.CreateEnvironment(config);
        using DqnAgent agent = TrainSetup.CreateAgent(config, env);
        // A reader: leaves a live trainer's checkpoint in progress alone, and skips the replay memory it never samples.
        string root = Path.Combine(runFolder, RunFolder.CheckpointDir);
        var checkpointer = new RunCheckpointer(root, new AgentStore(agent, loadReplay: false), config.KeepCheckpoints, cleanupLeftovers: false);
        string[] unused = [AgentStore.ReplayFile];
        LoadedRunCheckpoint loaded;
        if (checkpoint is null)
        {
            loaded = checkpointer.LoadNewestValid(env, out IReadOnlyList<string> skipped, unused)
                     ?? throw new InvalidDataException($"eval: '{runFolder}' has no intact checkpoint yet{(skipped.Count > 0 ? $" ({string.Join("; ", skipped)})" : "")}.");
            foreach (string reason in skipped) log.WriteLine($"warning: skipped a checkpoint that cannot be used: {reason}");
        }
        else
        {
            loaded = checkpointer.Load(env, FindCheckpoint(root, checkpoint), unused);
        }
        agent.EvalMode = true;
        var returns = new double[episodes];
        var frames = new List<byte[]>();
        for (int e = 0; e < episodes && !ct.IsCancellationRequested; e++)
        {
            env.Reset(seed + (ulong)e);
            bool record = e == 0 && gifPath is not null;
            if (record) frames.Add(env.Observation.ToArray());
            int action = agent.BeginEpisode(env.Observation);
            double ret = 0;
            for (int t = 0; t < maxSteps; t++)
            {
                StepResult s = env.Step(action);
                ret += s.Reward;
                if (record && frames.Count < MaxGifFrames) frames.Add(env.Observation.ToArray());
                if (s.Done || t == maxSteps - 1)
                {
                    agent.EndEpisode(s.Reward, s.AgentTerminal);
                    break;
                }
                // A life lost with life-loss terminals restarts the agent's state, not the game (as the Runner does).
                if (s.LifeLossTerminal)
                {
                    agent.EndEpisode(s.Reward, terminal: true);
                    action = agent.BeginEpisode(env.Observation);
                    continue;
                }
                action = agent.Step(s.Reward, env.Observation);
            }
            returns[e] = ret;
        }
        string? gif = null;
        if (gifPath is not null && frames.Count > 0)
        {
            var shape = env.ObservationShape;
            byte[] bytes = EnvSpec.Parse(config.Env).Kind == EnvKind.MinAtar
                ? GifEncoder.EncodeMinAtar(frames, shape[0], shape[1], shape[2])
                : GifEncoder.EncodeGrayscale(frames.Select(f => LastChannel(f, shape[2])).ToList(), shape[1], shape[0]);
            File.WriteAllBytes(gifPath, bytes);
            gif = gifPath;
        }
        return new EvalResult(loaded.Path, returns, gif);
    }

    /// <summary>
    /// <c>--checkpoint</c>: a path as given, else a name inside the run's checkpoints/ folder (e.g.
    /// <c>ckpt-000004-000000010000</c>); an unknown name lists the run's checkpoints.
    /// </summary>
    internal static string FindCheckpoint(string root, string checkpoint)
    {
        if (Directory.Exists(checkpoint)) return checkpoint;
        string inside = Path.Combine(root, checkpoint);
        if (Directory.Exists(inside)) return inside;
        var names = RunCheckpointer.List(root).Select(Path.GetFileName).ToList();
        throw new ArgumentException($"--checkpoint: '{checkpoint}' is neither a folder nor a checkpoint of this run; " +
                                    (names.Count == 0 ? $"{root} holds no checkpoint." : $"its checkpoints: {string.Join(", ", names)}."));
    }

    // Atari observations may carry several channels; the GIF shows the newest.
    private static byte[] LastChannel(byte[] hwc, int channels)
    {
        if (channels == 1) return hwc;
        var g = new byte[hwc.Length / channels];
        for (int i = 0; i < g.Length; i++) g[i] = hwc[i * channels + channels - 1];
        return g;
    }
}
