using MoeScratch.Rl.Checkpointing;
using MoeScratch.Train.Sweep;
using MoeScratch.Train.Tests.Training;

namespace MoeScratch.Train.Tests.Sweep;

/// <summary>
/// The generated Slurm script run by bash as Slurm would run an array task (its environment variables set, a fake
/// <c>scontrol</c> on PATH): running an index twice continues the same run, and the grace signal (USR1) makes the
/// trainer checkpoint and exit 143, after which the task requeues itself (issue 17 item 2).
/// </summary>
[NonParallelizable]
public class SlurmScriptRunTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("moescratch-slurm-run-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Tiny =
        ["--batch-size", "8", "--min-replay-history", "50", "--probe-every", "0", "--log-every-seconds", "0.01"];

    // Writes the script for one job and a fake scontrol that logs its arguments; returns (script, the job, scontrol log).
    private (string Script, SweepJob Job, string Requeues) Write(long totalSteps)
    {
        string runs = Path.Combine(_dir, "runs");
        var jobs = SweepPlan.Expand(["minatar-dqn"], ["minatar:breakout"], ["softmoe:2:h8"], [3], runs,
                                    ["--total-steps", totalSteps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--iterations", "2", .. Tiny]);
        string script = Path.Combine(_dir, "sweep.sh");
        File.WriteAllText(script, SlurmScript.Render(jobs, new SlurmOptions(TrainerProcess.Dll, Path.Combine(runs, "slurm-logs"))));
        string bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        string requeues = Path.Combine(_dir, "requeues.log");
        File.WriteAllText(Path.Combine(bin, "scontrol"), $"#!/bin/sh\necho \"$@\" >> '{requeues}'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(bin, "scontrol"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (script, jobs.Single(), requeues);
    }

    private TrainerProcess Task(string script) =>
        TrainerProcess.Start("bash", [script], new Dictionary<string, string>
        {
            ["SLURM_ARRAY_TASK_ID"] = "0", ["SLURM_ARRAY_JOB_ID"] = "4242", ["SLURM_CPUS_PER_TASK"] = "1",
            ["PATH"] = Path.Combine(_dir, "bin") + ":" + Environment.GetEnvironmentVariable("PATH"),
        });

    [Test]
    public void RunningAnIndexTwice_FindsItsRunComplete_InTheSameFolder()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("bash, and Linux signal numbers");
        var (script, job, _) = Write(totalSteps: 100);
        using (TrainerProcess first = Task(script))
            Assert.That(first.WaitForExit(TimeSpan.FromMinutes(2)), Is.Zero, first.Output);
        Assert.That(RunCheckpointer.PeekNewest(Path.Combine(job.RunDir!, "checkpoints"))!.Iteration, Is.EqualTo(2));
        using TrainerProcess again = Task(script);
        Assert.That(again.WaitForExit(TimeSpan.FromMinutes(2)), Is.Zero, again.Output);
        Assert.That(again.Output, Does.Contain($"{job.RunDir} is already complete: 2 of 2 iterations"));
        Assert.That(Directory.GetDirectories(Path.Combine(_dir, "runs")).Select(Path.GetFileName),
                    Is.EqualTo(new[] { "minatar-dqn__minatar-breakout__softmoe2-perconv-h8__3" }), "one run folder, no timestamped twin");
    }

    [Test]
    public void TheGraceSignal_CheckpointsExits143AndRequeuesTheTask_WhichThenResumes()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("bash, and Linux signal numbers");
        var (script, job, requeues) = Write(totalSteps: 1_000_000);
        for (int session = 0; session < 2; session++)
        {
            using TrainerProcess task = Task(script);
            Assert.That(task.WaitFor("step=", TimeSpan.FromMinutes(2)), Is.True, task.Output);
            if (session == 1) Assert.That(task.Output, Does.Contain($"Resuming {job.RunDir} from ckpt-000000-"), "the requeued task continues its run");
            _ = MoeScratch.Train.Sweep.NativeSignal.Kill(task.Id, 10); // SIGUSR1, as Slurm sends it --grace seconds before the limit
            Assert.That(task.WaitForExit(TimeSpan.FromMinutes(2)), Is.EqualTo(143), task.Output);
            Assert.That(task.Output, Does.Contain("SIGTERM: finishing the current episode, then writing a checkpoint").And.Contain("time limit near; requeueing"));
            Assert.That(File.ReadAllLines(requeues), Has.Length.EqualTo(session + 1).And.All.EqualTo("requeue 4242_0"));
            Assert.That(RunCheckpointer.PeekNewest(Path.Combine(job.RunDir!, "checkpoints")), Is.Not.Null);
        }
    }
}
