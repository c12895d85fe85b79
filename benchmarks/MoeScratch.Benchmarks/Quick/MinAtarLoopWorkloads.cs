using System.Diagnostics;
using System.Globalization;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>minatar-&lt;net&gt;-loop</c>: the trainer's own loop for <c>--preset minatar-dqn --env minatar:breakout --seed 0</c>
/// (the same environment, agent and seeds as samples/Train's TrainSetup), run by <see cref="Runner"/>: environment
/// steps, ε-greedy acting at batch 1, replay adds and sampling, an update every 4 agent steps and the target sync,
/// with no metrics sink, probes or evaluation. Setup plays until the replay holds the preset's 1,000 transitions
/// (training has started); the runner's warm-up then runs whole iterations before the timed ones.
/// </summary>
/// <remarks>
/// One run is one runner iteration of at least <see cref="StepsPerRun"/> agent steps; the iteration ends with its
/// episode, so runs differ in length and <c>median_ms</c> is per iteration. <c>steps_per_s</c> is the median over the
/// timed runs of each run's agent steps per second (<c>thread_cpu_steps_per_s</c> the same per second of the thread's CPU
/// time); <c>gflops</c> and <c>flop_limit_fraction</c> follow from the wall rate and
/// <see cref="MinAtarNetworks.AgentStepFlops"/> (one act forward and a quarter of an update per agent step).
/// </remarks>
public abstract class MinAtarLoopWorkload(string name, int experts) : IQuickWorkload, IDisposable
{
    /// <summary>Agent steps per timed iteration (about 62 updates).</summary>
    public const int StepsPerRun = 250;

    private const int SmokeSteps = 40, SmokeMinReplay = 64;
    private readonly List<double> _rates = [], _cpuRates = [];
    private MinAtarGame? _env;
    private DqnAgent? _agent;
    private Runner? _runner;
    private QuickSetup _setup = new(1);
    private bool _timed;

    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public double? Flops => null; // runs differ in length; the rate is in the extra fields

    /// <summary>The agent (for the profile and the learning check).</summary>
    public DqnAgent Agent => _agent ?? throw new InvalidOperationException($"{Name}: call Setup first.");

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        Dispose();
        _setup = setup;
        _rates.Clear();
        _cpuRates.Clear();
        _timed = false;
        // TrainSetup: environment on stream 0 of the run seed, agent on stream 1.
        _env = MinAtarGames.Create("breakout", Rng.ForStream(0, 0).NextUInt64());
        var config = AgentConfig.MinAtarDqn with { Network = MinAtarNetworks.Config(experts) };
        if (setup.Smoke) config = config with { MinReplayHistory = SmokeMinReplay };
        _agent = new DqnAgent(config, [.. _env.ObservationShape], _env.ActionCount, _env.ObservationScale,
                              Rng.ForStream(0, 1).NextUInt64());
        var protocol = RunnerConfig.MinAtar() with
        {
            Iterations = int.MaxValue,
            TrainingStepsPerIteration = setup.Smoke ? SmokeSteps : StepsPerRun,
        };
        _runner = new Runner(_env, _agent, protocol);
        while (_agent.GradientUpdates == 0) _runner.RunIteration();
    }

    /// <inheritdoc/>
    public void BeforeSample() => _timed = true; // warm-up iterations do not call this

    /// <inheritdoc/>
    public void Run()
    {
        var runner = _runner ?? throw new InvalidOperationException($"{Name}: call Setup before Run.");
        long steps = runner.State.TotalSteps, t0 = Stopwatch.GetTimestamp();
        double c0 = ThreadCpuClock.NowMs();
        runner.RunIteration();
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds, cpuSeconds = (ThreadCpuClock.NowMs() - c0) / 1e3;
        if (_timed)
        {
            _rates.Add((runner.State.TotalSteps - steps) / seconds);
            _cpuRates.Add((runner.State.TotalSteps - steps) / cpuSeconds);
        }
        _timed = false;
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs)
    {
        if (_rates.Count == 0) return "";
        double rate = Median(_rates);
        string s = string.Create(CultureInfo.InvariantCulture, $" steps_per_s={rate:F1} updates={Agent.GradientUpdates}");
        // Agent steps per second of the calling thread's CPU time (1 thread: the time other processes held the core
        // left out; see ThreadCpuClock).
        if (_setup.Threads == 1 && ThreadCpuClock.Available)
            s += string.Create(CultureInfo.InvariantCulture, $" thread_cpu_steps_per_s={Median(_cpuRates):F1}");
        if (_setup.Smoke) return s;
        double gflops = rate * MinAtarNetworks.AgentStepFlops(experts) / 1e9;
        return s + string.Create(CultureInfo.InvariantCulture, $" gflops={gflops:0.00}") + FlopLimit.Fields(gflops, _setup.Threads);
    }

    private static double Median(List<double> v)
    {
        var sorted = v.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /// <summary>Releases the agent and the environment.</summary>
    public void Dispose()
    {
        _agent?.Dispose();
        _env?.Dispose();
        _agent = null;
        _env = null;
        _runner = null;
        GC.SuppressFinalize(this);
    }
}

/// <summary>The dense minatar-dqn loop on Breakout.</summary>
public sealed class MinAtarDqnLoop() : MinAtarLoopWorkload("minatar-dqn-loop", 0);

/// <summary>The Soft MoE-4 (PerConv, 4 experts × 25 slots, hidden 512) minatar-dqn loop on Breakout.</summary>
public sealed class MinAtarSoftMoe4Loop() : MinAtarLoopWorkload("minatar-softmoe4-loop", 4);
