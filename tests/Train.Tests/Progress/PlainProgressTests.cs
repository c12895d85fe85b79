using MoeScratch.Train.Progress;

namespace MoeScratch.Train.Tests.Progress;

public class PlainProgressTests
{
    [Test]
    public void PrintsTheFirstAndFinalSnapshot_AndThrottlesTheRest()
    {
        var output = new StringWriter();
        var progress = new PlainProgress(output, TimeSpan.FromHours(1));
        for (long s = 100; s <= 1000; s += 100) progress.Report(new ProgressSnapshot(s, 1000, 50, 1.5, s / 10, 0.25, 0.1));
        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Is.EqualTo("step=100/1000 sps=50 episodes=10 ret_recent=1.50 loss=0.25 eps=0.100 eta=0:00:18"));
        Assert.That(lines[1], Does.StartWith("step=1000/1000 "));
    }

    [Test]
    public void Eta_IsUnknownWithoutThroughput() =>
        Assert.That(new ProgressSnapshot(0, 10, 0, double.NaN, 0, double.NaN, 1).ToLine(), Does.EndWith("eta=?"));
}
