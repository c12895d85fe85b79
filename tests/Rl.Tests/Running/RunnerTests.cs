using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;

namespace MoeScratch.Rl.Tests.Running;

public class RunnerTests
{
    private static RunnerConfig Small(int iterations = 3, long steps = 10) => new()
    {
        Iterations = iterations, TrainingStepsPerIteration = steps, MaxEpisodeSteps = null,
    };

    [Test]
    public void IterationsRunWholeEpisodesUntilTheStepBudgetIsMet()
    {
        using var env = new ScriptedEnvironment([4, 7, 3], [0f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        var result = new Runner(env, agent, Small(iterations: 4, steps: 10), sink).Run();

        Assert.That(result.Reason, Is.EqualTo(StopReason.Completed));
        Assert.That(sink.Iterations, Has.Count.EqualTo(4));
        long total = 0;
        foreach (var it in sink.Iterations)
        {
            var eps = sink.Episodes.Where(e => e.Iteration == it.Iteration && e.Phase == RunPhase.Training).ToList();
            long steps = eps.Sum(e => e.Length);
            Assert.That(it.Training.Steps, Is.EqualTo(steps));
            Assert.That(it.Training.Episodes, Is.EqualTo(eps.Count));
            // At least the budget, and the last episode is the one that crossed it (Dopamine's _run_one_phase).
            Assert.That(steps, Is.GreaterThanOrEqualTo(10));
            Assert.That(steps - eps[^1].Length, Is.LessThan(10));
            total += steps;
            Assert.That(it.TotalSteps, Is.EqualTo(total));
        }
        Assert.That(result.TotalSteps, Is.EqualTo(total));
        Assert.That(env.Resets, Is.EqualTo(sink.Episodes.Count));
        // Episode lengths follow the environment's script: 4, 7, 3, 4, 7, 3, ...
        Assert.That(sink.Episodes.Select(e => e.Length), Is.EqualTo(sink.Episodes.Select((_, i) => new[] { 4, 7, 3 }[i % 3])));
    }

    // Issue 16.2: Dopamine's runner stores a terminal transition on a lost life (end_episode, begin_episode) but the
    // episode — its return, length and cap — runs until game over.
    [Test]
    public void LostLife_EndsTheAgentsEpisode_NotTheLoggedOne()
    {
        using var env = new ScriptedEnvironment([7], [1f], lifeLosses: [3, 5]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Small(iterations: 1, steps: 7), sink).Run();

        Assert.That(sink.Episodes.Select(e => (e.Length, e.Return, e.Truncated)), Is.EqualTo(new[] { (7, 7.0, false) }));
        Assert.That(env.Resets, Is.EqualTo(1), "a lost life does not reset the game");
        Assert.That(agent.Calls.Select(c => c.Call + (c.Call == "end" ? c.Terminal ? "+T" : "-T" : "")), Is.EqualTo(new[]
        {
            "begin", "step", "step", "end+T", "begin", "step", "end+T", "begin", "step", "end+T",
        }));
    }

    [TestCase(4, "end-T")]
    [TestCase(3, "end+T")]
    public void StepCap_CountsTheWholeGameAcrossLostLives(int cap, string lastCall)
    {
        // The game never ends by itself and loses a life at step 3; the cap (not a terminal) ends the logged episode,
        // and a life lost on the capped step stays terminal for the agent (Dopamine's final end_episode(is_terminal)).
        using var env = new ScriptedEnvironment([0], [1f], lifeLosses: [3]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Small(iterations: 1, steps: 1) with { MaxEpisodeSteps = cap }, sink).Run();

        Assert.That(sink.Episodes.Select(e => (e.Length, e.Truncated)), Is.EqualTo(new[] { (cap, true) }));
        var last = agent.Calls[^1];
        Assert.That(last.Call + (last.Terminal ? "+T" : "-T"), Is.EqualTo(lastCall));
    }

    [Test]
    public void AgentSeesClippedRewardsWhileReturnsStayUnclipped()
    {
        using var env = new ScriptedEnvironment([3], [5f, -3f, 0.5f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Small(iterations: 1, steps: 3), sink).Run();

        Assert.That(sink.Episodes.Single().Return, Is.EqualTo(2.5));
        var rewards = agent.Calls.Where(c => c.Call != "begin").Select(c => c.Reward).ToArray();
        Assert.That(rewards, Is.EqualTo(new[] { 1f, -1f, 0.5f }));
        Assert.That(agent.Calls.Select(c => c.Call), Is.EqualTo(new[] { "begin", "step", "step", "end" }));
        Assert.That(agent.Calls[^1].Terminal, Is.True);
    }

    [Test]
    public void ClippingCanBeTurnedOffOrWidened()
    {
        using var env = new ScriptedEnvironment([3], [5f, -3f, 0.5f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        new Runner(env, agent, Small(iterations: 1, steps: 3) with { ClipRewards = false }).Run();
        using var env2 = new ScriptedEnvironment([3], [5f, -3f, 0.5f]);
        using var agent2 = new ScriptedAgent(3, env2.ObservationShape, seed: 1);
        new Runner(env2, agent2, Small(iterations: 1, steps: 3) with { RewardClip = 2f }).Run();

        Assert.That(agent.Calls.Where(c => c.Call != "begin").Select(c => c.Reward), Is.EqualTo(new[] { 5f, -3f, 0.5f }));
        Assert.That(agent2.Calls.Where(c => c.Call != "begin").Select(c => c.Reward), Is.EqualTo(new[] { 2f, -2f, 0.5f }));
    }

    [Test]
    public void TheStepCapTruncatesAndIsNotATerminalForTheAgent()
    {
        using var env = new ScriptedEnvironment([0], [1f]); // never ends by itself
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Small(iterations: 2, steps: 10) with { MaxEpisodeSteps = 7 }, sink).Run();

        Assert.That(sink.Episodes.Select(e => e.Length), Is.All.EqualTo(7));
        Assert.That(sink.Episodes.Select(e => e.Truncated), Is.All.True);
        var ends = agent.Calls.Where(c => c.Call == "end").ToList();
        Assert.That(ends, Has.Count.EqualTo(sink.Episodes.Count));
        Assert.That(ends.Select(c => c.Terminal), Is.All.False);
    }

    [Test]
    public void AnEnvironmentTimeLimitIsReportedAsTruncation()
    {
        using var env = new ScriptedEnvironment([5], [0f], truncateInsteadOfTerminal: true);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Small(iterations: 1, steps: 5), sink).Run();

        Assert.That(sink.Episodes.Single().Truncated, Is.True);
        Assert.That(agent.Calls[^1], Is.EqualTo(("end", 0f, false, false)));
    }

    [Test]
    public void EvaluationEpisodesRunInEvalModeAndDoNotCountAsTrainingSteps()
    {
        using var env = new ScriptedEnvironment([4], [1f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Small(iterations: 2, steps: 8) with { EvaluationEpisodes = 3 }, sink).Run();

        Assert.That(sink.Episodes.Count(e => e.Phase == RunPhase.Evaluation), Is.EqualTo(6));
        Assert.That(sink.Iterations.Select(i => i.Evaluation.Episodes), Is.All.EqualTo(3));
        Assert.That(sink.Iterations.Select(i => i.Evaluation.MeanReturn), Is.All.EqualTo(4.0));
        Assert.That(sink.Iterations[^1].TotalSteps, Is.EqualTo(16));
        // Calls alternate: 2 training episodes (eval off), 3 evaluation episodes (eval on), per iteration.
        var begins = agent.Calls.Where(c => c.Call == "begin").Select(c => c.Eval).ToArray();
        Assert.That(begins, Is.EqualTo(new[] { false, false, true, true, true, false, false, true, true, true }));
        Assert.That(agent.EvalMode, Is.False);
        Assert.That(agent.Stats.EnvSteps, Is.EqualTo(16));
    }

    [Test]
    public void EvaluationByStepsRunsWholeEpisodes()
    {
        using var env = new ScriptedEnvironment([4], [1f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        new Runner(env, agent, Small(iterations: 1, steps: 4) with { EvaluationSteps = 6 }, sink).Run();

        Assert.That(sink.Iterations[0].Evaluation.Episodes, Is.EqualTo(2));
        Assert.That(sink.Iterations[0].Evaluation.Steps, Is.EqualTo(8));
    }

    [Test]
    public void CancellationFinishesTheEpisodeAndResumingMatchesAnUninterruptedRun()
    {
        RunnerConfig config = Small(iterations: 3, steps: 10);
        using var envA = new ScriptedEnvironment([4, 6], [1f, 0f]);
        using var agentA = new ScriptedAgent(3, envA.ObservationShape, seed: 3);
        var sinkA = new MemoryMetricsSink();
        new Runner(envA, agentA, config, sinkA).Run();

        using var envB = new ScriptedEnvironment([4, 6], [1f, 0f]);
        using var agentB = new ScriptedAgent(3, envB.ObservationShape, seed: 3);
        var sinkB = new MemoryMetricsSink();
        using var cts = new CancellationTokenSource();
        agentB.OnStep = a => { if (a.Stats.EnvSteps == 13) cts.Cancel(); };
        var runner = new Runner(envB, agentB, config, sinkB);
        var first = runner.Run(cts.Token);

        Assert.That(first.Reason, Is.EqualTo(StopReason.Cancelled));
        Assert.That(first.IterationsCompleted, Is.EqualTo(1));
        // Episodes last 4, 6, 4, ...: step 13 falls inside the 3rd episode (steps 11..14), which still runs to its end.
        Assert.That(sinkB.Episodes[^1].Length, Is.EqualTo(4));
        Assert.That(runner.State.TotalSteps, Is.EqualTo(14));
        Assert.That(runner.State.TrainEpisodes, Has.Count.EqualTo(1));

        agentB.OnStep = null;
        var second = runner.Run();
        Assert.That(second.Reason, Is.EqualTo(StopReason.Completed));
        Assert.That(sinkB.Episodes, Is.EqualTo(sinkA.Episodes));
        Assert.That(agentB.ParameterHash(), Is.EqualTo(agentA.ParameterHash()));
    }

    [Test]
    public void TwoRunsWithTheSameSeedGiveIdenticalMetrics()
    {
        (List<EpisodeRecord> Episodes, float[] Losses, ulong Hash) RunOnce(ulong seed)
        {
            using var env = MinAtarGames.Create("breakout", seed);
            using var agent = new ScriptedAgent(env.ActionCount, env.ObservationShape, seed) { RecordCalls = false };
            var sink = new MemoryMetricsSink();
            new Runner(env, agent, RunnerConfig.MinAtar() with { Iterations = 3, TrainingStepsPerIteration = 300, Seed = seed }, sink).Run();
            return (sink.Episodes, [.. sink.Iterations.Select(i => i.Agent.LastLoss)], agent.ParameterHash());
        }

        var a = RunOnce(11);
        var b = RunOnce(11);
        var c = RunOnce(12);
        Assert.That(b.Episodes, Is.EqualTo(a.Episodes));
        Assert.That(b.Losses, Is.EqualTo(a.Losses));
        Assert.That(b.Hash, Is.EqualTo(a.Hash));
        Assert.That(c.Hash, Is.Not.EqualTo(a.Hash), "another seed must give another run, or the check above proves nothing");
    }

    [Test]
    public void RunningPastTheLastIterationIsRefused()
    {
        using var env = new ScriptedEnvironment([2], [0f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var runner = new Runner(env, agent, Small(iterations: 1, steps: 2));
        runner.Run();
        Assert.That(() => runner.RunIteration(), Throws.InvalidOperationException.With.Message.Contains("Iterations"));
        Assert.That(runner.Run().IterationsCompleted, Is.EqualTo(1));
    }

    [Test]
    public void AMismatchedActionCountIsRejected()
    {
        using var env = new ScriptedEnvironment([2], [0f]);
        using var agent = new ScriptedAgent(5, env.ObservationShape, seed: 1);
        Assert.That(() => new Runner(env, agent, Small()), Throws.ArgumentException.With.Message.Contains("5 actions"));
    }

    [Test]
    public void EvaluateRunsStandaloneEvaluationEpisodesWithoutTouchingTrainingCounters()
    {
        using var env = new ScriptedEnvironment([3, 5], [2f]);
        using var agent = new ScriptedAgent(3, env.ObservationShape, seed: 1);
        var sink = new MemoryMetricsSink();
        var runner = new Runner(env, agent, Small(iterations: 1, steps: 3), sink);
        runner.Run();
        long steps = runner.State.TotalSteps;
        PhaseStats stats = runner.Evaluate(4);

        Assert.That((stats.Episodes, stats.Steps, stats.MeanReturn), Is.EqualTo((4, 16L, 8.0)));
        Assert.That(runner.State.TotalSteps, Is.EqualTo(steps));
        Assert.That(runner.State.EvalEpisodes, Is.Empty);
        Assert.That(runner.State.TotalEvalEpisodes, Is.EqualTo(4));
        Assert.That(agent.Calls.Where(c => c.Call == "begin").Skip(1).Select(c => c.Eval), Is.All.True);
        Assert.That(agent.EvalMode, Is.False);
        Assert.That(sink.Episodes.Count(e => e.Phase == RunPhase.Evaluation), Is.EqualTo(4));
        Assert.That(() => runner.Evaluate(0), Throws.ArgumentException);
    }
}
