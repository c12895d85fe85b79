using System.Diagnostics;
using MoeScratch.Train.Config;
using MoeScratch.Train.Sweep;

namespace MoeScratch.Train.Tests.Sweep;

public class SweepTests
{
    [Test]
    public void Expand_IsTheFullProduct_SeedsFastest_OneRunFolderPerPresetEnvNetworkSeed()
    {
        var jobs = SweepPlan.Expand(["minatar-dqn", "dqn"], ["minatar:breakout", "minatar:asterix"], ["baseline", "softmoe:8"], [0, 1, 2], "runs", ["--total-steps", "100"]);
        Assert.That(jobs, Has.Count.EqualTo(2 * 2 * 2 * 3));
        Assert.That(jobs.Select(j => j.Index), Is.EqualTo(Enumerable.Range(0, 24)));
        Assert.That(jobs.Take(3).Select(j => j.Seed), Is.EqualTo(new ulong[] { 0, 1, 2 }));
        Assert.That(jobs.Select(j => j.RunDir).Distinct().Count(), Is.EqualTo(24));
        Assert.That(jobs[3].Arguments, Is.EqualTo(new[] { "train", "--run-dir", Path.Combine("runs", "minatar-dqn__minatar-breakout__softmoe8-perconv__0"),
                                                          "--preset", "minatar-dqn", "--env", "minatar:breakout",
                                                          "--network", "softmoe", "--experts", "8", "--seed", "0", "--total-steps", "100" }));
    }

    [TestCase("baseline", "baseline", new[] { "--network", "baseline" })]
    [TestCase("baseline:x4", "baseline-x4", new[] { "--network", "baseline", "--width-multiplier", "4" })]
    [TestCase("softmoe:4", "softmoe4-perconv", new[] { "--network", "softmoe", "--experts", "4" })]
    [TestCase("softmoe:4:perfeat", "softmoe4-perfeat", new[] { "--network", "softmoe", "--experts", "4", "--tokenizer", "perfeat" })]
    [TestCase("softmoe:1:h2048", "softmoe1-perconv-h2048", new[] { "--network", "softmoe", "--experts", "1", "--expert-hidden", "2048" })]
    [TestCase("SoftMoE:h64:perpatch:2", "softmoe2-perpatch-h64", new[] { "--network", "softmoe", "--experts", "2", "--tokenizer", "perpatch", "--expert-hidden", "64" })]
    [TestCase("top1:2", "top1-2-perconv", new[] { "--network", "top1", "--experts", "2" })]
    [TestCase("softmoe-big:4", "softmoe-big4", new[] { "--network", "softmoe-big", "--experts", "4" })]
    [TestCase("gap", "gap", new[] { "--network", "gap" })]
    public void NetworkSpecs_GiveTrainFlags_AndATagNamingEverySetting(string spec, string tag, string[] flags)
    {
        NetworkSpec parsed = NetworkSpec.Parse(spec);
        Assert.That(parsed.TrainFlags(), Is.EqualTo(flags));
        Assert.That(RunNames.NetworkTag(parsed.ApplyTo(new TrainConfig())), Is.EqualTo(tag));
        // The flags give train the same network, so train's own experiment name carries the same tag.
        var options = new MoeScratch.Train.Cli.TrainOptions();
        var cmd = new System.CommandLine.Command("train");
        options.AddTo(cmd);
        Assert.That(options.Resolve(cmd.Parse(flags)).Config.ExperimentName, Is.EqualTo("minatar-dqn-" + tag));
    }

