using System.Diagnostics;
using System.Globalization;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Optim;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// A fixed replay minibatch, generated like the anchors' <c>ReplayBatch</c> (Workloads.cs: System.Random(seed),
/// frames by NextBytes, actions Next(18), rewards Next(3) − 1, terminal with probability 0.02). Frames stay bytes so
/// the uint8 → float/255 conversion is inside the timed step, as in the anchor. Layout is NHWC [B, 84, 84, 4].
/// </summary>
public sealed class AnchorReplayBatch
{
    /// <summary>Frame stack shape of one sample.</summary>
    public const int FrameBytes = 84 * 84 * 4;

    /// <summary>Builds the batch.</summary>
    public AnchorReplayBatch(int batch, int actions, int seed)
    {
        var rng = new Random(seed);
        Batch = batch;
        States = new byte[batch * FrameBytes];
        rng.NextBytes(States);
        NextStates = new byte[batch * FrameBytes];
        rng.NextBytes(NextStates);
        var a = new float[batch];
        for (int i = 0; i < batch; i++) a[i] = rng.Next(actions);
        var r = new float[batch];
        for (int i = 0; i < batch; i++) r[i] = rng.Next(3) - 1;
        var notDone = new float[batch];
        for (int i = 0; i < batch; i++) notDone[i] = rng.NextDouble() < 0.02 ? 0f : 1f;
        Actions = TensorScopeFree(Tensor.FromArray(a, new Shape(batch, 1)));
        Rewards = TensorScopeFree(Tensor.FromArray(r, new Shape(batch)));
        NotDone = TensorScopeFree(Tensor.FromArray(notDone, new Shape(batch)));
    }

    private static Tensor TensorScopeFree(Tensor t) => TensorScope.Persist(t);

    /// <summary>Batch size.</summary>
    public int Batch { get; }

    /// <summary>uint8 states [B, 84, 84, 4].</summary>
    public byte[] States { get; }

    /// <summary>uint8 next states.</summary>
    public byte[] NextStates { get; }

    /// <summary>Action indices [B, 1] (float-coded, as Gather takes them).</summary>
    public Tensor Actions { get; }

    /// <summary>Rewards [B].</summary>
    public Tensor Rewards { get; }

    /// <summary>1 − terminal [B].</summary>
    public Tensor NotDone { get; }
}

/// <summary>
/// One DQN update as the anchors' <c>DqnTrainer.Step</c>: zero_grad; online forward on s (bytes → float/255); target
/// forward on s' under NoGrad; gather Q(s, a); y = r + 0.99·(1 − done)·max_a' Q_target(s', a'); Huber (δ = 1, mean);
/// backward; Adam (lr 6.25e-5, betas 0.9/0.999, eps 1.5e-4); loss.Item(). Each step runs in a TensorScope.
/// </summary>
public sealed class AnchorDqnTrainer
{
    /// <summary>Discount, as the anchor.</summary>
    public const float Gamma = 0.99f;

    private readonly QNetwork _online, _target;
    private readonly Adam _adam;
    private readonly AnchorReplayBatch _batch;
    private readonly Shape _frames;

    /// <summary>Builds online and target networks (target = copy of online) and the optimizer.</summary>
    public AnchorDqnTrainer(Func<Rng, QNetwork> factory, AnchorReplayBatch batch, ulong seed)
    {
        _online = factory(new Rng(seed));
        _target = factory(new Rng(seed + 1));
        _online.CopyWeightsInto(_target);
        foreach (var p in _target.Parameters()) p.RequiresGrad = false;
        _adam = new Adam(_online.NamedParameters(), 6.25e-5f, 0.9f, 0.999f, 1.5e-4f);
        _batch = batch;
        _frames = new Shape(batch.Batch, 84, 84, 4);
    }

    /// <summary>Phase names of <see cref="Step"/>'s optional timing (profile mode).</summary>
    public static readonly string[] PhaseNames = ["zero_grad", "online_fwd", "target_fwd", "loss", "backward", "adam", "item+scope"];

    /// <summary>One training step; returns the loss. <paramref name="phaseMs"/>, when given, receives the time of each
    /// of <see cref="PhaseNames"/> (used by the <c>profile</c> mode only).</summary>
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

        float result;
        using (var scope = TensorScope.Begin())
        {
            _adam.ZeroGrad();
            Mark();
            var s = Tensor.FromBytes(_batch.States, _frames);
            var q = _online.Forward(s).Q;                                            // [B, A]
            Mark();
            Tensor y;
            using (Tensor.NoGrad())
            {
                var ns = Tensor.FromBytes(_batch.NextStates, _frames);
                var qNext = Ops.Max(_target.Forward(ns).Q, [1]);                     // [B]
                y = Ops.Add(_batch.Rewards, Ops.Mul(Ops.Scale(_batch.NotDone, Gamma), qNext));
            }
            Mark();
            var qa = Ops.Gather(q, 1, _batch.Actions).Reshape(_batch.Batch);         // [B]
            var loss = Ops.HuberLoss(qa, y, 1f, Reduction.Mean);
            Mark();
            loss.Backward();
            Mark();
            _adam.Step();
            Mark();
            result = loss.Item();
        }
        Mark();
        return result;
    }
}

/// <summary>Shared body of the three <c>*-train-b32</c> workloads.</summary>
public abstract class TrainStepWorkload : IQuickWorkload
{
    private readonly Func<Rng, QNetwork> _factory;
    private readonly int _seed;
    private AnchorDqnTrainer? _trainer;

    /// <summary>Creates the workload; <paramref name="seed"/> is the anchor's ReplayBatch seed.</summary>
    protected TrainStepWorkload(string name, Func<Rng, QNetwork> factory, int seed)
    {
        Name = name;
        _factory = factory;
        _seed = seed;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double? Flops => null;

    /// <summary>The last loss (kept so the step cannot be optimized away and to check it is finite).</summary>
    public float LastLoss { get; private set; }

    /// <inheritdoc/>
    public void Setup(int threads)
    {
        _trainer = new AnchorDqnTrainer(_factory, new AnchorReplayBatch(32, AnchorNetworks.Actions, _seed), 1234);
        Run();
        if (!float.IsFinite(LastLoss)) throw new InvalidOperationException($"{Name}: non-finite loss {LastLoss}.");
    }

    /// <summary>The trainer built by <see cref="Setup"/> (profile mode).</summary>
    public AnchorDqnTrainer Trainer => _trainer ?? throw new InvalidOperationException($"{Name}: call Setup first.");

    /// <inheritdoc/>
    public void Run() =>
        LastLoss = (_trainer ?? throw new InvalidOperationException($"{Name}: call Setup before Run.")).Step();

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) =>
        string.Create(CultureInfo.InvariantCulture, $" steps_per_s={1000.0 / medianMs:F1}");
}

/// <summary>Nature-DQN training step at batch 32 (anchor dqn_train_b32).</summary>
public sealed class DqnTrainB32() : TrainStepWorkload("dqn-train-b32", AnchorNetworks.NatureDqn, 11);

/// <summary>Soft MoE DQN training step at batch 32 (anchor softmoe_train_b32).</summary>
public sealed class SoftMoeTrainB32() : TrainStepWorkload("softmoe-train-b32", AnchorNetworks.SoftMoeDqn, 12);

/// <summary>IMPALA-CNN DQN training step at batch 32 (anchor impala_train_b32).</summary>
public sealed class ImpalaTrainB32() : TrainStepWorkload("impala-train-b32", AnchorNetworks.ImpalaDqn, 13);
