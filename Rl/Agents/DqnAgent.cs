using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Optim;
using MoeScratch.Rl.Exploration;
using MoeScratch.Rl.Replay;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Agents;

/// <summary>
/// One value-based agent for DQN, Rainbow-lite, Full Rainbow, DER, DrQ(ε), CQL and CQL+C51, selected by
/// <see cref="AgentConfig"/> (P1 Tables 1–3). It follows Dopamine's JAX agents (google/dopamine
/// <c>dopamine/jax/agents/dqn/dqn_agent.py</c>, <c>full_rainbow/full_rainbow_agent.py</c>): it keeps its own frame
/// stack, stores every training step in its replay memory, trains when add_count &gt; min_replay_history and
/// training_steps % update_period == 0, and hard-copies the target network every target_update_period steps once
/// min replay is reached. It never touches an environment.
/// </summary>
/// <remarks>
/// Random streams, all derived from one seed with <see cref="Rng.ForStream"/>: 0 action selection, 1 replay
/// sampling, 2 online-network noise, 3 target-network noise, 4 augmentation, 5 initialisation, 6 expert
/// re-initialisation samples.
/// </remarks>
public sealed partial class DqnAgent : IAgent
{
    private const ulong StreamAct = 0, StreamSample = 1, StreamOnlineNoise = 2, StreamTargetNoise = 3,
                        StreamAugment = 4, StreamInit = 5, StreamExperts = 6;

    private readonly int _height, _width, _channels;
    private readonly float _scale;
    private readonly Rng _actRng, _sampleRng, _onlineNoise, _targetNoise, _augRng, _expertRng;
    private readonly Shape _actShape, _batchShape, _batchVectorShape, _batchAtomShape; // cached: no int[] per step
    private readonly byte[] _stack; // [H, W, S·C], oldest frame first, zeros before the episode start
    private readonly byte[] _frame; // o_t, the single frame the last action was taken in
    private readonly LinearSchedule _epsilon;
    private readonly (Tensor Online, Tensor Target)[] _syncPairs;
    private long _trainingSteps, _gradientUpdates, _envSteps;
    private int _lastAction;
    private bool _evalMode;
    private float _lastLoss = float.NaN, _lastTd = float.NaN, _lastAux = float.NaN, _lastMeanQ = float.NaN;