    [TestCase("mlp", "'mlp' is not a network")]
    [TestCase("softmoe:x2", "'x2' is a width multiplier, which applies to dense networks; scale softmoe by its expert count")]
    [TestCase("baseline:4", "'4' is an expert count, which applies to MoE networks; a dense network takes a width multiplier, e.g. baseline:x4")]
    [TestCase("baseline:perfeat", "'perfeat' is a tokenizer, which baseline does not take")]
    [TestCase("softmoe-all:perconv", "'perconv' is a tokenizer, which softmoe-all does not take")]
    [TestCase("gap:h512", "'h512' is an expert hidden size, which applies to MoE networks")]
    [TestCase("softmoe:4:8", "an expert count is given twice")]
    [TestCase("softmoe:0", "'0' is not an expert count in [1, 1024]")]
    [TestCase("softmoe:4:", "an empty part")]
    [TestCase("softmoe:big", "'big' is not a part of a network spec")]
    public void NetworkSpecs_BadSpec_IsOneLineListingTheForms(string spec, string text)
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkSpec.Parse(spec))!;
        Assert.That(e.Message, Does.StartWith($"--networks: '{spec}': {text}"));
        Assert.That(e.Message, Does.Contain("Allowed: dense (baseline|").And.Contain("[:h<expert hidden size>]").And.Contain("perpatch-avgpool"));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void Expand_RefusesUnknownPresetsRepeatsAndTheSameNetworkTwice()
    {
        Assert.That(() => SweepPlan.Expand(["sac"], ["minatar:breakout"], ["baseline"], [0], "runs", []),
                    Throws.ArgumentException.With.Message.Contains("--presets").And.Message.Contains("minatar-dqn"));
        Assert.That(() => SweepPlan.Expand(["dqn"], ["minatar:breakout"], ["baseline"], [1, 1], "runs", []),
                    Throws.ArgumentException.With.Message.Contains("--seeds"));
        Assert.That(() => SweepPlan.Expand(["dqn"], ["minatar:breakout"], ["softmoe", "softmoe:4:perconv"], [1], "runs", []),
                    Throws.ArgumentException.With.Message.EqualTo("--networks: 'softmoe' and 'softmoe:4:perconv' are the same network (softmoe4-perconv); give each once."));
    }

    [Test]
    public void SlurmScript_RequeuesOnTheGraceSignal_FindsItsToolsAtRunTime_AndHasOneArrayIndexPerJob()
    {
        var jobs = SweepPlan.Expand(["minatar-dqn"], ["minatar:breakout", "atari:/roms/it's.bin"], ["softmoe:4"], [0, 1], "/data/my runs", []);
        string script = SlurmScript.Render(jobs, new SlurmOptions("/opt/app/MoeScratch.Train.dll", "/data/my runs/slurm-logs")
        {
            MaxConcurrent = 2, CpusPerTask = 4, Extra = ["partition=cpu"],
        });
        Assert.That(script, Does.StartWith("#!/bin/bash\n"));
        foreach (string line in new[] { "#SBATCH --array=0-3%2", "#SBATCH --cpus-per-task=4", "#SBATCH --requeue", "#SBATCH --signal=B:USR1@600",
                                        "#SBATCH --open-mode=append", "#SBATCH --partition=cpu", "#SBATCH --output='/data/my runs/slurm-logs/slurm-%A_%a.out'",
                                        "APP=\"${MOESCRATCH_TRAIN_APP:-/opt/app/MoeScratch.Train.dll}\"", "THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"",
                                        "  scontrol requeue \"$TASK\"" })
            Assert.That(script.Split('\n'), Does.Contain(line));
        Assert.That(script, Does.Contain("command -v dotnet").And.Contain("--threads \"$THREADS\""));
        Assert.That(script, Does.Not.Contain("/usr/share/dotnet").And.Not.Contain("/usr/bin/dotnet"), "dotnet is found on the node, not hard-coded");

        // Expand index 3 with bash itself: the quoting must survive the apostrophe and the space.
        string probe = script[..script.IndexOf("child=\"\"", StringComparison.Ordinal)].Replace("APP=", "APP=/bin/true; : ", StringComparison.Ordinal)
                       + "printf '%s\\n' \"${ARGS[@]}\"\n";
        string[] args = Bash(probe, new() { ["SLURM_ARRAY_TASK_ID"] = "3" }, out int code).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(code, Is.Zero);
        Assert.That(args, Is.EqualTo(jobs[3].Arguments));
        Assert.That(args, Does.Contain("atari:/roms/it's.bin").And.Contain("/data/my runs/minatar-dqn__atari-it-s__softmoe4-perconv__1"));
    }

    [Test]
    public void SlurmScript_MissingDotnetOrApp_IsOneLineNamingTheNodeAndTheFix()
    {
        var jobs = SweepPlan.Expand(["minatar-dqn"], ["minatar:breakout"], ["baseline"], [0], "/r", []);
        string script = SlurmScript.Render(jobs, new SlurmOptions("/nonexistent/MoeScratch.Train.dll", "/r/logs"));
        string err = Bash(script, new() { ["SLURM_ARRAY_TASK_ID"] = "0" }, out int code, stderr: true);
        Assert.That(code, Is.EqualTo(SlurmScript.MissingTool));
        Assert.That(err, Does.Contain("error: the trainer '/nonexistent/MoeScratch.Train.dll' does not exist on").And.Contain("MOESCRATCH_TRAIN_APP"));
        // An app that exists, and no dotnet anywhere: PATH holds an empty folder, no DOTNET_ROOT.
        string empty = Directory.CreateTempSubdirectory("moescratch-nodotnet-").FullName;
        string dll = Path.Combine(empty, "MoeScratch.Train.dll");
        File.WriteAllText(dll, "");
        try
        {
            string noDotnet = Bash(script, new() { ["SLURM_ARRAY_TASK_ID"] = "0", ["MOESCRATCH_TRAIN_APP"] = dll, ["PATH"] = Path.Combine(empty, "bin"), ["DOTNET_ROOT"] = "" },
                                   out code, stderr: true, bash: "/bin/bash");
            Assert.That(code, Is.EqualTo(SlurmScript.MissingTool), noDotnet);
            Assert.That(noDotnet, Does.Contain("error: dotnet (the .NET 10 runtime) was not found on").And.Contain("MOESCRATCH_DOTNET"));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    private static string Bash(string script, Dictionary<string, string> env, out int code, bool stderr = false, string bash = "bash")
    {
        string file = Path.Combine(Path.GetTempPath(), "moescratch-slurm-" + Guid.NewGuid().ToString("N") + ".sh");
        File.WriteAllText(file, script);
        try
        {
            var psi = new ProcessStartInfo(bash, [file]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var (k, v) in env) psi.Environment[k] = v;
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            code = p.ExitCode;
            return stderr ? err.Result : output;
        }
        finally
        {
            File.Delete(file);
        }
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

    [Test]
    public void LocalDryRun_AnExplicitThreadsFlag_WinsOverTheCoreShare()
    {
        var output = new StringWriter();
        int exit = SweepCommand.Create().Parse(["--parallel", "1", "--threads", "1", "--seeds", "0", "--networks", "baseline", "--dry-run"])
                               .Invoke(new System.CommandLine.InvocationConfiguration { Output = output });
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(output.ToString(), Does.Contain("--threads 1\n"));
    }

    private static (int Code, string Output) DryRun(string protocolJson, params string[] args)
    {
        string file = Path.Combine(Path.GetTempPath(), "moescratch-protocol-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, protocolJson);
        try
        {
            var output = new StringWriter();
            int rc = MoeScratch.Train.Cli.CliApp.RunAsync(["sweep", "--protocol", file, "--out", "study", "--dry-run", .. args], output, output).GetAwaiter().GetResult();
            return (rc, output.ToString().Replace(file, "study.json", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private const string Study = """
        {
          // the MinAtar study's shape
          "presets": ["minatar-dqn"],
          "envs": ["minatar:breakout", "minatar:asterix"],
          "networks": ["baseline", "baseline:x4", "softmoe:4", "softmoe:4:perfeat", "softmoe:1:h2048"],
          "seeds": [0, 1, 2],
          "total_steps": 5000,
          "train": { "iterations": 10, "learning_rate": 0.0001 }
        }
        """;

    [Test]
    public void Protocol_ExpandsAWholeStudy_WithItsTrainSettings()
    {
        var (rc, output) = DryRun(Study, "--parallel", "1", "--threads", "1");
        Assert.That(rc, Is.Zero, output);
        Assert.That(output, Does.Contain("30 jobs."));
        string[] lines = output.Split('\n');
        Assert.That(lines[0], Is.EqualTo("[0] train --run-dir " + Path.Combine("study", "minatar-dqn__minatar-breakout__baseline__0") +
                                         " --preset minatar-dqn --env minatar:breakout --network baseline --seed 0 --total-steps 5000 --iterations 10 --learning-rate 0.0001 --threads 1"));
        foreach (string dir in new[] { "minatar-dqn__minatar-breakout__softmoe4-perconv__0", "minatar-dqn__minatar-asterix__baseline-x4__1",
                                       "minatar-dqn__minatar-breakout__softmoe1-perconv-h2048__2", "minatar-dqn__minatar-asterix__softmoe4-perfeat__2" })
            Assert.That(output, Does.Contain(Path.Combine("study", dir) + " "));
    }

    [Test]
    public void Protocol_AxesTypedOnTheCommandLine_ReplaceTheFiles()
    {
        var (rc, output) = DryRun(Study, "--seeds", "7", "--networks", "gap", "--total-steps", "300");
        Assert.That(rc, Is.Zero, output);
        Assert.That(output, Does.Contain("2 jobs.").And.Contain("__gap__7 ").And.Contain("--total-steps 300 --iterations 10"));
    }

    [TestCase("{ \"seedz\": [1] }", "study.json:1: $.seedz: unknown key 'seedz' (did you mean 'seeds'?); valid keys: presets, envs, networks, seeds, total_steps, train.")]
    [TestCase("{ \"seeds\": [-1] }", "$.seeds[0]: wrong type; expected a non-negative integer.")]
    [TestCase("{ \"networks\": \"softmoe\" }", "$.networks: wrong type; expected a list")]
    [TestCase("{ \"train\": { \"experts\": 8 } }", "study.json: $.train.experts: a sweep sets 'experts' itself; put network settings in the network specs")]
    [TestCase("{ \"train\": { \"iteratons\": 8 } }", "study.json: $.train.iteratons: 'iteratons' is not a train flag; allowed: encoder, dense_width, stack_size")]
    [TestCase("{ \"train\": { \"iterations\": true } }", "study.json: $.train.iterations: expected a number or a string, not true.")]
    [TestCase("{ \"train\": { \"iterations\": 0 } }", "study.json: the jobs' train settings are not valid: --iterations: '0' is not valid; expected an integer in [1, 100000].")]
    [TestCase("{ \"total_steps\": 5, \"train\": { \"iterations\": 10 } }", "--iterations: '10' must not exceed --total-steps (5).")]
    [TestCase("{ \"networks\": [\"softmoe:x4\"] }", "--networks: 'softmoe:x4': 'x4' is a width multiplier")]
    public void Protocol_Errors_AreOneLineNamingTheKey(string json, string expected)
    {
        var (rc, output) = DryRun(json);
        Assert.That(rc, Is.EqualTo(MoeScratch.Train.Cli.ExitCodes.BadInput));
        Assert.That(output, Does.StartWith("error: ").And.Contain(expected));
        Assert.That(output.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(output, Does.Not.Contain("System.").And.Not.Contain("SweepProtocol"));
    }
}
