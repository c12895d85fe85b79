using MoeScratch.Nn.Heads;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Exploration;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Agents;

public class DqnAgentTests
{
    private static readonly (string Name, AgentConfig Preset, int[] Frame)[] Presets =
    [
        ("Dqn", AgentConfig.Dqn, AgentHarness.AtariFrame),
        ("RainbowLite", AgentConfig.RainbowLite, AgentHarness.AtariFrame),
        ("FullRainbow", AgentConfig.FullRainbow, AgentHarness.AtariFrame),
        ("Der", AgentConfig.Der, AgentHarness.AtariFrame),
        ("DrqEpsilon", AgentConfig.DrqEpsilon, AgentHarness.AtariFrame),
        ("MinAtarDqn", AgentConfig.MinAtarDqn, AgentHarness.MinAtarFrame),
        ("MinAtarRainbow", AgentConfig.MinAtarRainbow, AgentHarness.MinAtarFrame),
    ];

    private static IEnumerable<TestCaseData> PresetCases() =>
        Presets.Select(p => new TestCaseData(p.Name).SetName($"Smoke_{p.Name}"));

    [TestCaseSource(nameof(PresetCases))]
    public void Smoke_EveryPresetTrainsAtTinyBudget(string name)
    {
        var (_, preset, frame) = Presets.Single(p => p.Name == name);
        using var agent = AgentHarness.Create(AgentHarness.Tiny(preset), frame);
        var before = AgentHarness.Snapshot(agent.Online);
        var losses = new FakeEnvLoop(frame[0] * frame[1] * frame[2], 1).Run(agent, 60);
        Assert.That(agent.GradientUpdates, Is.GreaterThan(20));
        Assert.That(float.IsFinite(losses[^1]), Is.True, $"last loss {losses[^1]}");
        Assert.That(float.IsFinite(agent.Stats.LastMeanQ), Is.True);
        var after = AgentHarness.Snapshot(agent.Online);
        Assert.That(after.Any(kv => !kv.Value.AsSpan().SequenceEqual(before[kv.Key])), Is.True, "parameters moved");
        if (preset.Prioritized)
        {
            var tree = ((PrioritizedSampler)agent.Replay.Sampler).Tree;
            var leaves = Enumerable.Range(0, (int)agent.Replay.AddCount).Select(tree.Get).Distinct().Count();
            Assert.That(leaves, Is.GreaterThan(1), "priorities were fed back");
        }
    }

    [Test]
    public void NoisyHeads_TrainWithZeroEpsilon()
    {
        using var rainbow = AgentHarness.Create(AgentHarness.Tiny(AgentConfig.FullRainbow), AgentHarness.AtariFrame);
        Assert.That(rainbow.Epsilon, Is.Zero);
        using var dqn = AgentHarness.Create(AgentHarness.Tiny(AgentConfig.Dqn), AgentHarness.AtariFrame);
        Assert.That(dqn.Epsilon, Is.EqualTo(1.0));
    }

    [Test]
    public void EpsilonSchedule_FollowsDopamineWithWarmupEqualToMinReplay()
    {
        var config = AgentHarness.Tiny(AgentConfig.MinAtarDqn) with { MinReplayHistory = 10, EpsilonDecayPeriod = 20, EpsilonTrain = 0.1 };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        var loop = new FakeEnvLoop(50, 3, episodeLength: 1000);
        var schedule = new LinearSchedule(20, 10, 0.1);
        for (int k = 0; k < 40; k++)
        {
            loop.Run(agent, 1);
            Assert.That(agent.Stats.Epsilon, Is.EqualTo((float)schedule.Value(agent.TrainingSteps)), $"step {k}");
        }
        Assert.That(agent.Stats.Epsilon, Is.EqualTo(0.1f).Within(1e-7f));
    }

    [Test]
    public void TargetNetwork_SyncsEveryPeriodOnlyAfterMinReplay()
    {
        var config = AgentHarness.Tiny(AgentConfig.MinAtarDqn) with { TargetUpdatePeriod = 5 };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        var loop = new FakeEnvLoop(50, 4, episodeLength: 1000); // no truncation; a terminal ends an episode early
        int syncs = 0;
        for (int k = 0; k < 60; k++)
        {
            long stepBefore = agent.TrainingSteps;
            long updatesBefore = agent.GradientUpdates;
            loop.Run(agent, 1);
            if (agent.TrainingSteps == stepBefore) continue; // EndEpisode: no train step
            bool trained = agent.GradientUpdates > updatesBefore;
            bool same = AgentHarness.SameWeights(agent.Online, agent.Target);
            if (trained && stepBefore % 5 == 0)
            {
                Assert.That(same, Is.True, $"sync expected at training step {stepBefore}");
                syncs++;
            }
            else if (trained)
            {
                Assert.That(same, Is.False, $"no sync expected at training step {stepBefore}");
            }
        }
        Assert.That(syncs, Is.GreaterThanOrEqualTo(8));
    }

