using MoeScratch.Rl.Agents;

namespace MoeScratch.Rl.Tests.Agents;

/// <summary>
/// End-to-end learning check: a 6-state deterministic chain, start at the left end, actions left/right, reward 1
/// and terminal on reaching the right end, time limit 30 (truncation). Observations are MinAtar-shaped one-hot
/// frames [1, 6, 1]. A uniformly random walk needs about 25 steps to reach the goal; the optimal policy needs 5.
/// </summary>
public class ChainMdpTests
{
    private const int States = 6, Goal = States - 1, TimeLimit = 30;

    private static byte[] Frame(int s)
    {
        var f = new byte[States];
        f[s] = 1;
        return f;
    }

    /// <summary>Plays one episode; returns the steps to the goal or −1 when truncated.</summary>
    private static int Episode(DqnAgent agent)
    {
        int s = 0;
        int action = agent.BeginEpisode(Frame(s));
        for (int t = 1; t <= TimeLimit; t++)
        {
            s = action == 1 ? s + 1 : Math.Max(0, s - 1);
            if (s == Goal)
            {
                agent.EndEpisode(1f, terminal: true);
                return t;
            }
            if (t == TimeLimit)
            {
                agent.EndEpisode(0f, terminal: false);
                return -1;
            }
            action = agent.Step(0f, Frame(s));
        }
        return -1;
    }

    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(60_000)]
    public void Dqn_SolvesTheChainWithinABoundedNumberOfSteps(bool distributional)
    {
        var preset = distributional ? AgentConfig.MinAtarRainbow with { Head = new(Atoms: 51, VMax: 2f) } : AgentConfig.MinAtarDqn;
        var config = preset with
        {
            Gamma = 0.9f,
            MinReplayHistory = 200,
            ReplayCapacity = 10_000,
            UpdatePeriod = 1,
            TargetUpdatePeriod = 100,
            EpsilonDecayPeriod = 1_000,
            EpsilonTrain = 0.1,
            EpsilonEval = 0,
            LearningRate = 1e-3f,
            NetworkFactory = AgentHarness.SmallNetwork(32, preset.Head),
        };
        using var agent = new DqnAgent(config, [1, States, 1], 2, 1f, seed: 3);
        bool solved = false;
        while (!solved && agent.TrainingSteps < 5_000)
        {
            for (int e = 0; e < 20; e++) Episode(agent);
            agent.EvalMode = true;
            solved = Episode(agent) == Goal;
            agent.EvalMode = false;
        }
        Assert.That(solved, Is.True, $"greedy policy did not reach the goal in {Goal} steps after {agent.TrainingSteps} steps");
        TestContext.Out.WriteLine($"solved after {agent.TrainingSteps} training steps, {agent.GradientUpdates} updates");
    }
}
