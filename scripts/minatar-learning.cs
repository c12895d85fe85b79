#:project ../Rl/Rl.csproj
#:property TreatWarningsAsErrors=false
#:property NoWarn=$(NoWarn);CA1303;CA1515;CA1812;CA2007;CA1305

// The long version of tests/Rl.Tests/Learning/MinAtarLearningTests (not part of the test suite): DQN with the MinAtar
// preset on one MinAtar game, Dopamine's iteration protocol, CSV + TensorBoard metrics, a checkpoint every
// iteration (keep 2), Ctrl-C → finish the episode, checkpoint, exit 130; rerunning the same command resumes.
//
//   dotnet run -c Release scripts/minatar-learning.cs -- [game] [iterations] [steps-per-iteration] [seed] [run-dir]
//   defaults:                                  breakout 10 10000 1 runs/minatar-<game>-dqn-seed<seed>
//
// The ε schedule decays over the first iteration's steps (the preset's 250k suits 10 × 1M-step runs).
using System.Globalization;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;

string game = args.Length > 0 ? args[0] : "breakout";
int iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
long steps = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
ulong seed = args.Length > 3 ? ulong.Parse(args[3], CultureInfo.InvariantCulture) : 1;
string runDir = args.Length > 4 ? args[4] : Path.Combine("runs", $"minatar-{game}-dqn-seed{seed}");

var random = RandomPolicyBaseline.Measure(game, episodes: 500, seed: 99);
Console.WriteLine($"random policy: {random}");

using var env = MinAtarGames.Create(game, seed);
var agentConfig = AgentConfig.MinAtarDqn with { EpsilonDecayPeriod = (int)Math.Min(steps, 250_000) };
using var agent = new DqnAgent(agentConfig, [.. env.ObservationShape], env.ActionCount, env.ObservationScale, seed);
var config = RunnerConfig.MinAtar() with { Iterations = iterations, TrainingStepsPerIteration = steps, EvaluationEpisodes = 20, Seed = seed, KeepCheckpoints = 2 };
var checkpointer = new RunCheckpointer(Path.Combine(runDir, "checkpoints"), new DqnAgentStateStore(agent), config.KeepCheckpoints);

RunnerState? state = null;
IReadOnlyDictionary<string, long>? offsets = null;
if (RunCheckpointer.Latest(checkpointer.Directory) is not null)
{
    var loaded = checkpointer.Load(env);
    (state, offsets) = (loaded.State, loaded.Offsets);
    Console.WriteLine($"resuming {loaded.Path}: iteration {state.Iteration}, {state.TotalSteps} steps");
}

using var sink = new CompositeMetricsSink(new CsvMetricsSink(runDir, offsets), new TensorBoardMetricsSink(runDir, offsets), new ConsoleSink());
using var shutdown = new GracefulShutdown(Console.Error.WriteLine);
var runner = new Runner(env, agent, config, sink, state) { Checkpointer = checkpointer };
var result = runner.Run(shutdown.Token);
Console.WriteLine($"{result.Reason} after {result.IterationsCompleted} iterations, {result.TotalSteps} steps; last checkpoint {result.LastCheckpoint}");
return result.Reason == StopReason.Cancelled ? shutdown.ExitCode : 0;

sealed class ConsoleSink : IMetricsSink
{
    public void Scalar(string tag, long step, double value) { }
    public void Episode(EpisodeRecord episode) { }
    public void Iteration(IterationStats s) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"iteration {s.Iteration}: steps {s.TotalSteps}, train return {s.Training.MeanReturn:F2} ({s.Training.Episodes} episodes), " +
        $"eval return {s.Evaluation.MeanReturn:F2}, {s.Training.StepsPerSecond:F0} steps/s, loss {s.Agent.LastLoss:G3}, ε {s.Agent.Epsilon:F3}"));
    public void Flush() { }
    public IReadOnlyDictionary<string, long> Offsets => new Dictionary<string, long>();
    public void Dispose() { }
}
