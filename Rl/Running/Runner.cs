using System.Diagnostics;
using MoeScratch.Rl.Agents;
using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Running;

/// <summary>
/// Dopamine's iteration protocol (google/dopamine
/// <c>run_experiment.py</c>): each iteration runs whole training episodes until at least
/// <see cref="RunnerConfig.TrainingStepsPerIteration"/> agent steps are collected, then an optional evaluation
/// phase with <see cref="IAgent.EvalMode"/> on. Returns are logged unclipped while the agent sees clipped rewards;
/// an episode cut by the step cap reaches the agent as non-terminal. An episode is a whole game: a life lost with
/// <see cref="StepResult.LifeLossTerminal"/> ends only the agent's episode. Works with any <see cref="IEnvironment"/>.
/// </summary>
/// <remarks>
/// Because phases end on episode boundaries, a checkpoint never needs a mid-episode environment state (Dopamine's
/// approach). Cancellation is checked between episodes only: Ctrl-C finishes the episode in
/// progress, writes a checkpoint when a <see cref="Checkpointer"/> is set, and <see cref="Run"/> returns
/// <see cref="StopReason.Cancelled"/>.
/// </remarks>
public sealed class Runner
{
    private readonly IEnvironment _env;
    private readonly IAgent _agent;
    private readonly IMetricsSink _sink;
    private IterationProbe? _probe;

    /// <summary>Creates a runner; <paramref name="resumeFrom"/> continues a checkpointed run.</summary>
    /// <param name="environment">The environment (owned by the caller).</param>
    /// <param name="agent">The agent (owned by the caller); its action count must match the environment's.</param>
    /// <param name="config">The iteration protocol; validated here.</param>
    /// <param name="sink">Metrics destination; null discards metrics.</param>
    /// <param name="resumeFrom">State restored from a checkpoint (<see cref="RunCheckpointer.Load"/>), or null.</param>
    public Runner(IEnvironment environment, IAgent agent, RunnerConfig config, IMetricsSink? sink = null, RunnerState? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (agent.ActionCount != environment.ActionCount)
        {
            throw new ArgumentException(
                $"Runner: the agent chooses among {agent.ActionCount} actions but {environment.Id} has {environment.ActionCount}; " +
                "build the agent with the environment's ActionCount.", nameof(agent));
        }
        _env = environment;
        _agent = agent;
        _sink = sink ?? NullMetricsSink.Instance;
        Config = config;
        State = resumeFrom ?? new RunnerState();
    }

    /// <summary>The protocol.</summary>
    public RunnerConfig Config { get; }

    /// <summary>Counters and iteration progress (what a checkpoint saves).</summary>
    public RunnerState State { get; }

    /// <summary>The environment.</summary>
    public IEnvironment Environment => _env;

    /// <summary>The agent.</summary>
    public IAgent Agent => _agent;

    /// <summary>The metrics sink.</summary>
    public IMetricsSink Sink => _sink;

    /// <summary>
    /// When set, <see cref="Run"/> writes a checkpoint every <see cref="RunnerConfig.CheckpointEvery"/> iterations,
    /// after the last one, and when cancelled.
    /// </summary>
    public RunCheckpointer? Checkpointer { get; set; }

    /// <summary>
    /// When set, each due iteration ends with the analysis probes of P1 Fig. 10 on a batch from the agent's replay
    /// memory, logged as <c>analysis/…</c> scalars at the iteration's last training step (<see cref="IterationProbe"/>).
    /// Training is unaffected. Null (the default) runs no probes.
    /// </summary>
    /// <exception cref="ArgumentException">Set while the agent does not implement <see cref="IProbeableAgent"/>.</exception>
    public IterationProbe? Probe
    {
        get => _probe;
        set
        {
            if (value is not null && _agent is not IProbeableAgent)
            {
                throw new ArgumentException(
                    $"Runner.Probe: {_agent.GetType().Name} does not implement IProbeableAgent, so it cannot be probed; " +
                    "leave Probe null for this agent.", nameof(value));
            }
            _probe = value;
        }
    }

