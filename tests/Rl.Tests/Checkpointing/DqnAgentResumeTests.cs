using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;
using MoeScratch.Rl.Tests.Agents;

namespace MoeScratch.Rl.Tests.Checkpointing;

/// <summary>
/// Bit-exact resume on the real agent: I iterations in one go equal k iterations, a checkpoint, fresh
/// objects and I − k more, bit for bit (episodes, per-iteration losses, parameter and replay hash) on CPU.
/// </summary>
public class DqnAgentResumeTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "moe-dqn-resume-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    // A tiny MinAtar DQN: learning starts after 150 steps, so every resumed iteration trains and syncs targets.
    private static readonly AgentConfig Tiny = AgentConfig.MinAtarDqn with
    {
        MinReplayHistory = 150, BatchSize = 8, ReplayCapacity = 2_000, NetworkFactory = AgentHarness.SmallNetwork(16, AgentConfig.MinAtarDqn.Head), TargetUpdatePeriod = 100,
        EpsilonDecayPeriod = 400, UpdatePeriod = 2,
    };

    private static RunnerConfig Config(int iterations) =>
        RunnerConfig.MinAtar() with { Iterations = iterations, TrainingStepsPerIteration = 250, EvaluationEpisodes = 1, Seed = 3 };

    private static (MinAtarGame Env, DqnAgent Agent) Make(ulong seed)
    {
        var env = MinAtarGames.Create("breakout", seed);
        return (env, new DqnAgent(Tiny, [.. env.ObservationShape], env.ActionCount, env.ObservationScale, seed));
    }

    private static ulong Hash(DqnAgent agent) => AgentHarness.StateHash(agent);

    private static float[] Losses(MemoryMetricsSink sink) => [.. sink.Iterations.Select(i => i.Agent.LastLoss)];

    [Test]
    public void KIterationsPlusResumeEqualAnUninterruptedRun()
    {
        var reference = new MemoryMetricsSink();
        ulong referenceHash;
        var (envA, agentA) = Make(8);
        using (envA)
        using (agentA)
        {
            new Runner(envA, agentA, Config(4), reference).Run();
            referenceHash = Hash(agentA);
        }
        Assert.That(reference.Iterations[^1].Agent.GradientUpdates, Is.GreaterThan(100), "the run must train, or the test proves little");

        var resumed = new MemoryMetricsSink();
        var (envB, agentB) = Make(8);
        using (envB)
        using (agentB)
            new Runner(envB, agentB, Config(2), resumed) { Checkpointer = new RunCheckpointer(_dir, new DqnAgentStateStore(agentB)) }.Run();

        var (envC, agentC) = Make(1234); // another seed: everything must come from the checkpoint
        using (envC)
        using (agentC)
        {
            var loaded = new RunCheckpointer(_dir, new DqnAgentStateStore(agentC)).Load(envC);
            new Runner(envC, agentC, Config(4), resumed, loaded.State).Run();
            Assert.That(resumed.Episodes, Is.EqualTo(reference.Episodes));
            Assert.That(Losses(resumed), Is.EqualTo(Losses(reference)));
            Assert.That(Hash(agentC), Is.EqualTo(referenceHash));
        }
    }

    [Test]
    public void TwoRunsWithTheSameSeedAreIdenticalAndAnotherSeedDiffers()
    {
        (List<EpisodeRecord>, float[], ulong) RunOnce(ulong seed)
        {
            var (env, agent) = Make(seed);
            using (env)
            using (agent)
            {
                var sink = new MemoryMetricsSink();
                new Runner(env, agent, Config(2), sink).Run();
                return (sink.Episodes, Losses(sink), Hash(agent));
            }
        }

        var a = RunOnce(5);
        var b = RunOnce(5);
        var c = RunOnce(6);
        Assert.That(b, Is.EqualTo(a).Using<(List<EpisodeRecord> E, float[] L, ulong H)>((x, y) => x.E.SequenceEqual(y.E) && x.L.SequenceEqual(y.L) && x.H == y.H));
        Assert.That(c.Item3, Is.Not.EqualTo(a.Item3));
    }

    [Test]
    public void ACorruptedAgentCheckpointIsRefusedBeforeAnythingIsRestored()
    {
        var (env, agent) = Make(8);
        using (env)
        using (agent)
        {
            string ckpt = new Runner(env, agent, Config(1)) { Checkpointer = new RunCheckpointer(_dir, new DqnAgentStateStore(agent)) }.Run().LastCheckpoint!;
            string path = Path.Combine(ckpt, DqnAgentStateStore.TensorsFile);
            byte[] bytes = File.ReadAllBytes(path);
            bytes[^5] ^= 0x01;
            File.WriteAllBytes(path, bytes);
            ulong before = Hash(agent);
            Assert.That(() => new RunCheckpointer(_dir, new DqnAgentStateStore(agent)).Load(env),
                Throws.TypeOf<InvalidDataException>().With.Message.Contains(DqnAgentStateStore.TensorsFile));
            Assert.That(Hash(agent), Is.EqualTo(before));
        }
    }
}
