using System.Diagnostics;
using MoeScratch.Train.Sweep;

namespace MoeScratch.Train.Tests.Sweep;

public class SweepTests
{
    [Test]
    public void Expand_IsTheFullProduct_SeedsFastest()
    {
        var jobs = SweepPlan.Expand(["minatar-dqn", "dqn"], ["minatar:breakout", "minatar:asterix"], ["baseline", "softmoe:8"], [0, 1, 2], ["--out", "runs"]);
        Assert.That(jobs, Has.Count.EqualTo(2 * 2 * 2 * 3));
        Assert.That(jobs.Select(j => j.Index), Is.EqualTo(Enumerable.Range(0, 24)));
        Assert.That(jobs.Take(3).Select(j => j.Seed), Is.EqualTo(new ulong[] { 0, 1, 2 }));
        Assert.That(jobs.Select(j => (j.Preset, j.Env, j.Network, j.Seed)).Distinct().Count(), Is.EqualTo(24));
        Assert.That(jobs[3].Arguments, Is.EqualTo(new[] { "train", "--preset", "minatar-dqn", "--env", "minatar:breakout",
                                                          "--network", "softmoe", "--experts", "8", "--seed", "0", "--out", "runs" }));
    }

    [TestCase("baseline:x4", new[] { "--network", "baseline", "--width-multiplier", "4" })]
    [TestCase("top1:2", new[] { "--network", "top1", "--experts", "2" })]
    [TestCase("gap", new[] { "--network", "gap" })]
    public void NetworkFlags_Parses(string variant, string[] expected) => Assert.That(SweepPlan.NetworkFlags(variant), Is.EqualTo(expected));

    [TestCase("mlp", "allowed: baseline, softmoe")]
    [TestCase("softmoe:x2", "expert count")]
    [TestCase("baseline:4", "width multiplier")]
    public void NetworkFlags_BadVariant_SaysWhatIsAllowed(string variant, string text) =>
        Assert.That(() => SweepPlan.NetworkFlags(variant), Throws.ArgumentException.With.Message.Contains(text).And.Message.Contains("--networks"));

    [Test]
    public void Expand_RefusesUnknownPresetsAndRepeats()
    {
        Assert.That(() => SweepPlan.Expand(["sac"], ["minatar:breakout"], ["baseline"], [0], []),
                    Throws.ArgumentException.With.Message.Contains("--presets").And.Message.Contains("minatar-dqn"));
        Assert.That(() => SweepPlan.Expand(["dqn"], ["minatar:breakout"], ["baseline"], [1, 1], []),
                    Throws.ArgumentException.With.Message.Contains("--seeds"));
    }

    [Test]
    public void SlurmScript_HasOneArrayIndexPerJob_AndValidBash()
    {
        var jobs = SweepPlan.Expand(["minatar-dqn"], ["minatar:breakout", "atari:/roms/it's.bin"], ["softmoe:4"], [0, 1], ["--out", "my runs"]);
        string script = SlurmScript.Render(jobs, ["dotnet", "/opt/app/MoeScratch.Train.dll"], "my runs/slurm-logs", maxConcurrent: 2);
        Assert.That(script, Does.StartWith("#!/bin/bash\n"));
        Assert.That(script, Does.Contain("#SBATCH --array=0-3%2\n"));
        Assert.That(script, Does.Contain("#SBATCH --output='my runs/slurm-logs/slurm-%A_%a.out'"));
        Assert.That(script, Does.Contain("exec \"${APP[@]}\" \"${ARGS[@]}\""));
        // Expand index 3 with bash itself: the quoting must survive the apostrophe and the space.
        string probe = script.Replace("exec \"${APP[@]}\" \"${ARGS[@]}\"", "printf '%s\\n' \"${ARGS[@]}\"", StringComparison.Ordinal);
        var psi = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["SLURM_ARRAY_TASK_ID"] = "3";
        using var bash = Process.Start(psi)!;
        bash.StandardInput.Write(probe);
        bash.StandardInput.Close();
        string[] args = bash.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        bash.WaitForExit();
        Assert.That(bash.ExitCode, Is.Zero);
        Assert.That(args, Is.EqualTo(jobs[3].Arguments));
        Assert.That(args, Does.Contain("atari:/roms/it's.bin").And.Contain("my runs"));
    }

    [Test]
    public void ReportCommandLine_PointsAtTheRunsRoot() =>
        Assert.That(SweepCommand.ReportCommandLine(["dotnet", "app.dll"], "runs/sweep1"),
                    Is.EqualTo("dotnet app.dll report runs/sweep1 --output runs/sweep1/report"));

    [Test]
    public void LocalDryRun_SplitsTheCoresBetweenParallelJobs()
    {
        var output = new StringWriter();
        var cmd = SweepCommand.Create();
        int exit = cmd.Parse(["--parallel", "2", "--seeds", "0", "--networks", "baseline", "--dry-run"])
                      .Invoke(new System.CommandLine.InvocationConfiguration { Output = output });
        Assert.That(exit, Is.EqualTo(0));
        string threads = SweepCommand.LocalThreads(2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(output.ToString(), Does.Contain("--threads " + threads));
        Assert.That(SweepCommand.LocalThreads(Environment.ProcessorCount * 4), Is.EqualTo(1));
    }

    [Test]
    public void LocalDryRun_OneJobAtATime_LeavesTheThreadsAlone()
    {
        var output = new StringWriter();
        int exit = SweepCommand.Create().Parse(["--seeds", "0", "--networks", "baseline", "--dry-run"])
                               .Invoke(new System.CommandLine.InvocationConfiguration { Output = output });
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(output.ToString(), Does.Not.Contain("--threads"));
    }
}