    /// <summary>Builds the networks, the optimizer and the replay memory.</summary>
    /// <param name="config">Hyperparameters (validated here).</param>
    /// <param name="frameShape">One frame's shape [H, W, C] (the environment's observation shape).</param>
    /// <param name="actionCount">Number of actions.</param>
    /// <param name="observationScale">Byte-to-float factor: 1/255 for Atari frames, 1 for MinAtar 0/1 channels.</param>
    /// <param name="seed">Root seed of every random stream.</param>
    /// <param name="replay">An existing replay memory to train from (offline data, e.g. a loaded DQN Replay Dataset
    /// shard); its sampler then keeps its own RNG instead of the agent's sampling stream. Null builds one from the
    /// config.</param>
    /// <exception cref="ArgumentException">Invalid config or shapes, a network whose head disagrees with
    /// <see cref="AgentConfig.Head"/>, or a replay memory whose shape, n, γ or sampler disagree with the config.</exception>
    public DqnAgent(AgentConfig config, IReadOnlyList<int> frameShape, int actionCount, float observationScale,
                    ulong seed, ReplayBuffer? replay = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(frameShape);
        config.Validate();
        if (frameShape.Count != 3 || frameShape.Any(d => d <= 0))
        {
            throw new ArgumentException(
                $"DqnAgent: frameShape must be [H, W, C] with positive sizes, got [{string.Join(", ", frameShape)}].");
        }
        if (actionCount <= 0) throw new ArgumentException($"DqnAgent: actionCount must be positive, got {actionCount}.");
        if (!(observationScale > 0f)) throw new ArgumentException($"DqnAgent: observationScale must be > 0, got {observationScale}.");
        Config = config;
        ActionCount = actionCount;
        (_height, _width, _channels) = (frameShape[0], frameShape[1], frameShape[2]);
        _scale = observationScale;
        ObservationShape = [_height, _width, _channels * config.StackSize];
        _actRng = Rng.ForStream(seed, StreamAct);
        _sampleRng = Rng.ForStream(seed, StreamSample);
        _onlineNoise = Rng.ForStream(seed, StreamOnlineNoise);
        _targetNoise = Rng.ForStream(seed, StreamTargetNoise);
        _augRng = Rng.ForStream(seed, StreamAugment);
        _expertRng = Rng.ForStream(seed, StreamExperts);
        var init = Rng.ForStream(seed, StreamInit);
        // The target starts as a copy of the online network, so its own init draws do not matter.
        Online = BuildChecked(init, _onlineNoise);
        Target = BuildChecked(Rng.ForStream(seed, StreamInit), _targetNoise);
        Online.CopyWeightsInto(Target);
        var targetState = Target.StateDict();
        _syncPairs = Online.StateDict().Select(kv => (kv.Value, targetState[kv.Key])).ToArray();
        _epsilon = new LinearSchedule(config.EpsilonDecayPeriod, config.MinReplayHistory, config.EpsilonTrain);
        _epsilon.Validate();
        Optimizer = new Adam(Online.NamedParameters(), config.LearningRate, eps: config.AdamEpsilon);
        Replay = replay is null ? NewReplay(config) : CheckReplay(replay, config);
        _stack = new byte[_height * _width * _channels * config.StackSize];
        _frame = new byte[_height * _width * _channels];
        _actShape = new Shape(1, _height, _width, _channels * config.StackSize);
        _batchShape = new Shape(config.BatchSize, _height, _width, _channels * config.StackSize);
        _batchVectorShape = new Shape(config.BatchSize);
        _batchAtomShape = new Shape(config.BatchSize, config.Head.Atoms);
        _batch = new BatchBuffers(config.BatchSize, _stack.Length, actionCount, config.Head.Atoms);
        Support = Online.Head.Support?.ToArray();
    }

    /// <summary>The configuration.</summary>
    public AgentConfig Config { get; }

    /// <inheritdoc/>
    public int ActionCount { get; }

    /// <summary>The network input shape [H, W, StackSize·C].</summary>
    public int[] ObservationShape { get; }

    /// <summary>The online network.</summary>
    public QNetwork Online { get; }

    /// <summary>The target network (hard copies of <see cref="Online"/>).</summary>
    public QNetwork Target { get; }

    /// <summary>Adam over the online parameters.</summary>
    public Adam Optimizer { get; }

    /// <summary>The replay memory; offline training fills it from data through <see cref="ReplayBuffer.Add"/>.</summary>
    public ReplayBuffer Replay { get; }

    /// <summary>Training steps (Dopamine's training_steps: one per training-mode agent step or offline update).</summary>
    public long TrainingSteps => _trainingSteps;

    /// <summary>Gradient updates performed.</summary>
    public long GradientUpdates => _gradientUpdates;

    /// <summary>Agent steps taken in training mode (BeginEpisode and Step calls; offline updates excluded).</summary>
    public long EnvSteps => _envSteps;

    /// <summary>C51 atoms z, or null for non-distributional heads.</summary>
    internal float[]? Support { get; }

    /// <inheritdoc/>
    public bool EvalMode
    {
        get => _evalMode;
        set => _evalMode = value;
    }

    /// <summary>The current training ε: 0 with noisy nets (Dopamine's zero_epsilon), else Dopamine's linearly
    /// decaying schedule with warm-up = min replay history (dopamine dqn_agent.py).</summary>
    public double Epsilon => Config.Head.Noisy ? 0.0 : _epsilon.Value(_trainingSteps);

    /// <inheritdoc/>
    public AgentStats Stats => new(_envSteps, _gradientUpdates, _lastLoss, _lastTd, _lastAux, _lastMeanQ, (float)Epsilon);

    /// <inheritdoc/>
    public int BeginEpisode(ReadOnlySpan<byte> frame)
    {
        CheckFrame(frame, "BeginEpisode");
        Array.Clear(_stack);
        PushFrame(frame);
        if (!_evalMode) TrainStep();
        return _lastAction = SelectAction();
    }

