using MoeScratch.Train.Config;

namespace MoeScratch.Train.Tests.Config;

public class TrainConfigTests
{
    [Test]
    public void Defaults_AreValid() => Assert.That(new TrainConfig().Validate(), Is.Empty);

    [Test]
    public void Validate_NamesFlagAndRule()
    {
        var errors = new TrainConfig { Network = "softmoe", WidthMultiplier = 2, Env = "minatar:pong" }.Validate();
        Assert.That(errors, Has.Some.Contains("--width-multiplier").And.Contains("--experts"));
        Assert.That(errors, Has.Some.Contains("--env").And.Contains("breakout"));
    }

    [Test]
    public void Validate_ProbeSettingsFromAFile_NameTheFlagAndTheRange()
    {
        var c = JsonConfig.Deserialize("{ \"probe_every\": -2, \"probe_batch\": 0, \"dormant_tau\": 3 }", "probes.json");
        var errors = c.Validate();
        Assert.That(errors, Has.Some.Contains("--probe-every: '-2'").And.Contains("0 turns the analysis probes off"));
        Assert.That(errors, Has.Some.Contains("--probe-batch: '0'").And.Contains("[1, 1024]"));
        Assert.That(errors, Has.Some.Contains("--dormant-tau: '3'").And.Contains("[0, 1]"));
    }

    [Test]
    public void Json_RoundTrips()
    {
        var c = new TrainConfig { Network = "top1", Experts = 8, LearningRate = 1e-4, Seed = 7, Experiment = "abc" };
        Assert.That(JsonConfig.Deserialize(JsonConfig.Serialize(c), "mem"), Is.EqualTo(c));
        Assert.That(JsonConfig.Serialize(c), Does.Contain("\"width_multiplier\": 1").And.Contain("\"learning_rate\": 0.0001"));
    }

    [Test]
    public void Json_UnknownKey_IsAnErrorNamingFileAndKey()
    {
        Assert.That(() => JsonConfig.Deserialize("{ \"learning_rat\": 0.1 }", "my.json"),
                    Throws.ArgumentException.With.Message.Contains("my.json").And.Message.Contains("learning_rat"));
    }

    [Test]
    public void Json_AllowsCommentsAndTrailingCommas()
    {
        var c = JsonConfig.Deserialize("{ // a comment\n \"experts\": 2, }", "x.json");
        Assert.That(c.Experts, Is.EqualTo(2));
    }

    [TestCase("minatar:Breakout", EnvKind.MinAtar, "breakout", "minatar-breakout")]
    [TestCase("atari:/roms/pong.bin", EnvKind.Atari, "/roms/pong.bin", "atari-pong")]
    public void EnvSpec_Parses(string text, EnvKind kind, string target, string shortName)
    {
        EnvSpec spec = EnvSpec.Parse(text);
        Assert.That(spec.Kind, Is.EqualTo(kind));
        Assert.That(spec.Target, Is.EqualTo(target));
        Assert.That(spec.ShortName, Is.EqualTo(shortName));
    }

    [TestCase("breakout")]
    [TestCase("minatar:pong")]
    [TestCase("atari:")]
    public void EnvSpec_BadValue_ListsTheForms(string text)
    {
        Assert.That(EnvSpec.TryParse(text, out _, out string? error), Is.False);
        Assert.That(error, Does.Contain("minatar:<game>").And.Contain("atari:<rom path>").And.Contain("space_invaders"));
    }

    [Test]
    public void RunFolder_NameRoundTrips()
    {
        string name = RunFolder.Name("minatar:breakout", "dqn softmoe", 42, new DateTime(2026, 11, 23, 21, 5, 9, DateTimeKind.Utc));
        Assert.That(name, Is.EqualTo("minatar-breakout__dqn-softmoe__42__20261123-210509"));
        Assert.That(RunFolder.TryParseName(name, out string env, out string exp, out ulong seed), Is.True);
        Assert.That((env, exp, seed), Is.EqualTo(("minatar-breakout", "dqn-softmoe", 42UL)));
    }
}
