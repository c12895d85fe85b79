using System.Diagnostics;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Optim;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>The loss, optimizer and byte scaling of one anchor DQN update (the harness's <c>DqnTrainer</c> arguments).</summary>
/// <param name="Mse">(y − q)² averaged over the batch instead of Huber (δ = 1, mean).</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="AdamEpsilon">Adam ε.</param>
/// <param name="ObservationScale">Byte → float factor of the frames.</param>
public sealed record DqnUpdateSettings(bool Mse, float LearningRate, float AdamEpsilon, float ObservationScale)
{
    /// <summary>The Atari anchors: Huber, lr 6.25e-5, eps 1.5e-4, frames / 255.</summary>
    public static DqnUpdateSettings Atari { get; } = new(false, 6.25e-5f, 1.5e-4f, 1f / 255f);

    /// <summary>The harness's <c>minatar</c> group, as the minatar-dqn preset: MSE, lr 2.5e-4, eps 3.125e-4, 0/1 cells.</summary>
    public static DqnUpdateSettings MinAtar { get; } = new(true, 2.5e-4f, 3.125e-4f, 1f);
}

/// <summary>
/// One DQN update as the anchors' <c>DqnTrainer.Step</c>: zero_grad; online forward on s (bytes → float); target
/// forward on s' under NoGrad; gather Q(s, a); y = r + 0.99·(1 − done)·max_a' Q_target(s', a'); Huber (δ = 1, mean)
/// or MSE; backward; Adam (betas 0.9/0.999, lr and eps of <see cref="DqnUpdateSettings"/>); loss.Item(). Each step
/// runs in a TensorScope.
/// </summary>
/// <remarks>
/// On a device backend the networks and the Adam slots live on the device; a step uploads the replay sample (two
/// byte frame batches and three [B] vectors) and reads back the loss, the one synchronisation point per step.
/// </remarks>
public sealed class AnchorDqnTrainer
{
    /// <summary>Discount, as the anchor.</summary>
    public const float Gamma = 0.99f;

    private readonly QNetwork _online, _target;
    private readonly Adam _adam;
    private readonly AnchorReplayBatch _batch;
    private readonly IBackend _backend;
    private readonly DqnUpdateSettings _settings;

    /// <summary>
    /// Builds online and target networks (target = copy of online) on the host, moves both to
    /// <paramref name="backend"/> (default the CPU) and creates the optimizer there.
    /// </summary>
    public AnchorDqnTrainer(Func<Rng, QNetwork> factory, AnchorReplayBatch batch, ulong seed, IBackend? backend = null,
                            DqnUpdateSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _backend = backend ?? CpuBackend.Instance;
        _settings = settings ?? DqnUpdateSettings.Atari;
        // Built on the host from the same seeds on every backend, so a device run starts from the CPU run's weights.
        _online = factory(new Rng(seed));
        _target = factory(new Rng(seed + 1));
        _online.CopyWeightsInto(_target);
        foreach (var p in _target.Parameters()) p.RequiresGrad = false;
        _online.MoveTo(_backend);
        _target.MoveTo(_backend);
        // After the move: Adam allocates its slots on the parameters' backend.
        _adam = new Adam(_online.NamedParameters(), _settings.LearningRate, 0.9f, 0.999f, _settings.AdamEpsilon);
        _batch = batch;
    }

    /// <summary>Phase names of <see cref="Step"/>'s optional timing (profile mode).</summary>
    public static readonly string[] PhaseNames =
        ["zero_grad", "upload", "online_fwd", "target_fwd", "loss", "backward", "adam", "item+scope"];

    /// <summary>One training step; returns the loss. <paramref name="phaseMs"/>, when given, receives the time of each
    /// of <see cref="PhaseNames"/> (used by the <c>profile</c> mode only, on the CPU: device phases would only time
    /// kernel launches).</summary>
    public float Step(double[]? phaseMs = null)
    {
        long t0 = phaseMs is null ? 0 : Stopwatch.GetTimestamp();
        int phase = 0;
        void Mark()
        {
            if (phaseMs is null) return;
            long t = Stopwatch.GetTimestamp();
            phaseMs[phase++] += Stopwatch.GetElapsedTime(t0, t).TotalMilliseconds;
            t0 = t;
        }

        int b = _batch.Batch;
        float result;
        using (var scope = TensorScope.Begin())
        {
            _adam.ZeroGrad();
            Mark();
            // The whole sample goes up before the first kernel: a device upload waits for the queued work, so one
            // in the middle of the step would stall the queue. On the CPU these are the byte → float conversions.
            var frames = _batch.Size.Frames(b);
            var s = Tensor.FromBytes(_batch.States, frames, _settings.ObservationScale, _backend);
            var ns = Tensor.FromBytes(_batch.NextStates, frames, _settings.ObservationScale, _backend);
            var actions = Tensor.FromArray(_batch.Actions, new Shape(b, 1), _backend);
            var rewards = Tensor.FromArray(_batch.Rewards, new Shape(b), _backend);
            var notDone = Tensor.FromArray(_batch.NotDone, new Shape(b), _backend);
            Mark();
            var q = _online.Forward(s).Q;                                            // [B, A]
            Mark();
            Tensor y;
            using (Tensor.NoGrad())
            {
                var qNext = Ops.Max(_target.Forward(ns).Q, [1]);                     // [B]
                y = Ops.Add(rewards, Ops.Mul(Ops.Scale(notDone, Gamma), qNext));
            }
            Mark();
            var qa = Ops.Gather(q, 1, actions).Reshape(b);                           // [B]
            var loss = _settings.Mse ? Ops.MseLoss(qa, y, Reduction.Mean) : Ops.HuberLoss(qa, y, 1f, Reduction.Mean);
            Mark();
            loss.Backward();
            Mark();
            _adam.Step();
            Mark();
            result = loss.Item(); // on a device: waits for the whole step, then copies 4 bytes
        }
        Mark();
        return result;
    }
}