    /// <inheritdoc/>
    public int Step(float reward, ReadOnlySpan<byte> frame)
    {
        CheckFrame(frame, "Step");
        if (!_evalMode) Replay.Add(_frame, _lastAction, reward, terminal: false, episodeEnd: false);
        PushFrame(frame);
        if (!_evalMode) TrainStep();
        return _lastAction = SelectAction();
    }

    /// <inheritdoc/>
    public void EndEpisode(float reward, bool terminal)
    {
        if (!_evalMode) Replay.Add(_frame, _lastAction, reward, terminal, episodeEnd: true);
    }

    /// <summary>
    /// Offline training (CQL): <paramref name="updates"/> gradient updates from the replay memory, which must have
    /// been filled from data; the training-step counter advances once per update and drives the target sync.
    /// </summary>
    /// <exception cref="InvalidOperationException">The replay memory is empty.</exception>
    public void TrainOffline(int updates)
    {
        if (updates < 0) throw new ArgumentException($"DqnAgent.TrainOffline: updates must be ≥ 0, got {updates}.");
        if (Replay.AddCount == 0)
        {
            throw new InvalidOperationException(
                "DqnAgent.TrainOffline: the replay memory is empty; fill agent.Replay from the dataset first.");
        }
        for (int u = 0; u < updates; u++)
        {
            TrainOnce();
            _trainingSteps++;
            if (_trainingSteps % Config.TargetUpdatePeriod == 0) SyncTarget();
        }
    }

    /// <summary>
    /// Copies the online weights into the target network through tensor pairs matched once at construction
    /// (DrQ(ε) syncs every step, so no per-call name lookup).
    /// </summary>
    public void SyncTarget()
    {
        foreach (var (online, target) in _syncPairs) target.Backend.Copy(target, online);
    }

    /// <summary>
    /// Dopamine's _train_step: train when add_count &gt; min_replay (every update_period steps, updates_per_step
    /// updates), sync the target every target_update_period steps once min replay is reached, then count the step.
    /// </summary>
    private void TrainStep()
    {
        _envSteps++;
        if (Replay.AddCount > Config.MinReplayHistory)
        {
            if (_trainingSteps % Config.UpdatePeriod == 0)
            {
                for (int u = 0; u < Config.UpdatesPerStep; u++) TrainOnce();
            }
            if (_trainingSteps % Config.TargetUpdatePeriod == 0) SyncTarget();
        }
        _trainingSteps++;
    }

    private int SelectAction()
    {
        double eps = _evalMode ? Config.EpsilonEval : Epsilon;
        Online.Train(!_evalMode); // noise off in evaluation (Dopamine's Full Rainbow)
        using var scope = TensorScope.Begin();
        using var noGrad = Tensor.NoGrad();
        var obs = Tensor.FromBytes(_stack, _actShape, _scale);
        var q = Online.Forward(obs).Q;
        return EpsilonGreedy.SelectAction(q.Span, eps, _actRng);
    }

    /// <summary>Shifts the stack one frame to the left along the channel axis and appends the new frame.</summary>
    private void PushFrame(ReadOnlySpan<byte> frame)
    {
        frame.CopyTo(_frame);
        int s = Config.StackSize, c = _channels;
        if (s == 1)
        {
            frame.CopyTo(_stack);
            return;
        }
        int pixel = s * c, pixels = _height * _width;
        for (int p = 0; p < pixels; p++)
        {
            var px = _stack.AsSpan(p * pixel, pixel);
            px[c..].CopyTo(px);
            frame.Slice(p * c, c).CopyTo(px[((s - 1) * c)..]);
        }
    }

    private void CheckFrame(ReadOnlySpan<byte> frame, string who)
    {
        if (frame.Length != _frame.Length)
        {
            throw new ArgumentException(
                $"DqnAgent.{who}: the frame has {frame.Length} bytes but [{_height}, {_width}, {_channels}] needs " +
                $"{_frame.Length}.", nameof(frame));
        }
    }

    /// <summary>Releases the networks' and optimizer's tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Online.StateDict().Values) t.Dispose();
        foreach (var t in Target.StateDict().Values) t.Dispose();
        foreach (var t in Optimizer.StateDict().Values) t.Dispose();
    }
}
