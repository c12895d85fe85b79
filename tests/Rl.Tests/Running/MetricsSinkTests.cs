using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Logging;
using MoeScratch.Rl.Running;

namespace MoeScratch.Rl.Tests.Running;

public class MetricsSinkTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "moe-sink-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static RunnerConfig Config(int iterations) =>
        RunnerConfig.MinAtar() with { Iterations = iterations, TrainingStepsPerIteration = 100, KeepCheckpoints = 10 };

    [Test]
    public void CsvAndTensorBoardReceiveEpisodesAndIterationSummaries()
    {
        using var env = MinAtarGames.Create("breakout", 3);
        using var agent = new ScriptedAgent(env.ActionCount, env.ObservationShape, 3) { RecordCalls = false };
        var memory = new MemoryMetricsSink();
        string tbPath;
        using (var sink = new CompositeMetricsSink(new CsvMetricsSink(_dir), new TensorBoardMetricsSink(_dir, clock: () => 1e9), memory))
        {
            new Runner(env, agent, Config(2), sink).Run();
            sink.Scalar("custom/value", 5, 0.25);
            tbPath = Directory.GetFiles(_dir, "events.out.tfevents.*").Single();
        }

        string[] episodes = File.ReadAllLines(Path.Combine(_dir, "episodes.csv"));
        Assert.That(episodes[0], Is.EqualTo("phase,iteration,episode,total_steps,return,length,truncated"));
        Assert.That(episodes, Has.Length.EqualTo(memory.Episodes.Count + 1));
        var e0 = memory.Episodes[0];
        Assert.That(episodes[1], Is.EqualTo($"train,0,0,{e0.TotalSteps},{CsvMetricsWriter.Format(e0.Return)},{e0.Length},false"));
        string[] iterations = File.ReadAllLines(Path.Combine(_dir, "iterations.csv"));
        Assert.That(iterations, Has.Length.EqualTo(3));
        Assert.That(iterations[0], Does.StartWith("iteration,total_steps,train/average_return,"));
        Assert.That(File.ReadAllLines(Path.Combine(_dir, "scalars.csv"))[1], Is.EqualTo("custom/value,5,0.25"));

        var scalars = EventFileReader.ReadScalars(tbPath);
        var avg = scalars.Where(s => s.Tag == "train/average_return").ToList();
        Assert.That(avg.Select(s => s.Step), Is.EqualTo(memory.Iterations.Select(i => i.TotalSteps)));
        Assert.That(avg.Select(s => (double)s.Value), Is.EqualTo(memory.Iterations.Select(i => (double)(float)i.Training.MeanReturn)));
        Assert.That(scalars.Count(s => s.Tag == "train/episode_return"), Is.EqualTo(memory.Episodes.Count));
        Assert.That(scalars.Any(s => s.Tag.StartsWith("eval/", StringComparison.Ordinal)), Is.False, "no evaluation phase: NaN summaries are skipped");
    }

    [Test]
    public void ResumingDropsCsvRowsWrittenAfterTheCheckpointAndMarksTheTensorBoardPurgeStep()
    {
        string ckpt = Path.Combine(_dir, "checkpoints");
        string referenceDir = Path.Combine(_dir, "reference");
        using (var env = MinAtarGames.Create("breakout", 3))
        using (var agent = new ScriptedAgent(env.ActionCount, env.ObservationShape, 3) { RecordCalls = false })
        using (var sink = new CsvMetricsSink(referenceDir))
            new Runner(env, agent, Config(4), sink).Run();

        // A run that checkpoints every iteration and "crashes" after 4 iterations; we resume from iteration 2.
        string runDir = Path.Combine(_dir, "run");
        using (var env = MinAtarGames.Create("breakout", 3))
        using (var agent = new ScriptedAgent(env.ActionCount, env.ObservationShape, 3) { RecordCalls = false })
        using (var sink = new CompositeMetricsSink(new CsvMetricsSink(runDir), new TensorBoardMetricsSink(runDir)))
            new Runner(env, agent, Config(4), sink) { Checkpointer = new RunCheckpointer(ckpt, agent, keep: 10) }.Run();
        string second = RunCheckpointer.List(ckpt)[1];

        using (var env = MinAtarGames.Create("breakout", 77))
        using (var agent = new ScriptedAgent(env.ActionCount, env.ObservationShape, 77) { RecordCalls = false })
        {
            var loaded = new RunCheckpointer(ckpt, agent).Load(env, second);
            Assert.That(loaded.Offsets[CsvMetricsSink.OffsetPrefix + "iterations.csv"], Is.EqualTo(2));
            long purge = loaded.Offsets[TensorBoardMetricsSink.PurgeStepKey];
            Assert.That(purge, Is.EqualTo(loaded.State.TotalSteps + 1));
            using (var sink = new CompositeMetricsSink(new CsvMetricsSink(runDir, loaded.Offsets), new TensorBoardMetricsSink(runDir, loaded.Offsets)))
                new Runner(env, agent, Config(4), sink, loaded.State).Run();
        }

        Assert.That(File.ReadAllLines(Path.Combine(runDir, "episodes.csv")), Is.EqualTo(File.ReadAllLines(Path.Combine(referenceDir, "episodes.csv"))));
        var iterations = File.ReadAllLines(Path.Combine(runDir, "iterations.csv")).Skip(1).Select(l => l.Split(',')[0]);
        Assert.That(iterations, Is.EqualTo(new[] { "0", "1", "2", "3" }));
        Assert.That(Directory.GetFiles(runDir, "events.out.tfevents.*"), Has.Length.EqualTo(2), "a resumed run opens a new event file");
    }

    [Test]
    public void CompositeRefusesCollidingOffsetKeys()
    {
        using var a = new CsvMetricsSink(Path.Combine(_dir, "x"));
        using var b = new CsvMetricsSink(Path.Combine(_dir, "y"));
        var composite = new CompositeMetricsSink(a, b);
        Assert.That(() => composite.Offsets, Throws.InvalidOperationException.With.Message.Contains("csv/episodes.csv"));
    }
}