    /// <summary>Runs the remaining iterations (all of them for a fresh run).</summary>
    /// <param name="cancellationToken">Checked between episodes; see the class remarks.</param>
    public RunResult Run(CancellationToken cancellationToken = default)
    {
        var done = new List<IterationStats>();
        string? lastCheckpoint = null;
        while (State.Iteration < Config.Iterations)
        {
            IterationStats? stats = RunIteration(cancellationToken);
            if (stats is null)
            {
                // Cancelled at an episode boundary: save the partial iteration so a resume continues it.
                if (Checkpointer is not null) lastCheckpoint = Checkpointer.Save(this);
                _sink.Flush();
                return new RunResult(StopReason.Cancelled, State.Iteration, State.TotalSteps, done, lastCheckpoint);
            }
            done.Add(stats.Value);
            bool due = State.Iteration % Config.CheckpointEvery == 0 || State.Iteration == Config.Iterations;
            if (Checkpointer is not null && due) lastCheckpoint = Checkpointer.Save(this);
        }
        _sink.Flush();
        return new RunResult(StopReason.Completed, State.Iteration, State.TotalSteps, done, lastCheckpoint);
    }

    /// <summary>
    /// Runs (or finishes) the iteration in progress. Returns its statistics, or null when
    /// <paramref name="cancellationToken"/> fired first; the partial progress then stays in <see cref="State"/>.
    /// </summary>
    public IterationStats? RunIteration(CancellationToken cancellationToken = default)
    {
        if (State.Iteration >= Config.Iterations)
            throw new InvalidOperationException($"Runner: all {Config.Iterations} iterations have run; raise RunnerConfig.Iterations to continue.");
        int iteration = State.Iteration;
        if (!State.InEvaluation)
        {
            if (!RunOnePhase(eval: false, cancellationToken)) return null;
            State.InEvaluation = true;
        }
        if (!RunOnePhase(eval: true, cancellationToken)) return null;

        double[] sec = State.IterationSeconds;
        var stats = new IterationStats(iteration, State.TotalSteps,
            PhaseStats.From(State.TrainEpisodes, State.IterationTrainSteps, sec[0], sec[1]),
            PhaseStats.From(State.EvalEpisodes, State.IterationEvalSteps, sec[2], sec[3]),
            _agent.Stats);
        State.Iteration++;
        State.InEvaluation = false;
        State.IterationTrainSteps = State.IterationEvalSteps = 0;
        State.IterationSeconds = new double[4];
        State.TrainEpisodes.Clear();
        State.EvalEpisodes.Clear();
        // Before the summary (the trainer's sink flushes on it), so the probe's rows reach disk with their iteration.
        // Evaluation does not change the network, so this probes the network as training left it.
        if (_probe is { } probe && probe.IsDue(iteration)) probe.Log((IProbeableAgent)_agent, Config.Seed, iteration, State.TotalSteps, _sink);
        _sink.Iteration(stats);
        return stats;
    }

    /// <summary>
    /// Plays <paramref name="episodes"/> whole episodes in evaluation mode outside the iteration protocol (e.g. the
    /// Atari-100k protocol's 100 episodes after training), logs them as evaluation episodes and
    /// returns their aggregates. Training counters and the iteration in progress are untouched.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="episodes"/> is less than 1.</exception>
    public PhaseStats Evaluate(int episodes, CancellationToken cancellationToken = default)
    {
        if (episodes < 1) throw new ArgumentException($"Runner.Evaluate: episodes = {episodes} must be ≥ 1.", nameof(episodes));
        var records = new List<EpisodeRecord>(episodes);
        var wall = Stopwatch.StartNew();
        double env = 0;
        long steps = 0;
        _agent.EvalMode = true;
        try
        {
            while (records.Count < episodes && !cancellationToken.IsCancellationRequested)
            {
                EpisodeRecord e = RunEpisode(eval: true, out double envSeconds);
                env += envSeconds;
                steps += e.Length;
                records.Add(e);
                _sink.Episode(e);
            }
        }
        finally
        {
            _agent.EvalMode = false;
        }
        return PhaseStats.From(records, steps, wall.Elapsed.TotalSeconds, env);
    }

