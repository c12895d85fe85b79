using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Offline;
using MoeScratch.Rl.Running;
using MoeScratch.Rl.Tests.Agents;

namespace MoeScratch.Rl.Tests.Offline;

/// <summary>The offline path end to end: record a DQN run's transitions, load them into a CQL agent, train offline.</summary>
public class OfflineCqlTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "moe-cql-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void ARecordedDqnRunTrainsACqlAgentOffline()
    {
        var online = AgentConfig.MinAtarDqn with { MinReplayHistory = 100, BatchSize = 8, ReplayCapacity = 1_000, EpsilonDecayPeriod = 200, NetworkFactory = AgentHarness.SmallNetwork(16, AgentConfig.MinAtarDqn.Head) };
        using (var env = MinAtarGames.Create("breakout", 2))
        using (var dqn = new DqnAgent(online, [.. env.ObservationShape], env.ActionCount, env.ObservationScale, 2))
        {
            var recorder = new TransitionRecorder(env.ObservationShape);
            new Runner(env, new RecordingAgent(dqn, recorder), RunnerConfig.MinAtar() with { Iterations = 1, TrainingStepsPerIteration = 400 }).Run();
            Assert.That(recorder.Count, Is.EqualTo(dqn.Replay.AddCount));
            recorder.WriteCheckpoint(_dir, 0);
        }

        var cqlConfig = AgentConfig.Cql with { StackSize = 1, BatchSize = 8, ReplayCapacity = 1_000, TargetUpdatePeriod = 20, NetworkFactory = AgentHarness.SmallNetwork(16, AgentConfig.Cql.Head) };
        using var cql = new DqnAgent(cqlConfig, [10, 10, 4], 6, 1f, 3);
        long added = DqnReplayDatasetLoader.Fill(cql.Replay, _dir, 0);
        Assert.That(added, Is.GreaterThanOrEqualTo(400));
        cql.TrainOffline(40);
        Assert.That(cql.Stats.GradientUpdates, Is.EqualTo(40));
        Assert.That(float.IsFinite(cql.Stats.LastLoss), Is.True);
        Assert.That(cql.Stats.LastAuxLoss, Is.GreaterThan(0f), "the CQL regulariser logsumexp Q − Q(s, a_data) is positive");
    }
}
