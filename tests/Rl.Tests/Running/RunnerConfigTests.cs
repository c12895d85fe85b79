using MoeScratch.Rl.Running;

namespace MoeScratch.Rl.Tests.Running;

public class RunnerConfigTests
{
    [Test]
    public void DefaultsAreDopaminesAtariRunner()
    {
        var c = RunnerConfig.Atari();
        Assert.That((c.Iterations, c.TrainingStepsPerIteration, c.MaxEpisodeSteps, c.ClipRewards, c.EvaluationSteps),
            Is.EqualTo((200, 250_000L, (int?)27_000, true, 0L)));
        Assert.That(RunnerConfig.MinAtar().MaxEpisodeSteps, Is.Null);
        Assert.That(RunnerConfig.Atari100k().EvaluationEpisodes, Is.EqualTo(100));
        Assert.That(c.Validate, Throws.Nothing);
    }

    [TestCase(nameof(RunnerConfig.Iterations))]
    [TestCase(nameof(RunnerConfig.TrainingStepsPerIteration))]
    [TestCase(nameof(RunnerConfig.EvaluationSteps))]
    [TestCase(nameof(RunnerConfig.RewardClip))]
    [TestCase(nameof(RunnerConfig.MaxEpisodeSteps))]
    [TestCase(nameof(RunnerConfig.CheckpointEvery))]
    [TestCase(nameof(RunnerConfig.KeepCheckpoints))]
    public void EachBadFieldIsNamed(string field)
    {
        var c = field switch
        {
            nameof(RunnerConfig.Iterations) => new RunnerConfig { Iterations = 0 },
            nameof(RunnerConfig.TrainingStepsPerIteration) => new RunnerConfig { TrainingStepsPerIteration = 0 },
            nameof(RunnerConfig.EvaluationSteps) => new RunnerConfig { EvaluationSteps = -1 },
            nameof(RunnerConfig.RewardClip) => new RunnerConfig { RewardClip = float.NaN },
            nameof(RunnerConfig.MaxEpisodeSteps) => new RunnerConfig { MaxEpisodeSteps = 0 },
            nameof(RunnerConfig.CheckpointEvery) => new RunnerConfig { CheckpointEvery = 0 },
            _ => new RunnerConfig { KeepCheckpoints = 0 },
        };
        Assert.That(c.Validate, Throws.ArgumentException.With.Message.Contains(field));
    }

    [Test]
    public void BothEvaluationBudgetsAtOnceAreRejected() =>
        Assert.That(new RunnerConfig { EvaluationSteps = 10, EvaluationEpisodes = 2 }.Validate,
            Throws.ArgumentException.With.Message.Contains("EvaluationEpisodes"));
}
