using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Agents;
using MoeScratch.Train.Cli;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Config;

/// <summary>Presets by environment family and their protocols, resolved without ALE (issues 22 and 16.3).</summary>
public class PresetProtocolTests
{
    private const string Pong = "atari:roms/pong.bin";

    private static TrainConfig Resolved(TrainConfig c)
    {
        Assert.That(c.Validate(), Is.Empty);
        return TrainSetup.ResolveDerived(c);
    }

    // Issue 22.1: an atari: run without --preset gets P1's DQN (dqn.gin) with its network; minatar: keeps minatar-dqn.
    [Test]
    public void AtariRunWithoutPreset_GetsTheDqnPresetWithItsPaperValues()
    {
        TrainConfig c = Resolved(new TrainConfig { Env = Pong, Network = "baseline" });
        Assert.That((c.Preset, c.Encoder, c.StackSize, c.DenseWidth), Is.EqualTo(("dqn", "nature", 4, 512)));
        Assert.That((c.LearningRate, c.BatchSize, c.MinReplayHistory, c.TargetUpdatePeriod), Is.EqualTo((6.25e-5, 32, 20_000, 8_000)));
        Assert.That((c.RepeatActionProbability, c.TerminalOnLifeLoss, c.FinalEvalEpisodes), Is.EqualTo((0.25, false, 0)));
        AgentConfig agent = TrainSetup.Agent(c);
        Assert.That((agent.Network.Encoder, agent.StackSize, agent.UpdatePeriod, agent.Gamma), Is.EqualTo((EncoderKind.NatureCnn, 4, 4, 0.99f)));
        Assert.That(TrainSetup.Runner(c, agent).MaxEpisodeSteps, Is.EqualTo(27_000));
    }

    [Test]
    public void MinAtarRunWithoutPreset_KeepsMinAtarDqn()
    {
        TrainConfig c = Resolved(new TrainConfig { Network = "baseline" });
        Assert.That((c.Preset, c.Encoder, c.StackSize, c.DenseWidth), Is.EqualTo(("minatar-dqn", "minatar", 1, 512)));
        Assert.That((c.LearningRate, c.TargetUpdatePeriod), Is.EqualTo((2.5e-4, 1_000)));
        Assert.That((c.RepeatActionProbability, c.TerminalOnLifeLoss, c.FinalEvalEpisodes), Is.EqualTo(((double?)null, (bool?)null, 0)));
        Assert.That(TrainSetup.Agent(c).Network.Encoder, Is.EqualTo(EncoderKind.MinAtar));
    }

    [TestCase("minatar-dqn", Pong, "dqn, rainbow-lite, full-rainbow, der, drq-eps")]
    [TestCase("minatar-rainbow", Pong, "dqn, rainbow-lite, full-rainbow, der, drq-eps")]
    [TestCase("dqn", "minatar:breakout", "minatar-dqn, minatar-rainbow")]
    [TestCase("der", "minatar:asterix", "minatar-dqn, minatar-rainbow")]
    public void PresetOfTheOtherFamily_IsAnErrorNamingThisFamilysPresets(string preset, string env, string presets)
    {
        var errors = new TrainConfig { Preset = preset, Env = env }.Validate();
        Assert.That(errors, Has.Some.Contains("--preset").And.Contains($"'{preset}'").And.Contains(presets));
    }

    // Issue 22.2: each preset's encoder comes from its paper config; --encoder overrides it.
    [TestCase("dqn", "nature")]
    [TestCase("rainbow-lite", "nature")]
    [TestCase("full-rainbow", "impala")]
    [TestCase("der", "nature")]
    [TestCase("drq-eps", "nature")]
    [TestCase("minatar-dqn", "minatar")]
    [TestCase("minatar-rainbow", "minatar")]
    public void Encoder_DefaultsToThePresetsPaperConfig_AndTheFlagOverridesIt(string preset, string encoder)
    {
        string env = PresetCatalog.Find(preset)!.Family == EnvKind.Atari ? Pong : "minatar:breakout";
        Assert.That(Resolved(new TrainConfig { Preset = preset, Env = env }).Encoder, Is.EqualTo(encoder));
        TrainConfig impala = Resolved(new TrainConfig { Preset = preset, Env = env, Encoder = "impala" });
        Assert.That((impala.Encoder, TrainSetup.Network(impala).Encoder), Is.EqualTo(("impala", EncoderKind.Impala)));
    }

