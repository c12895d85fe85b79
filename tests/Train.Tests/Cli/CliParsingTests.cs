using System.CommandLine;
using MoeScratch.Train.Cli;

namespace MoeScratch.Train.Tests.Cli;

public class CliParsingTests
{
    private static (Command Command, TrainOptions Options) TrainCommandUnderTest()
    {
        var cmd = new Command("train");
        var options = new TrainOptions();
        options.AddTo(cmd);
        return (cmd, options);
    }

    private static List<string> Errors(Command cmd, params string[] args) => CliApp.DescribeErrors(cmd.Parse(args)).ToList();

    [Test]
    public void UnknownFlag_NamesTheFlag_SuggestsTheClosest_ListsTheValidOnes()
    {
        var (cmd, _) = TrainCommandUnderTest();
        var errors = Errors(cmd, "--totl-steps", "10");
        Assert.That(errors, Has.Some.Contains("unknown option '--totl-steps'"));
        Assert.That(errors, Has.Some.Contains("Did you mean --total-steps"));
        Assert.That(errors, Has.Some.Contains("--width-multiplier").And.Contains("--resume"));
    }

    [Test]
    public void BadNetwork_NamesTheFlagAndTheAllowedValues()
    {
        var (cmd, _) = TrainCommandUnderTest();
        var errors = Errors(cmd, "--network", "transformer");
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.Contain("--network").And.Contain("'transformer'").And.Contain("softmoe, top1, expertchoice"));
    }

    [TestCase("--experts", "zero", "an integer in [1, 1024]")]
    [TestCase("--experts", "0", "an integer in [1, 1024]")]
    [TestCase("--total-steps", "-5", "an integer ≥ 1")]
    [TestCase("--learning-rate", "2", "a number in (0, 1)")]
    [TestCase("--tokenizer", "perpixel", "perconv, perfeat, persamp")]
    [TestCase("--preset", "ppo", "minatar-dqn")]
    [TestCase("--probe-every", "-1", "an integer in [0, 100000]")]
    [TestCase("--probe-batch", "0", "an integer in [1, 1024]")]
    [TestCase("--probe-batch", "4096", "an integer in [1, 1024]")]
    [TestCase("--dormant-tau", "1.5", "a number in [0, 1]")]
    [TestCase("--dormant-tau", "-0.1", "a number in [0, 1]")]
    [TestCase("--dormant-tau", "NaN", "a number in [0, 1]")]
    public void BadValue_NamesTheFlagAndWhatIsAllowed(string flag, string value, string allowed)
    {
        var (cmd, _) = TrainCommandUnderTest();
        var errors = Errors(cmd, flag, value);
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.Contain(flag).And.Contain(value).And.Contain(allowed));
    }

    [Test]
    public void TypedFlags_OverrideDefaults_AndUntypedOnesKeepThem()
    {
        var (cmd, options) = TrainCommandUnderTest();
        ParseResult pr = cmd.Parse(["--network", "TOP1", "--experts", "8", "--env", "minatar:asterix", "--seed", "3", "--total-steps", "1_000"]);
        Assert.That(pr.Errors, Is.Empty);
        var (config, mode, folder) = options.Resolve(pr);
        Assert.That((mode, folder), Is.EqualTo((MoeScratch.Train.Training.RunMode.New, (string?)null)));
        Assert.That(config.Network, Is.EqualTo("top1"));
        Assert.That(config.Experts, Is.EqualTo(8));
        Assert.That(config.Env, Is.EqualTo("minatar:asterix"));
        Assert.That(config.Seed, Is.EqualTo(3UL));
        Assert.That(config.TotalSteps, Is.EqualTo(1000));
        Assert.That(config.Preset, Is.EqualTo(new MoeScratch.Train.Config.TrainConfig().Preset));
        Assert.That(config.ExperimentName, Is.EqualTo("minatar-dqn-top1-8-perconv"), "a name ending in a digit gets a separator before the experts");
    }

    [Test]
    public void ProbeFlags_SetTheConfig_AndDefaultToAProbeOf32EveryIteration()
    {
        var (cmd, options) = TrainCommandUnderTest();
        var (defaults, _, _) = options.Resolve(cmd.Parse([]));
        Assert.That((defaults.ProbeEvery, defaults.ProbeBatch, defaults.DormantTau), Is.EqualTo((1, 32, 0.0)));
        var (config, _, _) = options.Resolve(cmd.Parse(["--probe-every", "0", "--probe-batch", "64", "--dormant-tau", "0.025"]));
        Assert.That((config.ProbeEvery, config.ProbeBatch, config.DormantTau), Is.EqualTo((0, 64, 0.025)));
    }

    [Test]
    public void Resume_RefusesFlagsThatWouldChangeTheRun()
    {
        string dir = Path.Combine(Path.GetTempPath(), "moescratch-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            MoeScratch.Train.Config.JsonConfig.Save(new MoeScratch.Train.Config.TrainConfig { TotalSteps = 1000, Iterations = 10 }, Path.Combine(dir, "config.json"));
            var (cmd, options) = TrainCommandUnderTest();
            var bad = cmd.Parse(["--resume", dir, "--network", "baseline"]);
            Assert.That(() => options.Resolve(bad), Throws.ArgumentException.With.Message.Contains("--network").And.Message.Contains("cannot change once a run exists"));
            var probes = cmd.Parse(["--resume", dir, "--probe-every", "5", "--dormant-tau", "0.1"]);
            Assert.That(options.Resolve(probes).Config.ProbeEvery, Is.EqualTo(5), "probes never change training, so a resumed run may change them");
            var extend = cmd.Parse(["--resume", dir, "--total-steps", "1500"]);
            var (config, _, resume) = options.Resolve(extend);
            Assert.That(resume, Is.EqualTo(dir));
            Assert.That(config.Iterations, Is.EqualTo(15), "extending keeps the 100-step iterations");
            Assert.That(config.TotalSteps, Is.EqualTo(1500));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task RunAsync_ReportsParseErrorsWithExitCode2()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int rc = await CliApp.RunAsync(["report", "x.csv", "--replicates", "many"], output, error);
        Assert.That(rc, Is.EqualTo(CliApp.UsageError));
        Assert.That(error.ToString(), Does.Contain("--replicates").And.Contain("'many'").And.Contain("an integer"));
        Assert.That(error.ToString(), Does.Contain("--help"));
    }

    [Test]
    public async Task RunAsync_UnknownSubcommandArgument_ListsTheCommands()
    {
        var error = new StringWriter();
        int rc = await CliApp.RunAsync(["trian"], new StringWriter(), error);
        Assert.That(rc, Is.EqualTo(CliApp.UsageError));
        Assert.That(error.ToString(), Does.Contain("'trian'").And.Contain("report").And.Contain("sweep"));
    }

    [Test]
    public async Task Report_UnknownFlag_IsNamed_WithTheValidOptions()
    {
        var error = new StringWriter();
        int rc = await CliApp.RunAsync(["report", "runs", "--bogus"], new StringWriter(), error);
        Assert.That(rc, Is.EqualTo(CliApp.UsageError));
        Assert.That(error.ToString(), Does.Contain("'--bogus'").And.Contain("--replicates"));
    }

    [Test]
    public async Task Report_MissingInput_IsAMessageNotAStackTrace()
    {
        var error = new StringWriter();
        int rc = await CliApp.RunAsync(["report", "/nonexistent/runs"], new StringWriter(), error);
        Assert.That(rc, Is.EqualTo(CliApp.UsageError));
        Assert.That(error.ToString(), Does.StartWith("error: report: input '/nonexistent/runs'").And.Not.Contain("   at "));
    }

    [TestCase("0")]
    [TestCase("many")]
    public void Threads_OutOfRange_NamesTheFlagAndTheRange(string value)
    {
        var errors = Errors(TrainCommand.Create(), "--threads", value);
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.Contain("--threads").And.Contain(value).And.Contain("an integer in [1, 1024]"));
    }

    [Test]
    public void Threads_IsARuntimeFlag_NotPartOfTheConfig()
    {
        Assert.That(Errors(TrainCommand.Create(), "--threads", "1"), Is.Empty);
        Assert.That(new TrainOptions().All.Select(o => o.Name), Does.Not.Contain("--threads"));
    }

    [Test]
    public async Task Help_DocumentsTheExitCodes()
    {
        foreach (string[] args in new[] { new[] { "--help" }, new[] { "train", "--help" } })
        {
            var output = new StringWriter();
            Assert.That(await CliApp.RunAsync(args, output, output), Is.Zero);
            Assert.That(output.ToString(), Does.Contain("Exit codes: 0 done").And.Contain("2 bad input").And.Contain("3 run folder in use"));
        }
    }

    [TestCase("{ \"expert\": 4 }", "$.expert: unknown key 'expert' (did you mean 'experts'?); valid keys: preset, env, network")]
    [TestCase("{ \"experts\": \"four\" }", "$.experts: wrong type; expected an integer.")]
    [TestCase("{ \"seed\": -1 }", "$.seed: wrong type; expected a non-negative integer.")]
    [TestCase("{ \"learning_rate\": \"fast\" }", "$.learning_rate: wrong type; expected a number or null.")]
    [TestCase("{ \"env\": null }", "$.env: null is not allowed here")]
    [TestCase("[1, 2]", "expected a JSON object")]
    [TestCase("{ \"experts\": 4 \"seed\": 1 }", "malformed JSON")]
    public async Task ConfigFileErrors_NameTheKeyAndWhatIsExpected_WithoutDotNetTypes(string json, string expected)
    {
        string file = Path.Combine(Path.GetTempPath(), "moescratch-cfg-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, json);
        try
        {
            var error = new StringWriter();
            int rc = await CliApp.RunAsync(["train", "--config", file], new StringWriter(), error);
            Assert.That(rc, Is.EqualTo(ExitCodes.BadInput));
            Assert.That(error.ToString(), Does.StartWith($"error: {file}:1: ").And.Contain(expected));
            Assert.That(error.ToString(), Does.Not.Contain("System.").And.Not.Contain(".NET").And.Not.Contain("TrainConfig"));
            Assert.That(error.ToString().TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task StockParserErrors_AreRewritten_WithoutDotNetTypes()
    {
        var error = new StringWriter();
        int rc = await CliApp.RunAsync(["sweep", "--seeds", "x", "--dry-run"], new StringWriter(), error);
        Assert.That(rc, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(error.ToString(), Does.Contain("error: --seeds: 'x' is not valid; expected a non-negative integer.").And.Not.Contain("System."));
    }

    [Test]
    public void ExitCodes_MapEachKindOfFailure_ToOneLine()
    {
        Assert.That(ExitCodes.Describe(new ArgumentException("--env: bad.", "path")), Is.EqualTo((ExitCodes.BadInput, "error: --env: bad.")));
        Assert.That(ExitCodes.Describe(new DllNotFoundException("The ALE C library was not found.")).Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(ExitCodes.Describe(new InvalidDataException("ckpt corrupt.")).Code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(ExitCodes.Describe(new MoeScratch.Rl.Checkpointing.RunLockedException("/r", "busy")).Code, Is.EqualTo(ExitCodes.RunBusy));
        Assert.That(ExitCodes.Describe(new OperationCanceledException()).Code, Is.EqualTo(ExitCodes.Interrupted));

        string folder = Path.Combine(Path.GetTempPath(), "moescratch-crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            Exception crash;
            try
            {
                throw new NullReferenceException("boom");
            }
            catch (NullReferenceException e) when (ExitCodes.TagRunFolder(e, folder) || true)
            {
                crash = e;
            }
            var (code, line) = ExitCodes.Describe(crash);
            Assert.That(code, Is.EqualTo(ExitCodes.Failure));
            Assert.That(line, Does.StartWith("error: unexpected NullReferenceException: boom. The stack trace is in " + folder));
            string log = Directory.GetFiles(folder, "moescratch-error-*.log").Single();
            Assert.That(File.ReadAllText(log), Does.Contain("boom").And.Contain(nameof(ExitCodes_MapEachKindOfFailure_ToOneLine)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
