using MoeScratch.Rl.Checkpointing;
using MoeScratch.Train.Cli;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Training;

/// <summary>
/// <c>train --run-dir</c> and <c>--resume</c> through the CLI (in process): idempotent reruns, budget extension,
/// checkpoint recovery, the run lock, and config.json against the checkpoint (issue 17 items 1, 2, 4, 5).
/// </summary>
[NonParallelizable]
public class RunDirTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "moescratch-rundir-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Run => Path.Combine(_dir, "run");

    // A tiny Soft MoE, 100-step iterations, a checkpoint after each (the default), the newest 2 kept.
    private static readonly string[] Tiny =
        ["--expert-hidden", "8", "--batch-size", "8", "--min-replay-history", "50", "--probe-every", "0", "--progress", "plain", "--threads", "1"];

    private static async Task<(int Code, string Output)> Cli(params string[] args)
    {
        var output = new StringWriter();
        int rc = await CliApp.RunAsync(args, output, output);
        return (rc, output.ToString());
    }

    private Task<(int Code, string Output)> Train(params string[] args) =>
        Cli(["train", "--run-dir", Run, .. Tiny, .. args]);

    // Everything a rerun must leave alone: file names, sizes and contents.
    private Dictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(Run, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(RunLock.LockFileName, StringComparison.Ordinal))
                 .ToDictionary(f => Path.GetRelativePath(Run, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    [Test]
    public async Task RunDir_StartsTheRun_ThenSaysAlreadyComplete_AndChangesNothing()
    {
        var first = await Train("--total-steps", "200", "--iterations", "2");
        Assert.That(first.Code, Is.Zero, first.Output);
        Assert.That(Path.GetFileName(RunCheckpointer.Latest(Path.Combine(Run, "checkpoints"))), Does.StartWith("ckpt-000002-"));
        Assert.That(JsonConfig.Load(Path.Combine(Run, "config.json")).Out, Is.EqualTo(_dir), "config.json names the runs root");
        var before = Snapshot();

        // The job script's rerun: the same flags, then no flags at all.
        foreach (string[] args in new[] { new[] { "--total-steps", "200", "--iterations", "2" }, Array.Empty<string>() })
        {
            var again = await Train(args);
            Assert.That(again.Code, Is.Zero, again.Output);
            Assert.That(again.Output, Does.Contain("is already complete: 2 of 2 iterations").And.Contain("Nothing was changed"));
            Assert.That(Snapshot(), Is.EqualTo(before));
        }
        var resume = await Cli(["train", "--resume", Run, "--progress", "plain"]);
        Assert.That((resume.Code, resume.Output.Contains("already complete", StringComparison.Ordinal)), Is.EqualTo((0, true)), resume.Output);
    }

    [Test]
    public async Task Resume_ExtendsTheBudgetInWholeIterations_AndRefusesToShrinkIt()
    {
        Assert.That((await Train("--total-steps", "200", "--iterations", "2")).Code, Is.Zero);
        var before = Snapshot();
        var shrink = await Cli(["train", "--resume", Run, "--total-steps", "100"]);
        Assert.That(shrink.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(shrink.Output, Does.Contain("may only extend a run: it has 2 iterations (200 steps, 100 per iteration)"));
        Assert.That(Snapshot(), Is.EqualTo(before), "a refused resume changes nothing");

        var both = await Cli(["train", "--resume", Run, "--total-steps", "1000", "--iterations", "3"]);
        Assert.That(both.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(both.Output, Does.Contain("--total-steps 1000 and --iterations 3 disagree: the run's iterations are 100 steps long"));

        var extend = await Cli(["train", "--resume", Run, .. Tiny, "--total-steps", "250"]);
        Assert.That(extend.Code, Is.Zero, extend.Output);
        Assert.That(extend.Output, Does.Contain("Resuming").And.Contain("iteration 2 of 3"));
        Assert.That(extend.Output, Does.Not.Contain("sps=-"), "steps/s counts this session's steps only");
        TrainConfig saved = JsonConfig.Load(Path.Combine(Run, "config.json"));
        Assert.That((saved.TotalSteps, saved.Iterations), Is.EqualTo((300L, 3)), "250 steps round up to a third 100-step iteration");
        Assert.That(RunCheckpointer.PeekNewest(Path.Combine(Run, "checkpoints"))!.Iteration, Is.EqualTo(3));
    }

    [Test]
    public async Task ASettingOtherThanTheBudget_CannotChange_ButTheSameValuesAreAccepted()
    {
        Assert.That((await Train("--total-steps", "200", "--iterations", "2", "--seed", "3")).Code, Is.Zero);
        var other = await Train("--seed", "4");
        Assert.That(other.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(other.Output, Does.Contain("--seed 4 differs from the run's 3"));
        Assert.That((await Train("--seed", "3", "--network", "softmoe", "--experts", "4")).Code, Is.Zero);
    }

    [Test]
    public async Task WithoutLatest_TheNewestIntactCheckpointIsFoundByScanning()
    {
        Assert.That((await Train("--total-steps", "200", "--iterations", "2")).Code, Is.Zero);
        File.Delete(Path.Combine(Run, "checkpoints", RunCheckpointer.LatestFileName));
        var resumed = await Train("--iterations", "3");
        Assert.That(resumed.Code, Is.Zero, resumed.Output);
        Assert.That(resumed.Output, Does.Contain("Resuming").And.Contain("from ckpt-000002-").And.Not.Contain("step 0"));
    }

    [Test]
    public async Task ACorruptNewestCheckpoint_IsSkippedWithAWarning_AndTheRunContinuesFromTheOlderOne()
    {
        Assert.That((await Train("--total-steps", "200", "--iterations", "2")).Code, Is.Zero);
        var kept = RunCheckpointer.List(Path.Combine(Run, "checkpoints"));
        Assert.That(kept, Has.Count.EqualTo(2));
        string replay = Path.Combine(kept[^1], "replay.bin");
        byte[] bytes = File.ReadAllBytes(replay);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(replay, bytes);

        var resumed = await Train("--iterations", "3");
        Assert.That(resumed.Code, Is.Zero, resumed.Output);
        Assert.That(resumed.Output, Does.Contain("warning: skipped").And.Contain(Path.GetFileName(kept[^1])).And.Contain("replay.bin"));
        Assert.That(resumed.Output, Does.Contain($"Resuming {Run} from {Path.GetFileName(kept[0])}"));
        var rows = MetricsCsv.Read(Path.Combine(Run, "metrics.csv"));
        Assert.That(rows.Select(r => r.Iteration).Distinct(), Is.EqualTo(new long[] { 0, 1, 2 }), "iteration 1 was trained again, once");
    }

    [Test]
    public async Task EveryCheckpointCorrupt_IsRefused_NotRestartedOverIt()
    {
        Assert.That((await Train("--total-steps", "200", "--iterations", "2")).Code, Is.Zero);
        foreach (string ckpt in RunCheckpointer.List(Path.Combine(Run, "checkpoints"))) File.Delete(Path.Combine(ckpt, "agent.json"));
        var r = await Train("--iterations", "3");
        Assert.That(r.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(r.Output, Does.Contain("none intact").And.Contain("agent.json").And.Contain("move"));
    }

    [Test]
    public async Task ARunStoppedBeforeItsFirstCheckpoint_StartsAgainFromStepZero()
    {
        Directory.CreateDirectory(Run);
        TrainConfig config = new TrainConfig { TotalSteps = 200, Iterations = 2, ExpertHidden = 8, BatchSize = 8, MinReplayHistory = 50, ProbeEvery = 0, Out = _dir };
        JsonConfig.Save(TrainSetup.ResolveDerived(config), Path.Combine(Run, "config.json"));
        File.WriteAllText(Path.Combine(Run, "metrics.csv"), "phase,iteration\ntrain,0,3,4"); // a killed session's half row
        var r = await Train();
        Assert.That(r.Code, Is.Zero, r.Output);
        Assert.That(r.Output, Does.Contain("again from step 0"));
        Assert.That(MetricsCsv.Read(Path.Combine(Run, "metrics.csv")).Min(x => x.TotalSteps), Is.GreaterThan(0));
        Assert.That(Directory.GetFiles(Run, "events.out.tfevents.*"), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task ConfigJsonThatDisagreesWithTheCheckpoint_IsRefused()
    {
        Assert.That((await Train("--total-steps", "200", "--iterations", "2")).Code, Is.Zero);
        string path = Path.Combine(Run, "config.json");
        JsonConfig.Save(JsonConfig.Load(path) with { BatchSize = 16, Iterations = 3, TotalSteps = 300 }, path);
        var r = await Cli(["train", "--run-dir", Run, "--progress", "plain"]);
        Assert.That(r.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(r.Output, Does.Contain("disagrees with checkpoint").And.Contain("batch_size (16 in config.json, 8 in the checkpoint)"));
    }

    [Test]
    public async Task ALockedRunFolder_RefusesASecondTrainer_NamingTheOwner()
    {
        Directory.CreateDirectory(Run);
        using (RunLock.Acquire(Run))
        {
            var r = await Train("--total-steps", "200", "--iterations", "2");
            Assert.That(r.Code, Is.EqualTo(ExitCodes.RunBusy));
            Assert.That(r.Output, Does.Contain($"is in use by PID {Environment.ProcessId} on host {Environment.MachineName}"));
        }
        Assert.That(File.Exists(Path.Combine(Run, "config.json")), Is.False, "the refused trainer wrote nothing");
    }

    [Test]
    public async Task AnEnvironmentThatCannotBeBuilt_LeavesNoRunFolder()
    {
        var r = await Cli(["train", "--env", "atari:" + Path.Combine(_dir, "pong.bin"), "--out", Path.Combine(_dir, "runs")]);
        Assert.That(r.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(r.Output, Does.StartWith("error: ").And.Contain("pong.bin").And.Not.Contain("   at "));
        Assert.That(Directory.Exists(Path.Combine(_dir, "runs")), Is.False);
        var dir = await Cli(["train", "--run-dir", Run, "--env", "atari:" + Path.Combine(_dir, "pong.bin")]);
        Assert.That(dir.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(Directory.Exists(Run), Is.False);
    }

    [TestCase("baseline", "--experts", "8", "--experts applies to MoE networks")]
    [TestCase("baseline", "--tokenizer", "perfeat", "--tokenizer applies to softmoe, top1, expertchoice")]
    [TestCase("gap", "--expert-hidden", "64", "--expert-hidden applies to MoE networks")]
    [TestCase("softmoe-big", "--tokenizer", "perconv", "but --network is 'softmoe-big'")]
    public async Task AFlagTheNetworkWouldIgnore_IsRefused(string network, string flag, string value, string message)
    {
        var r = await Cli(["train", "--network", network, flag, value, "--out", _dir]);
        Assert.That(r.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(r.Output, Does.Contain(message));
        Assert.That(Directory.EnumerateFileSystemEntries(_dir), Is.Empty);
    }

    [Test]
    public async Task RunDirAndOut_OrRunDirAndResume_AreExclusive()
    {
        Assert.That((await Cli(["train", "--run-dir", Run, "--out", _dir])).Output, Does.Contain("--out and --run-dir are exclusive"));
        Assert.That((await Cli(["train", "--run-dir", Run, "--resume", Run])).Output, Does.Contain("--resume and --run-dir are exclusive"));
        var missing = await Cli(["train", "--resume", Run]);
        Assert.That((missing.Code, missing.Output), Is.EqualTo((ExitCodes.BadInput, $"error: --resume: run folder '{Run}' does not exist; start a run there with --run-dir {Run}.\n")));
    }

    [Test]
    public async Task Eval_FindsACheckpointByName_AndNeverReadsTheReplayMemory()
    {
        Assert.That((await Train("--total-steps", "200", "--iterations", "2")).Code, Is.Zero);
        var kept = RunCheckpointer.List(Path.Combine(Run, "checkpoints"));
        // The replay memory is of no use to an evaluation: a damaged one (same length) does not stop it.
        foreach (string ckpt in kept)
        {
            string replay = Path.Combine(ckpt, "replay.bin");
            byte[] bytes = File.ReadAllBytes(replay);
            Array.Fill(bytes, (byte)0xFF, 0, Math.Min(bytes.Length, 64));
            File.WriteAllBytes(replay, bytes);
        }
        var byName = await Cli(["eval", Run, "--checkpoint", Path.GetFileName(kept[0]), "--episodes", "2"]);
        Assert.That(byName.Code, Is.Zero, byName.Output);
        Assert.That(byName.Output, Does.Contain($"2 episodes with {Path.GetFileName(kept[0])}"));
        var newest = await Cli(["eval", Run, "--episodes", "1"]);
        Assert.That(newest.Output, Does.Contain($"with {Path.GetFileName(kept[^1])}"));
        var unknown = await Cli(["eval", Run, "--checkpoint", "ckpt-9"]);
        Assert.That(unknown.Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(unknown.Output, Does.Contain("'ckpt-9'").And.Contain(Path.GetFileName(kept[0])));
    }
}
