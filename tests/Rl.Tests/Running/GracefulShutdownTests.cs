using System.Runtime.InteropServices;
using MoeScratch.Rl.Running;

namespace MoeScratch.Rl.Tests.Running;

public class GracefulShutdownTests
{
    [Test]
    public void TheFirstSignalCancelsAndKeepsTheProcessTheSecondDoesNot()
    {
        var lines = new List<string>();
        using var shutdown = new GracefulShutdown(lines.Add);
        bool firstKept = false, secondKept = false;
        shutdown.Handle(PosixSignal.SIGTERM, () => firstKept = true);
        Assert.That(shutdown.Token.IsCancellationRequested, Is.True);
        Assert.That(firstKept, Is.True);
        Assert.That(shutdown.ExitCode, Is.EqualTo(143));
        shutdown.Handle(PosixSignal.SIGINT, () => secondKept = true);
        Assert.That(secondKept, Is.False, "a second signal must not be swallowed");
        Assert.That(shutdown.Signal, Is.EqualTo(PosixSignal.SIGTERM));
        Assert.That(lines, Has.Count.EqualTo(2));
    }

    [Test]
    public void WithoutASignalNothingIsCancelled()
    {
        using var shutdown = new GracefulShutdown();
        Assert.That(shutdown.Token.IsCancellationRequested, Is.False);
        Assert.That(shutdown.ExitCode, Is.Zero);
    }
}