    // Issue 16.3: der and drq-eps run the Atari-100k protocol from the CLI.
    [TestCase("der")]
    [TestCase("drq-eps")]
    public void Atari100kPresets_RunTheAtari100kProtocol(string preset)
    {
        TrainConfig c = Resolved(new TrainConfig { Preset = preset, Env = Pong });
        Assert.That((c.TotalSteps, c.Iterations, c.FinalEvalEpisodes), Is.EqualTo((100_000L, 10, 100)));
        Assert.That((c.RepeatActionProbability, c.TerminalOnLifeLoss), Is.EqualTo((0.0, true)));
        var ale = TrainSetup.AtariSettings(c, "roms/pong.bin", 7);
        Assert.That((ale.RepeatActionProbability, ale.TerminalOnLifeLoss, ale.MaxEpisodeSteps, ale.Seed), Is.EqualTo((0f, true, 27_000, 7UL)));
        var runner = TrainSetup.Runner(c, TrainSetup.Agent(c));
        Assert.That((runner.Iterations, runner.TrainingStepsPerIteration, runner.EvaluationEpisodes), Is.EqualTo((10, 10_000L, 0)));
        Assert.That(TrainSetup.Agent(c).EpsilonEval, Is.EqualTo(0.001));
        // An explicit budget or protocol flag wins (e.g. a smoke test of the protocol).
        TrainConfig smoke = Resolved(new TrainConfig { Preset = preset, Env = Pong, TotalSteps = 500, RepeatActionProbability = 0.25 });
        Assert.That((smoke.TotalSteps, smoke.RepeatActionProbability, smoke.TerminalOnLifeLoss), Is.EqualTo((500L, 0.25, true)));
    }

    [TestCase("dqn")]
    [TestCase("full-rainbow")]
    public void OtherAtariPresets_KeepDopaminesProtocol(string preset)
    {
        TrainConfig c = Resolved(new TrainConfig { Preset = preset, Env = Pong });
        Assert.That((c.TotalSteps, c.FinalEvalEpisodes, c.RepeatActionProbability, c.TerminalOnLifeLoss), Is.EqualTo((20_000L, 0, 0.25, false)));
    }

    [Test]
    public void AtariOnlyFlags_OnMinAtar_AreErrors()
    {
        var errors = new TrainConfig { RepeatActionProbability = 0.1, TerminalOnLifeLoss = true }.Validate();
        Assert.That(errors, Has.Some.Contains("--repeat-action-probability").And.Contains("atari: environments only"));
        Assert.That(errors, Has.Some.Contains("--terminal-on-life-loss").And.Contains("atari: environments only"));
    }

    // Issue 16.5: --dense-width sets the MinAtar presets' hidden layer (0: Revisiting Rainbow, 128: the MinAtar paper).
    [TestCase(0)]
    [TestCase(128)]
    [TestCase(512)]
    public void DenseWidth_SetsTheDenseNetworksHiddenLayer(int width)
    {
        TrainConfig c = Resolved(new TrainConfig { Network = "baseline", DenseWidth = width });
        Assert.That((c.DenseWidth, TrainSetup.Network(c).DenseWidth, TrainSetup.Network(c).PenultimateWidth), Is.EqualTo((width, width, width)));
        Assert.DoesNotThrow(() => TrainSetup.Agent(c).Validate());
    }

    [Test]
    public void DenseWidth_OnAnMoeOrZeroOnAnAggregatingNetwork_IsAnError()
    {
        Assert.That(new TrainConfig { Network = "softmoe", DenseWidth = 128 }.Validate(), Has.Some.Contains("--dense-width").And.Contains("--expert-hidden"));
        Assert.That(new TrainConfig { Network = "gap", DenseWidth = 0 }.Validate(), Has.Some.Contains("--dense-width").And.Contains("baseline network only"));
        Assert.That(Resolved(new TrainConfig { Network = "softmoe" }).DenseWidth, Is.Null, "an MoE has no dense width");
    }

    [Test]
    public void ResolvedConfig_RoundTripsThroughJson_AndAnUnsetPresetFollowsTheEnv()
    {
        TrainConfig c = Resolved(new TrainConfig { Env = Pong, Preset = "der" });
        Assert.That(JsonConfig.Deserialize(JsonConfig.Serialize(c), "mem"), Is.EqualTo(c));
        TrainConfig file = JsonConfig.Deserialize($"{{ \"env\": \"{Pong}\" }}", "file.json");
        Assert.That((file.Preset, file.TotalSteps), Is.EqualTo(("dqn", 20_000L)));
        Assert.That(JsonConfig.Serialize(new TrainConfig()), Does.Contain("\"preset\": null").And.Contain("\"total_steps\": null"));
    }

    // Issue 22.4: the resolved config of an Atari run is printable without ALE or a ROM.
    [Test]
    public async Task PrintConfig_PrintsTheResolvedConfigJson_WithoutAle()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int rc = await CliApp.RunAsync(["train", "--env", Pong, "--network", "softmoe", "--experts", "8", "--print-config"], output, error);
        Assert.That(rc, Is.Zero, error.ToString());
        TrainConfig printed = JsonConfig.Deserialize(output.ToString(), "stdout");
        Assert.That((printed.Preset, printed.Encoder, printed.StackSize, printed.Experts), Is.EqualTo(("dqn", "nature", 4, 8)));
        Assert.That(printed, Is.EqualTo(TrainSetup.ResolveDerived(new TrainConfig { Env = Pong, Network = "softmoe", Experts = 8 })));

        rc = await CliApp.RunAsync(["train", "--env", Pong, "--preset", "minatar-dqn", "--print-config"], output, error);
        Assert.That(rc, Is.EqualTo(CliApp.UsageError));
        Assert.That(error.ToString(), Does.Contain("--preset: 'minatar-dqn' is a MinAtar preset"));
    }
}
