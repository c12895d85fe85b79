using System.Globalization;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// Shared body of the <c>*-train-b32</c> workloads: one <see cref="AnchorDqnTrainer"/> step per run, on the CPU or,
/// with a device backend, with networks and optimizer on the device. Workloads with a FLOP count also print their
/// fraction of the FLOP limit (<see cref="FlopLimit"/>) on the CPU.
/// </summary>
public abstract class TrainStepWorkload : IQuickWorkload
{
    private readonly Func<bool, Rng, QNetwork> _network;
    private readonly Func<bool, AnchorReplayBatch> _batch;
    private readonly DqnUpdateSettings _settings;
    private readonly double? _flops;
    private AnchorDqnTrainer? _trainer;
    private QuickSetup _setup = new(1);

    /// <summary>Creates an Atari anchor workload; <paramref name="seed"/> is the anchor's ReplayBatch seed.</summary>
    protected TrainStepWorkload(string name, AnchorModel model, int seed)
        : this(name, (smoke, rng) => AnchorNetworks.Create(model, smoke, rng),
               smoke => new AnchorReplayBatch(smoke ? WorkloadSize.Smoke : WorkloadSize.Anchor, seed), DqnUpdateSettings.Atari, null)
    {
    }

    /// <summary>Creates a workload from its network (given smoke and the init stream), batch (given smoke), update
    /// settings and FLOPs per step (null: not counted).</summary>
    protected TrainStepWorkload(string name, Func<bool, Rng, QNetwork> network, Func<bool, AnchorReplayBatch> batch,
                                DqnUpdateSettings settings, double? flops)
    {
        Name = name;
        _network = network;
        _batch = batch;
        _settings = settings;
        _flops = flops;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double? Flops => _setup.Smoke ? null : _flops;

    /// <inheritdoc/>
    public bool RunsOnGpu => true;

    /// <summary>
    /// The last loss (kept so the step cannot be optimized away and to check it is finite). Right after
    /// <see cref="Setup"/> it is the loss of the first step from the initial weights.
    /// </summary>
    public float LastLoss { get; private set; }

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        _setup = setup;
        _trainer = new AnchorDqnTrainer(rng => _network(setup.Smoke, rng), _batch(setup.Smoke), 1234, setup.Gpu, _settings);
        Run();
        if (!float.IsFinite(LastLoss)) throw new InvalidOperationException($"{Name}: non-finite loss {LastLoss}.");
    }

    /// <summary>The trainer built by <see cref="Setup"/> (profile mode).</summary>
    public AnchorDqnTrainer Trainer => _trainer ?? throw new InvalidOperationException($"{Name}: call Setup first.");

    /// <inheritdoc/>
    public void Run() =>
        LastLoss = (_trainer ?? throw new InvalidOperationException($"{Name}: call Setup before Run.")).Step();

    /// <inheritdoc/>
    public string ExtraFields(double medianMs)
    {
        string s = string.Create(CultureInfo.InvariantCulture, $" steps_per_s={1000.0 / medianMs:F1}");
        if (Flops is double f && _setup.Gpu is null) s += FlopLimit.Fields(f / (medianMs * 1e6), _setup.Threads);
        return s;
    }
}

/// <summary>Nature-DQN training step at batch 32 (anchor dqn_train_b32).</summary>
public sealed class DqnTrainB32() : TrainStepWorkload("dqn-train-b32", AnchorModel.NatureDqn, 11);

/// <summary>Soft MoE DQN training step at batch 32 (anchor softmoe_train_b32).</summary>
public sealed class SoftMoeTrainB32() : TrainStepWorkload("softmoe-train-b32", AnchorModel.SoftMoeDqn, 12);

/// <summary>IMPALA-CNN DQN training step at batch 32 (anchor impala_train_b32).</summary>
public sealed class ImpalaTrainB32() : TrainStepWorkload("impala-train-b32", AnchorModel.ImpalaDqn, 13);

/// <summary>
/// One minatar-dqn update at batch 32 (harness rows minatar_&lt;net&gt;_train_b32): the harness's binary batch (seed 21),
/// MSE, Adam lr 2.5e-4, eps 3.125e-4, on the MinAtar network with <paramref name="experts"/> Soft MoE experts (0: dense).
/// The smoke run keeps the full size (the networks are small).
/// </summary>
public abstract class MinAtarTrainB32(string name, int experts, int hidden = 512) : TrainStepWorkload(name,
    (_, rng) => MinAtarNetworks.Create(experts, rng, hidden),
    _ => new AnchorReplayBatch(WorkloadSize.MinAtar, 21, binary: true),
    DqnUpdateSettings.MinAtar, MinAtarNetworks.TrainFlops(experts, WorkloadSize.MinAtar.Batch, hidden));

/// <summary>Dense MinAtar DQN update (harness minatar_dqn_train_b32).</summary>
public sealed class MinAtarDqnTrainB32() : MinAtarTrainB32("minatar-dqn-train-b32", 0);

/// <summary>Soft MoE-4 MinAtar update (harness minatar_softmoe4_train_b32).</summary>
public sealed class MinAtarSoftMoe4TrainB32() : MinAtarTrainB32("minatar-softmoe4-train-b32", 4);

/// <summary>Soft MoE-8 MinAtar update (harness minatar_softmoe8_train_b32).</summary>
public sealed class MinAtarSoftMoe8TrainB32() : MinAtarTrainB32("minatar-softmoe8-train-b32", 8);

/// <summary>
/// The MinAtar update of P2's scaled expert, Soft MoE-1 with hidden 2048 (the study's softmoe:1:perconv:h2048; no
/// TorchSharp row: a flop_limit_fraction only).
/// </summary>
public sealed class MinAtarSoftMoe1H2048TrainB32() : MinAtarTrainB32("minatar-softmoe1h2048-train-b32", 1, 2048);
