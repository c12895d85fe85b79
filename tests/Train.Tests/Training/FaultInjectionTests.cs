using System.Globalization;
using System.Text.RegularExpressions;
using MoeScratch.Nn.Checkpoints;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Train.Cli;

namespace MoeScratch.Train.Tests.Training;

/// <summary>
/// Issue 17 item 7: <c>kill -9</c> at random moments of a run that checkpoints every iteration, 20 times, each followed
/// by <c>train --run-dir</c> again. Every session must continue from the newest complete checkpoint left by the
/// killed one, and the finished run must equal an uninterrupted run with the same seed: the same metrics rows and the
/// same final network, optimizer and replay memory, bit for bit. The trainer runs as a child process (the built app),
/// on one thread, with a budget of seconds.
/// </summary>
[NonParallelizable]
public partial class FaultInjectionTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("moescratch-kill9-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private const int Iterations = 10;

    // 1,500 steps in 10 iterations of 150 (300 finished within 4 of the 20 sessions on a quiet machine, leaving too few
    // to kill mid-way), a tiny Soft MoE that starts learning after 50 steps, a checkpoint after every
    // iteration (the default), the newest 2 kept.
    private static string[] Args(string runDir) =>
    [
        "train", "--run-dir", runDir, "--total-steps", "1500", "--iterations", "10", "--seed", "11", "--experts", "2", "--expert-hidden", "8",
        "--batch-size", "8", "--min-replay-history", "50", "--probe-every", "0", "--progress", "plain", "--threads", "1",
        "--log-every-seconds", "0.01", // a progress line per episode: the test sees when training is under way
    ];

    // Columns of metrics.csv that depend on the run only (not on wall time).
    private static readonly string[] Deterministic = ["phase", "iteration", "episode", "total_steps", "return", "length", "loss", "epsilon"];

    [Test]
    public void KillDash9AtRandomMoments_ThenRunDirAgain_ContinuesFromTheLastCompleteCheckpoint_AndEndsLikeAnUninterruptedRun()
    {
        // The uninterrupted run, also a child process; it times a session's start-up (to its first progress line).
        string reference = Path.Combine(_dir, "reference");
        double startup;
        using (TrainerProcess straight = TrainerProcess.Start(Args(reference)))
        {
            Assert.That(straight.WaitFor("step=", TimeSpan.FromMinutes(2)), Is.True, straight.Output);
            startup = straight.Elapsed;
            Assert.That(straight.WaitForExit(TimeSpan.FromMinutes(2)), Is.Zero, straight.Output);
        }

        // Kill moments, in equal shares: (a) uniformly in the start-up (process start, lock, checkpoint load,
        // compilation); (b) uniformly in the first 0.5 s of training; (c) after the session has written a checkpoint of
        // its own, uniformly within the time that took, so that the kill lands anywhere in the next iteration, its
        // checkpoint write included. Timing from events rather than a clock calibrated once keeps the spread on a
        // loaded machine, and (c) moves the run on by at least an iteration, so the 20 kills cover the whole run; the
        // last ones may hit the "already complete" path.
        int seed = TestContext.CurrentContext.Random.Next();
        var random = new Random(seed);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"kill seed {seed}; start-up {startup:F2} s"));
        string run = Path.Combine(_dir, "run");
        string checkpoints = Path.Combine(run, "checkpoints");
        int killed = 0, resumed = 0, restarted = 0, complete = 0, takeovers = 0;
        string? previousOutput = null;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            string? newest = NewestIntact(checkpoints);
            using TrainerProcess session = TrainerProcess.Start(Args(run));
            int kind = random.Next(3);
            double delay = random.NextDouble() * kind switch { 0 => startup, 1 => 0.5, _ => 0 };
            if (kind > 0) session.WaitForAny(UnderWay, TimeSpan.FromMinutes(1));
            if (kind == 2)
            {
                double since = session.Elapsed;
                var wait = System.Diagnostics.Stopwatch.StartNew();
                while (RunCheckpointer.PeekNewest(checkpoints)?.Path is var p && Path.GetFileName(p) == newest && !session.HasExited && wait.Elapsed < TimeSpan.FromMinutes(1))
                    Thread.Sleep(5);
                delay = random.NextDouble() * (session.Elapsed - since);
            }
            bool wasKilled = session.KillAfter(TimeSpan.FromSeconds(delay));
            if (wasKilled) killed++;
            else Assert.That(session.WaitForExit(TimeSpan.FromMinutes(1)), Is.Zero, session.Output);
            string output = session.Output;
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{attempt}: {(wasKilled ? $"killed {delay:F2} s after {(kind switch { 0 => "its start", 1 => "training began", _ => "its first checkpoint" })}" : "exited")}, newest before {newest ?? "-"}: {string.Join(" | ", output.Split('\n').Where(l => !l.StartsWith("step=", StringComparison.Ordinal) && !l.StartsWith("Took over", StringComparison.Ordinal)).Take(2))}"));
            Match from = ResumedFrom().Match(output);
            if (from.Success)
            {
                resumed++;
                Assert.That(from.Groups["ckpt"].Value, Is.EqualTo(newest), $"attempt {attempt}: resumed from another checkpoint than the newest complete one\n{output}");
            }
            if (output.Contains("again from step 0", StringComparison.Ordinal))
            {
                restarted++;
                Assert.That(newest, Is.Null, $"attempt {attempt}: restarted although {newest} was complete\n{output}");
            }
            if (output.Contains("is already complete", StringComparison.Ordinal))
            {
                complete++;
                Assert.That(newest, Does.StartWith(string.Create(CultureInfo.InvariantCulture, $"ckpt-{Iterations:D6}-")), output);
            }
            if (output.Contains("Took over the lock", StringComparison.Ordinal)) takeovers++;
            Assert.That(output, Does.Not.Contain("error:").And.Not.Contain("   at "), $"attempt {attempt}, after:\n{previousOutput}");
            previousOutput = output;
        }
        TestContext.Out.WriteLine($"{killed} sessions killed; {resumed} resumed, {restarted} restarted from step 0, {complete} found the run complete, {takeovers} took over a dead owner's lock.");
        Assert.That(killed, Is.GreaterThanOrEqualTo(8), "most sessions were killed mid-way");
        Assert.That(resumed, Is.GreaterThanOrEqualTo(3), "kills landed after checkpoints");
        Assert.That(takeovers, Is.GreaterThanOrEqualTo(1), "some kills came after the lock was taken");

        // The last session runs to the end (or finds the run complete).
        using (TrainerProcess last = TrainerProcess.Start(Args(run)))
            Assert.That(last.WaitForExit(TimeSpan.FromMinutes(2)), Is.EqualTo(ExitCodes.Success), last.Output);

        Assert.That(Metrics(run), Is.EqualTo(Metrics(reference)), "metrics.csv equals the uninterrupted run's (wall-time columns aside)");
        string final = RunCheckpointer.PeekNewest(checkpoints)!.Path, referenceFinal = RunCheckpointer.PeekNewest(Path.Combine(reference, "checkpoints"))!.Path;
        Assert.That(Path.GetFileName(final), Is.EqualTo(Path.GetFileName(referenceFinal)));
        foreach (string file in new[] { "agent.safetensors", "agent.json", "replay.bin", RunCheckpointer.EnvironmentFileName })
            Assert.That(File.ReadAllBytes(Path.Combine(final, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(referenceFinal, file))), file);
        Assert.That(Directory.EnumerateFileSystemEntries(checkpoints, "*" + AtomicFile.TempMarker + "*"), Is.Empty, "no leftovers of killed writes");
        Assert.That(File.Exists(Path.Combine(run, RunLock.OwnerFileName)), Is.False, "the last owner released the lock");
    }

    // What a session prints once training is under way (or when there is nothing to train).
    private static readonly string[] UnderWay = ["step=", "is already complete"];

    [GeneratedRegex(@"Resuming \S+ from (?<ckpt>ckpt-\d+-\d+)")]
    private static partial Regex ResumedFrom();

    // The newest checkpoint that verifies, as a killed session left it (null when there is none).
    private static string? NewestIntact(string checkpoints)
    {
        foreach (string dir in RunCheckpointer.List(checkpoints).Reverse())
        {
            try
            {
                CheckpointManifest.LoadAndVerify(dir);
                return Path.GetFileName(dir);
            }
            catch (InvalidDataException)
            {
            }
        }
        return null;
    }

    private static List<string> Metrics(string run)
    {
        string[] lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        int[] columns = [.. Deterministic.Select(c => Array.IndexOf(lines[0].Split(','), c))];
        Assert.That(columns, Has.None.EqualTo(-1));
        return [.. lines.Select(l => string.Join(",", columns.Select(c => l.Split(',')[c])))];
    }
}
