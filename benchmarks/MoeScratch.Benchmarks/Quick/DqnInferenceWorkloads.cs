using System.Globalization;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>dqn-act-b1</c>: the anchors' acting path: a managed byte[4·84·84] frame stack → tensor (bytes/255) → Nature-DQN
/// forward under NoGrad → argmax → action. The frame comes from System.Random(7) as in the anchor.
/// </summary>
public sealed class DqnActB1 : IQuickWorkload
{
    private QNetwork? _net;
    private readonly byte[] _frame = new byte[AnchorReplayBatch.FrameBytes];
    private static readonly Shape FrameShape = new(1, 84, 84, 4);

    /// <summary>The last action (kept so the work is observable).</summary>
    public int LastAction { get; private set; }

    /// <inheritdoc/>
    public string Name => "dqn-act-b1";

    /// <inheritdoc/>
    public double? Flops => null;

    /// <inheritdoc/>
    public void Setup(int threads)
    {
        _net = AnchorNetworks.NatureDqn(new Rng(1234));
        new Random(7).NextBytes(_frame);
    }

    /// <inheritdoc/>
    public void Run()
    {
        var net = _net ?? throw new InvalidOperationException($"{Name}: call Setup before Run.");
        using var scope = TensorScope.Begin();
        using var noGrad = Tensor.NoGrad();
        var x = Tensor.FromBytes(_frame, FrameShape);
        LastAction = (int)Ops.ArgMax(net.Forward(x).Q, 1).Item();
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) =>
        string.Create(CultureInfo.InvariantCulture, $" actions_per_s={1000.0 / medianMs:F0}");
}

/// <summary><c>dqn-forward-b1</c> / <c>-b32</c>: uint8 states → float/255 → Nature-DQN forward under NoGrad.</summary>
public abstract class DqnForwardWorkload : IQuickWorkload
{
    private readonly int _batch;
    private QNetwork? _net;
    private byte[] _states = [];

    /// <summary>Forward at <paramref name="batch"/>.</summary>
    protected DqnForwardWorkload(int batch) => _batch = batch;

    /// <inheritdoc/>
    public string Name => $"dqn-forward-b{_batch}";

    /// <inheritdoc/>
    public double? Flops => null;

    /// <summary>Sum of the last Q-values (observable result).</summary>
    public float LastSum { get; private set; }

    /// <inheritdoc/>
    public void Setup(int threads)
    {
        _net = AnchorNetworks.NatureDqn(new Rng(1234));
        // The anchor's forward rows use the first _batch samples of ReplayBatch(32, 18, seed 11).
        _states = new AnchorReplayBatch(32, AnchorNetworks.Actions, 11).States[..(_batch * AnchorReplayBatch.FrameBytes)];
    }

    /// <inheritdoc/>
    public void Run()
    {
        var net = _net ?? throw new InvalidOperationException($"{Name}: call Setup before Run.");
        using var scope = TensorScope.Begin();
        using var noGrad = Tensor.NoGrad();
        var q = net.Forward(Tensor.FromBytes(_states, new Shape(_batch, 84, 84, 4))).Q;
        LastSum = q.Span[0];
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) =>
        string.Create(CultureInfo.InvariantCulture, $" samples_per_s={_batch * 1000.0 / medianMs:F0}");
}

/// <summary>Nature-DQN forward at batch 1.</summary>
public sealed class DqnForwardB1() : DqnForwardWorkload(1);

/// <summary>Nature-DQN forward at batch 32.</summary>
public sealed class DqnForwardB32() : DqnForwardWorkload(32);