    // Returns false when cancelled before the phase's budget was met.
    private bool RunOnePhase(bool eval, CancellationToken ct)
    {
        if (eval && Config.EvaluationSteps == 0 && Config.EvaluationEpisodes == 0) return true;
        _agent.EvalMode = eval;
        try
        {
            while (!PhaseDone(eval))
            {
                if (ct.IsCancellationRequested) return false;
                var wall = Stopwatch.StartNew();
                EpisodeRecord e = RunEpisode(eval, out double envSeconds);
                int slot = eval ? 2 : 0;
                State.IterationSeconds[slot] += wall.Elapsed.TotalSeconds;
                State.IterationSeconds[slot + 1] += envSeconds;
                if (eval) State.IterationEvalSteps += e.Length;
                else State.IterationTrainSteps += e.Length;
                (eval ? State.EvalEpisodes : State.TrainEpisodes).Add(e);
                _sink.Episode(e);
            }
            return true;
        }
        finally
        {
            _agent.EvalMode = false;
        }
    }

    private bool PhaseDone(bool eval) => eval
        ? Config.EvaluationEpisodes > 0 ? State.EvalEpisodes.Count >= Config.EvaluationEpisodes : State.IterationEvalSteps >= Config.EvaluationSteps
        : State.IterationTrainSteps >= Config.TrainingStepsPerIteration;

    private EpisodeRecord RunEpisode(bool eval, out double envSeconds)
    {
        var envClock = new Stopwatch();
        envClock.Start();
        ResetEnvironment();
        envClock.Stop();
        int action = _agent.BeginEpisode(_env.Observation);
        double ret = 0;
        int length = 0;
        bool truncated;
        while (true)
        {
            envClock.Start();
            StepResult r = _env.Step(action);
            envClock.Stop();
            ret += r.Reward;
            length++;
            float reward = Config.ClipRewards ? Math.Clamp(r.Reward, -Config.RewardClip, Config.RewardClip) : r.Reward;
            bool capped = Config.MaxEpisodeSteps is int cap && length >= cap;
            if (r.Terminated || r.Truncated || capped)
            {
                // Dopamine's _run_one_episode: a cap (or the env's own time limit) is not a terminal; a life lost on
                // the last step still is.
                truncated = !r.Terminated;
                _agent.EndEpisode(reward, terminal: r.AgentTerminal);
                break;
            }
            if (r.LifeLossTerminal)
            {
                // Dopamine: end_episode(reward, terminal) then begin_episode(observation) on a lost life; the game, and
                // with it this episode's return, length and cap, goes on until game over.
                _agent.EndEpisode(reward, terminal: true);
                action = _agent.BeginEpisode(_env.Observation);
                continue;
            }
            action = _agent.Step(reward, _env.Observation);
        }
        envSeconds = envClock.Elapsed.TotalSeconds;
        long index;
        if (eval)
        {
            index = State.TotalEvalEpisodes++;
            State.TotalEvalSteps += length;
        }
        else
        {
            index = State.TotalEpisodes++;
            State.TotalSteps += length;
        }
        return new EpisodeRecord(eval ? RunPhase.Evaluation : RunPhase.Training, State.Iteration, index, ret, length, truncated, State.TotalSteps);
    }

    private void ResetEnvironment()
    {
        if (State.NeedsEnvironmentReseed)
        {
            // No saved environment state (not an IStatefulEnvironment): continue from a seed derived from the run
            // seed and the episode count, so that resuming the same checkpoint twice gives the same run.
            ulong stream = 0x5EED_0000UL + (ulong)(State.TotalEpisodes + State.TotalEvalEpisodes);
            _env.Reset(Rng.ForStream(Config.Seed, stream).NextUInt64());
            State.NeedsEnvironmentReseed = false;
        }
        else
        {
            _env.Reset();
        }
    }
}
