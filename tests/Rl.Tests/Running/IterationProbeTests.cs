using MoeScratch.Nn.Networks;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Analysis;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;
using MoeScratch.Rl.Tests.Agents;

namespace MoeScratch.Rl.Tests.Running;

/// <summary>
/// The runner's per-iteration analysis probes (P1 Fig. 10) on short MinAtar runs with test-size networks: they fire
/// after every iteration with the full tag set, and a run with probes is the run without them, bit for bit.
/// </summary>
public class IterationProbeTests
{
    // Learning starts after 150 steps, so each 250-step iteration ends with a replay memory the probe can sample.
    private static AgentConfig Tiny(AgentConfig preset) => preset with
    {
        MinReplayHistory = 150, BatchSize = 8, ReplayCapacity = 2_000, NetworkFactory = AgentHarness.SmallNetwork(16, preset.Head),
        TargetUpdatePeriod = 100, EpsilonDecayPeriod = 400, UpdatePeriod = 2,
    };

    // Soft MoE with 2 tiny experts on the MinAtar encoder: the router tags must appear too.
    private static readonly AgentConfig TinySoftMoe = AgentConfig.MinAtarDqn with
    {
        MinReplayHistory = 150, BatchSize = 8, ReplayCapacity = 2_000, TargetUpdatePeriod = 100, EpsilonDecayPeriod = 400,
        UpdatePeriod = 4, Network = NetworkConfig.SoftMoe(2) with { Encoder = EncoderKind.MinAtar, ExpertHidden = 8 },
    };

    private static RunnerConfig Config(int iterations) =>
        RunnerConfig.MinAtar() with { Iterations = iterations, TrainingStepsPerIteration = 250, Seed = 3 };

