using System.Diagnostics;
using MoeScratch.Rl.Checkpointing;

namespace MoeScratch.Rl.Tests.Checkpointing;

[NonParallelizable]
public class RunLockTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "moe-lock-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ASecondOwnerIsRefusedAtOnce_NamingTheFirst()
    {
        using RunLock first = RunLock.Acquire(_dir);
        Assert.That(first.TakenOverFrom, Is.Null);
        Assert.That(RunLock.ReadOwner(_dir), Is.EqualTo(first.Owner));
        Assert.That(first.Owner.Pid, Is.EqualTo(Environment.ProcessId));
        // flock locks belong to an open file, so a second open in the same process conflicts like another process.
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<RunLockedException>(() => RunLock.Acquire(_dir))!;
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)), "refused at once, not after a wait");
        Assert.That(e.Message, Does.Contain($"PID {Environment.ProcessId} on host {Environment.MachineName}").And.Contain(_dir));
        Assert.That(RunLock.IsHeld(_dir), Is.True);
    }

    [Test]
    public void AReleasedLockLeavesNoOwner_AndCanBeTakenAgain()
    {
        RunLock.Acquire(_dir).Dispose();
        Assert.That(File.Exists(Path.Combine(_dir, RunLock.OwnerFileName)), Is.False);
        Assert.That(RunLock.IsHeld(_dir), Is.False);
        using RunLock again = RunLock.Acquire(_dir);
        Assert.That(again.TakenOverFrom, Is.Null);
        Assert.That(again.TakeOverMessage, Is.Null);
    }

    [Test]
    public void ALockLeftByAKilledProcessIsTakenOverWithAMessage()
    {
        // A child process takes the same flock on its own descriptor (bash opens fd 9, flock(1) locks it, then the
        // process becomes `sleep`, keeping the descriptor), an owner record like RunLock's is written for it, and it
        // is killed with SIGKILL: the OS drops its lock, the owner file stays behind.
        if (OperatingSystem.IsWindows() || !File.Exists("/usr/bin/flock")) Assert.Ignore("needs bash and flock(1).");
        string lockPath = Path.Combine(_dir, RunLock.LockFileName);
        var psi = new ProcessStartInfo("bash", ["-c", "exec 9>>\"$0\"; flock -x 9; exec sleep 60", lockPath]) { UseShellExecute = false };
        using Process child = Process.Start(psi)!;
        File.WriteAllText(Path.Combine(_dir, RunLock.OwnerFileName), $"{{\"pid\":{child.Id},\"host\":\"{Environment.MachineName}\",\"started_utc\":\"2026-01-01T00:00:00Z\"}}");
        var deadline = Stopwatch.StartNew();
        while (!RunLock.IsHeld(_dir) && deadline.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        Assert.That(() => RunLock.Acquire(_dir), Throws.TypeOf<RunLockedException>().With.Message.Contains($"PID {child.Id}"));

        child.Kill();
        child.WaitForExit();
        using RunLock taken = RunLock.Acquire(_dir);
        Assert.That(taken.TakenOverFrom!.Pid, Is.EqualTo(child.Id));
        Assert.That(taken.TakeOverMessage, Does.Contain($"PID {child.Id}").And.Contain("no longer holds it"));
        Assert.That(RunLock.ReadOwner(_dir)!.Pid, Is.EqualTo(Environment.ProcessId));
    }

    [Test]
    public void AMissingFolderIsNotCreated() =>
        Assert.That(() => RunLock.Acquire(Path.Combine(_dir, "absent")), Throws.TypeOf<DirectoryNotFoundException>());
}
