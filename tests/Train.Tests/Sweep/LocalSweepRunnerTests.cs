using MoeScratch.Train.Sweep;

namespace MoeScratch.Train.Tests.Sweep;

[NonParallelizable]
public class LocalSweepRunnerTests
{
    [Test]
    public async Task RunsJobsAsChildProcessesOfTheApp_KAtATime_WithOneLogEach()
    {
        string dir = Path.Combine(Path.GetTempPath(), "moescratch-sweep-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string csv = Path.Combine(dir, "s.csv");
            File.WriteAllLines(csv, ["algorithm,task,seed,score", "a,minatar-breakout,0,1", "a,minatar-breakout,1,2"]);
            // Cheap child jobs: `report` runs of the real app (the same path `train` jobs take), plus one that fails.
            var jobs = new List<SweepJob>();
            for (int i = 0; i < 2; i++)
                jobs.Add(new SweepJob(i, "p", "e", "n", (ulong)i, ["report", csv, "--replicates", "10", "--output", Path.Combine(dir, $"r{i}")]));
            jobs.Add(new SweepJob(2, "p", "e", "n", 2, ["report", Path.Combine(dir, "missing.csv")]));
            string dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "MoeScratch.Train.dll");
            var done = new List<int>();
            var results = await LocalSweepRunner.RunAsync(jobs, ["dotnet", dll], Path.Combine(dir, "logs"), parallel: 2,
                                                          r => { lock (done) done.Add(r.Job.Index); }, CancellationToken.None);
            Assert.That(results.Select(r => r.ExitCode), Is.EqualTo(new[] { 0, 0, 2 }));
            Assert.That(done.Order(), Is.EqualTo(new[] { 0, 1, 2 }));
            Assert.That(File.Exists(Path.Combine(dir, "r1", "report.md")), Is.True);
            Assert.That(File.ReadAllText(results[2].LogPath), Does.Contain("missing.csv"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