    private static (MemoryMetricsSink Sink, ulong Hash) Run(AgentConfig config, int iterations, IterationProbe? probe)
    {
        using var env = MinAtarGames.Create("breakout", 8);
        using var agent = new DqnAgent(config, [.. env.ObservationShape], env.ActionCount, env.ObservationScale, 8);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Config(iterations), sink) { Probe = probe }.Run();
        return (sink, AgentHarness.StateHash(agent));
    }

    private static readonly string[] DenseTags =
    [
        "dormant_fraction", "dormant_fraction_moe_code", "encoder_dormant_fraction", "srank", "feature_rank_0",
        "feature_rank_0.001", "feature_rank_0.01", "feature_low_variance_0", "feature_variance_norm", "feature_mean_l2_norm",
        "q_mean", "q_std", "param_norm", "entk_rank_0", "entk_rank_0.01", "entk_diag_mean", "entk_diag_std",
        "entk_offdiag_mean", "entk_positive_frac", "entk_negative_frac", IterationProbe.SecondsTag,
    ];

    [Test]
    public void Probes_FireAfterEveryIteration_AtItsLastStep_WithEveryTag()
    {
        var (sink, _) = Run(Tiny(AgentConfig.MinAtarDqn), 3, new IterationProbe(batchSize: 16));

        Assert.That(sink.Iterations, Has.Count.EqualTo(3));
        var byStep = sink.Scalars.GroupBy(s => s.Step).ToList();
        Assert.That(byStep.Select(g => g.Key), Is.EqualTo(sink.Iterations.Select(i => i.TotalSteps)), "one probe per iteration, at its end step");
        foreach (var probe in byStep)
        {
            var tags = probe.Select(s => s.Tag).ToList();
            Assert.That(tags, Is.Unique);
            Assert.That(tags, Is.SupersetOf(DenseTags.Select(t => "analysis/" + t)));
            Assert.That(tags, Has.None.StartsWith("analysis/expert_"), "a dense network has no router");
            Assert.That(probe.Single(s => s.Tag == "analysis/srank").Value, Is.InRange(1.0, 16.0));
            Assert.That(probe.Single(s => s.Tag == "analysis/entk_diag_mean").Value, Is.GreaterThan(0.0));
        }
    }

    [Test]
    public void Probes_OnASoftMoe_LogRoutingMassAndTopExpertCounts()
    {
        var (sink, _) = Run(TinySoftMoe, 1, new IterationProbe(batchSize: 8));

        var tags = sink.Scalars.Select(s => s.Tag).ToList();
        Assert.That(tags, Is.SupersetOf(new[] { "analysis/expert_mass_0", "analysis/expert_mass_1", "analysis/expert_selected_0",
                                                "analysis/expert_selected_1", "analysis/entk_rank_0.01" }));
        double mass = sink.Scalars.Where(s => s.Tag.StartsWith("analysis/expert_mass_", StringComparison.Ordinal)).Sum(s => s.Value);
        Assert.That(mass, Is.EqualTo(1.0).Within(1e-5), "routing mass is a distribution over experts");
    }

    [Test]
    public void Probes_EveryK_FireAfterIterationsK2K()
    {
        var (sink, _) = Run(Tiny(AgentConfig.MinAtarDqn), 4, new IterationProbe(every: 2, batchSize: 4));
        long[] expected = [sink.Iterations[1].TotalSteps, sink.Iterations[3].TotalSteps];
        Assert.That(sink.Scalars.Select(s => s.Step).Distinct(), Is.EqualTo(expected));
    }

    // DQN (MSE, uniform replay) and Rainbow (C51, noisy nets, PER, double DQN, n = 3): every path the probe could
    // disturb — replay sampler RNG and priorities, noise streams, gradients, Adam, modes. The train-mode probe draws
    // noisy-net noise, which the agent must put back.
    [TestCase("dqn", true)]
    [TestCase("rainbow", true)]
    [TestCase("rainbow", false)]
    public void ARunWithProbes_EqualsTheRunWithout_BitForBit(string preset, bool evalMode)
    {
        AgentConfig config = Tiny(preset == "dqn" ? AgentConfig.MinAtarDqn : AgentConfig.MinAtarRainbow);
        var (off, offHash) = Run(config, 3, null);
        var (on, onHash) = Run(config, 3, new IterationProbe(batchSize: 8, options: new ProbeOptions(EvalMode: evalMode)));

        Assert.That(on.Scalars, Is.Not.Empty, "the probes must have run");
        Assert.That(off.Iterations[^1].Agent.GradientUpdates, Is.GreaterThan(100), "the run must train, or the test proves little");
        Assert.That(on.Episodes, Is.EqualTo(off.Episodes), "returns and lengths");
        Assert.That(on.Iterations.Select(i => i.Agent), Is.EqualTo(off.Iterations.Select(i => i.Agent)), "losses, Q and counters");
        Assert.That(onHash, Is.EqualTo(offHash), "parameters, Adam, RNG streams and replay");
    }

    [Test]
    public void AResumedRun_ProbesTheSameBatches_AsAnUninterruptedOne()
    {
        AgentConfig config = Tiny(AgentConfig.MinAtarDqn);
        static List<(string, long, double)> Statistics(MemoryMetricsSink sink) =>
            [.. sink.Scalars.Where(s => !s.Tag.EndsWith(IterationProbe.SecondsTag, StringComparison.Ordinal))];
        var (straight, _) = Run(config, 3, new IterationProbe(batchSize: 8));

        string dir = Path.Combine(Path.GetTempPath(), "moe-probe-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            var resumed = new MemoryMetricsSink();
            using (var env = MinAtarGames.Create("breakout", 8))
            using (var agent = new DqnAgent(config, [.. env.ObservationShape], env.ActionCount, env.ObservationScale, 8))
            {
                new Runner(env, agent, Config(1), resumed)
                {
                    Probe = new IterationProbe(batchSize: 8), Checkpointer = new RunCheckpointer(dir, new DqnAgentStateStore(agent)),
                }.Run();
            }
            using (var env = MinAtarGames.Create("breakout", 99))
            using (var agent = new DqnAgent(config, [.. env.ObservationShape], env.ActionCount, env.ObservationScale, 99))
            {
                var loaded = new RunCheckpointer(dir, new DqnAgentStateStore(agent)).Load(env);
                new Runner(env, agent, Config(3), resumed, loaded.State) { Probe = new IterationProbe(batchSize: 8) }.Run();
            }
            Assert.That(Statistics(resumed), Is.EqualTo(Statistics(straight)));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Probe_OnAnAgentWithoutProbes_IsRefusedWhenSet()
    {
        var env = new ScriptedEnvironment([3], [1f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, 1);
        var runner = new Runner(env, agent, Config(1));
        Assert.That(() => runner.Probe = new IterationProbe(), Throws.ArgumentException.With.Message.Contains("IProbeableAgent"));
    }

    [Test]
    public void Probe_BeforeTheReplayCanServeABatch_LogsNothing()
    {
        var config = Tiny(AgentConfig.MinAtarDqn) with { MinReplayHistory = 1_000 };
        var (sink, _) = Run(config, 1, new IterationProbe());
        Assert.That(sink.Scalars, Is.Empty);
    }
}
