using System.Globalization;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Gpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>dqn-act-b1</c>: the anchors' acting path: a managed byte[4·84·84] frame stack → tensor (bytes/255) → Nature-DQN
/// forward under NoGrad → argmax → action. The frame comes from System.Random(7) as in the anchor. On a device the
/// frame is uploaded and the action read back each run (that read waits for the forward).
/// </summary>
public class DqnActB1 : IQuickWorkload
{
    private QNetwork? _net;
    private IBackend _backend = CpuBackend.Instance;
    private byte[] _frame = [];
    private Shape _frameShape;

    /// <summary>The last action (kept so the work is observable).</summary>
    public int LastAction { get; private set; }

    /// <inheritdoc/>
    public virtual string Name => "dqn-act-b1";

    /// <inheritdoc/>
    public double? Flops => null;

    /// <inheritdoc/>
    public bool RunsOnGpu => true;

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var size = setup.Smoke ? WorkloadSize.Smoke : WorkloadSize.Anchor;
        _backend = (IBackend?)setup.Gpu ?? CpuBackend.Instance;
        _net = AnchorNetworks.Create(AnchorModel.NatureDqn, setup.Smoke, new Rng(1234));
        _net.MoveTo(_backend);
        _frame = new byte[size.FrameBytes];
        _frameShape = size.Frames(1);
        new Random(7).NextBytes(_frame);
    }

    /// <inheritdoc/>
    public void Run()
    {
        var net = _net ?? throw new InvalidOperationException($"{Name}: call Setup before Run.");
        using var scope = TensorScope.Begin();
        using var noGrad = Tensor.NoGrad();
        var x = Tensor.FromBytes(_frame, _frameShape, backend: _backend);
        LastAction = (int)Ops.ArgMax(net.Forward(x).Q, 1).Item();
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) =>
        string.Create(CultureInfo.InvariantCulture, $" actions_per_s={1000.0 / medianMs:F0}");
}

/// <summary>
/// <c>dqn-act-b1-idle</c>: <see cref="DqnActB1"/> after 2 ms idle (untimed) before every sample, as when acting follows
/// a slow environment step: the kernel workers have stopped spinning and must be woken, which this times. Not an
/// anchor workload (TorchSharp's harness has no counterpart).
/// </summary>
public sealed class DqnActB1Idle : DqnActB1, IQuickWorkload
{
    /// <inheritdoc/>
    public override string Name => "dqn-act-b1-idle";

    /// <inheritdoc/>
    public void BeforeSample() => Thread.Sleep(2);
}

/// <summary><c>dqn-forward-b1</c> / <c>-b32</c>: uint8 states → float/255 → Nature-DQN forward under NoGrad.</summary>
public abstract class DqnForwardWorkload : IQuickWorkload
{
    private readonly int _batch;
    private int _rows;
    private QNetwork? _net;
    private GpuBackend? _gpu;
    private byte[] _states = [];
    private WorkloadSize _size = WorkloadSize.Anchor;

    /// <summary>Forward at <paramref name="batch"/>.</summary>
    protected DqnForwardWorkload(int batch) => _batch = batch;

    /// <inheritdoc/>
    public string Name => $"dqn-forward-b{_batch}";

    /// <inheritdoc/>
    public double? Flops => null;

    /// <inheritdoc/>
    public bool RunsOnGpu => true;

    /// <summary>The first Q-value of the last run on the CPU (observable result; not read back on a device).</summary>
    public float LastSum { get; private set; }

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        _size = setup.Smoke ? WorkloadSize.Smoke : WorkloadSize.Anchor;
        _rows = Math.Min(_batch, _size.Batch); // smoke: at most the smoke batch
        _gpu = setup.Gpu;
        _net = AnchorNetworks.Create(AnchorModel.NatureDqn, setup.Smoke, new Rng(1234));
        _net.MoveTo((IBackend?)_gpu ?? CpuBackend.Instance);
        // The anchor's forward rows use the first rows of ReplayBatch(32, 18, seed 11).
        _states = new AnchorReplayBatch(_size, 11).States[..(_rows * _size.FrameBytes)];
    }

    /// <inheritdoc/>
    public void Run()
    {
        var net = _net ?? throw new InvalidOperationException($"{Name}: call Setup before Run.");
        using var scope = TensorScope.Begin();
        using var noGrad = Tensor.NoGrad();
        var q = net.Forward(Tensor.FromBytes(_states, _size.Frames(_rows), backend: _gpu)).Q;
        // The CPU computes synchronously; a device only queues the kernels, so wait for them (no read-back: the
        // anchor's forward row does not copy its output anywhere either).
        if (_gpu is null) LastSum = q.Span[0];
        else _gpu.Synchronize();
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) =>
        string.Create(CultureInfo.InvariantCulture, $" samples_per_s={_rows * 1000.0 / medianMs:F0}");
}

/// <summary>Nature-DQN forward at batch 1.</summary>
public sealed class DqnForwardB1() : DqnForwardWorkload(1);

/// <summary>Nature-DQN forward at batch 32.</summary>
public sealed class DqnForwardB32() : DqnForwardWorkload(32);
