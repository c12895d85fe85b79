using MoeScratch.Rl.Exploration;

namespace MoeScratch.Rl.Tests.Exploration;

public class LinearScheduleTests
{
    // DQN (P1 Table 2): decay 250k after min_replay_history 20k, ε_train 0.01.
    [TestCase(0L, 1.0)]
    [TestCase(20_000L, 1.0)]
    [TestCase(100_000L, 0.6832)]   // 0.01 + 0.99·(270k − 100k)/250k
    [TestCase(145_000L, 0.505)]    // halfway through the decay
    [TestCase(270_000L, 0.01)]
    [TestCase(10_000_000L, 0.01)]
    public void Dqn_HandPickedSteps(long step, double expected)
    {
        var schedule = new LinearSchedule(DecayPeriod: 250_000, WarmupSteps: 20_000, FinalValue: 0.01);
        Assert.That(schedule.Value(step), Is.EqualTo(expected).Within(1e-12));
    }

    [TestCase(1_600L, 1.0)]
    [TestCase(2_600L, 0.505)]
    [TestCase(3_600L, 0.01)]
    public void Der_HandPickedSteps(long step, double expected)
    {
        Assert.That(LinearSchedule.LinearlyDecayingEpsilon(2_000, step, 1_600, 0.01), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void CustomStartValue_DecaysFromIt()
    {
        var schedule = new LinearSchedule(100, 0, 0.1, StartValue: 0.5);
        Assert.That(schedule.Value(0), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(schedule.Value(50), Is.EqualTo(0.3).Within(1e-12));
        Assert.That(schedule.Value(100), Is.EqualTo(0.1).Within(1e-12));
    }

    [Test]
    public void BadParameters_Throw()
    {
        Assert.That(() => new LinearSchedule(0, 0, 0.01).Value(0), Throws.ArgumentException.With.Message.Contains("DecayPeriod"));
        Assert.That(() => new LinearSchedule(10, -1, 0.01).Value(0), Throws.ArgumentException.With.Message.Contains("WarmupSteps"));
        Assert.That(() => new LinearSchedule(10, 0, 1.5).Value(0), Throws.ArgumentException);
    }
}