    [Test]
    public void NoTraining_BeforeMinReplay_AndNoStoringInEvalMode()
    {
        using var agent = AgentHarness.Create(AgentHarness.Tiny(AgentConfig.MinAtarDqn), AgentHarness.MinAtarFrame);
        var loop = new FakeEnvLoop(50, 5, episodeLength: 1000);
        loop.Run(agent, 9);
        Assert.That(agent.GradientUpdates, Is.Zero, "add_count must exceed min replay (8)");
        agent.EvalMode = true;
        long added = agent.Replay.AddCount, steps = agent.TrainingSteps;
        new FakeEnvLoop(50, 6, episodeLength: 1000).Run(agent, 20);
        Assert.That(agent.Replay.AddCount, Is.EqualTo(added));
        Assert.That(agent.TrainingSteps, Is.EqualTo(steps));
        Assert.That(agent.Stats.EnvSteps, Is.EqualTo(steps), "online, every training step is an agent step");
        Assert.That(agent.GradientUpdates, Is.Zero);
    }

    [Test]
    public void ReplayRatio_UpdatesPerStepAndUpdatePeriod()
    {
        var config = AgentHarness.Tiny(AgentConfig.MinAtarDqn) with { UpdatePeriod = 2, UpdatesPerStep = 3, TargetUpdatePeriod = 1000 };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        long updates = 0;
        var loop = new FakeEnvLoop(50, 7, episodeLength: 1000);
        for (int k = 0; k < 40; k++)
        {
            long step = agent.TrainingSteps, before = agent.GradientUpdates;
            loop.Run(agent, 1);
            if (agent.TrainingSteps == step) continue;
            long expected = agent.Replay.AddCount > 8 && step % 2 == 0 ? 3 : 0;
            Assert.That(agent.GradientUpdates - before, Is.EqualTo(expected), $"training step {step}");
            updates += expected;
        }
        Assert.That(agent.GradientUpdates, Is.EqualTo(updates));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Offline_CqlTrainsFromAFilledBuffer(bool distributional)
    {
        var preset = distributional ? AgentConfig.CqlC51 : AgentConfig.Cql;
        var config = AgentHarness.Tiny(preset) with { MinReplayHistory = 0, StackSize = 1 };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        Assert.Throws<InvalidOperationException>(() => agent.TrainOffline(1));
        var rng = new Rng(9);
        var frame = new byte[50];
        for (int i = 0; i < 60; i++)
        {
            for (int j = 0; j < frame.Length; j++) frame[j] = (byte)rng.NextInt(2);
            agent.Replay.Add(frame, rng.NextInt(3), rng.NextInt(3) - 1, terminal: i % 20 == 19, episodeEnd: false);
        }
        agent.TrainOffline(10);
        Assert.That(agent.GradientUpdates, Is.EqualTo(10));
        Assert.That(agent.TrainingSteps, Is.EqualTo(10));
        // logsumexp_a Q ≥ Q(s, a) for every a, so the CQL term is positive.
        Assert.That(agent.Stats.LastAuxLoss, Is.GreaterThan(0f));
        Assert.That(agent.Stats.LastLoss, Is.EqualTo(agent.Stats.LastTdLoss + agent.Stats.LastAuxLoss).Within(1e-4f));
        Assert.That(AgentHarness.SameWeights(agent.Online, agent.Target), Is.True, "target synced at update 10 (period 5)");
    }

    [Test]
    public void ExternalReplay_IsUsedWhenItMatchesAndRejectedOtherwise()
    {
        var config = AgentHarness.Tiny(AgentConfig.Cql) with { StackSize = 1 };
        var replayConfig = new ReplayConfig
        {
            Capacity = 128, Height = 5, Width = 5, Channels = 2, StackSize = 1, UpdateHorizon = 1, Gamma = 0.99f, BatchSize = 4,
        };
        var replay = new ReplayBuffer(replayConfig, new UniformSampler(new Rng(1)));
        using var agent = new DqnAgent(config, AgentHarness.MinAtarFrame, 3, 1f, 1, replay);
        Assert.That(agent.Replay, Is.SameAs(replay));
        var other = new ReplayBuffer(replayConfig with { UpdateHorizon = 3 }, new UniformSampler(new Rng(1)));
        var e = Assert.Throws<ArgumentException>(() => new DqnAgent(config, AgentHarness.MinAtarFrame, 3, 1f, 1, other));
        Assert.That(e!.Message, Does.Contain("n 3"));
    }

    [Test]
    public void MismatchedNetwork_IsRejected()
    {
        var config = AgentHarness.Tiny(AgentConfig.Dqn) with
        {
            NetworkFactory = AgentHarness.SmallNetwork(8, HeadOptions.RainbowLite),
        };
        var e = Assert.Throws<ArgumentException>(() => AgentHarness.Create(config, AgentHarness.AtariFrame));
        Assert.That(e!.Message, Does.Contain("head"));
    }

    [Test]
    public void WrongFrameSize_IsNamed()
    {
        using var agent = AgentHarness.Create(AgentHarness.Tiny(AgentConfig.MinAtarDqn), AgentHarness.MinAtarFrame);
        var e = Assert.Throws<ArgumentException>(() => agent.BeginEpisode(new byte[7]));
        Assert.That(e!.Message, Does.Contain("BeginEpisode"));
    }

    [Test]
    public void FrameStack_ShiftsOldestFirstAndZeroPadsEpisodeStarts()
    {
        // Stack 3 of 1×1×2 frames: after frames f1, f2 of a new episode the stacked state is [0 0 | f1 | f2].
        var config = AgentHarness.Tiny(AgentConfig.Dqn) with { StackSize = 3, ReplayCapacity = 64 };
        using var agent = new DqnAgent(config, [1, 1, 2], 2, 1f, 1);
        agent.EvalMode = true;
        agent.BeginEpisode([9, 9]);
        agent.Step(0f, [8, 8]);
        agent.BeginEpisode([1, 2]);
        agent.Step(0f, [3, 4]);
        string stack = agent.CaptureState().Counters.FrameStack;
        Assert.That(Convert.FromBase64String(stack), Is.EqualTo(new byte[] { 0, 0, 1, 2, 3, 4 }).AsCollection);
    }
}

public class DqnAgentLossWiringTests
{
    [Test]
    public void Prioritized_FeedsBackSqrtOfThePerSampleLosses()
    {
        using var agent = AgentHarness.Create(AgentHarness.Tiny(AgentConfig.RainbowLite), AgentHarness.AtariFrame);
        var loop = new FakeEnvLoop(36, 12, episodeLength: 1000);
        while (agent.GradientUpdates < 3) loop.Run(agent, 1);
        var tree = ((PrioritizedSampler)agent.Replay.Sampler).Tree;
        var indices = agent.LastBatchIndices.ToArray();
        var losses = agent.LastSampleLosses.ToArray();
        for (int i = 0; i < indices.Length; i++)
        {
            if (Array.LastIndexOf(indices, indices[i]) != i) continue; // a repeated index keeps its last loss
            Assert.That(tree.Get(indices[i]), Is.EqualTo(MathF.Sqrt(losses[i] + 1e-10f)).Within(1e-6), $"row {i}");
        }
        Assert.That(losses, Is.All.GreaterThan(0f), "C51 cross-entropy is positive");
    }

    [Test]
    public void MoeAuxiliaryLoss_IsAddedToTheTdLoss()
    {
        var config = AgentHarness.Tiny(AgentConfig.MinAtarDqn) with
        {
            NetworkFactory = (shape, actions, init, noise) =>
                TwoExpertTorso.Network(shape, actions, init, noise, HeadOptions.Dqn, auxWeight: 0.5f),
        };
        using var agent = AgentHarness.Create(config, AgentHarness.MinAtarFrame);
        var loop = new FakeEnvLoop(50, 13, episodeLength: 1000);
        while (agent.GradientUpdates < 2) loop.Run(agent, 1);
        var s = agent.Stats;
        Assert.That(s.LastAuxLoss, Is.GreaterThan(0f));
        Assert.That(s.LastLoss, Is.EqualTo(s.LastTdLoss + s.LastAuxLoss).Within(1e-5f));
        // The aux gradient reaches the router (its only other gradient path is the gate).
        Assert.That(agent.Online.NamedParameters().Single(p => p.Key == "torso.router.weight").Value.Grad!.ToArray(),
                    Has.Some.Not.EqualTo(0f));
    }
}
