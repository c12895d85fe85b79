using System.Globalization;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// Shared body of the three <c>*-train-b32</c> workloads: one <see cref="AnchorDqnTrainer"/> step per run, on the CPU
/// or, with a device backend, with networks and optimizer on the device.
/// </summary>
public abstract class TrainStepWorkload : IQuickWorkload
{
    private readonly AnchorModel _model;
    private readonly int _seed;
    private AnchorDqnTrainer? _trainer;

    /// <summary>Creates the workload; <paramref name="seed"/> is the anchor's ReplayBatch seed.</summary>
    protected TrainStepWorkload(string name, AnchorModel model, int seed)
    {
        Name = name;
        _model = model;
        _seed = seed;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double? Flops => null;

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
        var size = setup.Smoke ? WorkloadSize.Smoke : WorkloadSize.Anchor;
        _trainer = new AnchorDqnTrainer(rng => AnchorNetworks.Create(_model, setup.Smoke, rng),
                                        new AnchorReplayBatch(size, _seed), 1234, setup.Gpu);
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
public sealed class DqnTrainB32() : TrainStepWorkload("dqn-train-b32", AnchorModel.NatureDqn, 11);

/// <summary>Soft MoE DQN training step at batch 32 (anchor softmoe_train_b32).</summary>
public sealed class SoftMoeTrainB32() : TrainStepWorkload("softmoe-train-b32", AnchorModel.SoftMoeDqn, 12);

/// <summary>IMPALA-CNN DQN training step at batch 32 (anchor impala_train_b32).</summary>
public sealed class ImpalaTrainB32() : TrainStepWorkload("impala-train-b32", AnchorModel.ImpalaDqn, 13);
