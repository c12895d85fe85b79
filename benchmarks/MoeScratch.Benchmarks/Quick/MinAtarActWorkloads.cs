using System.Globalization;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>minatar-&lt;net&gt;-act-b1</c> (harness rows minatar_&lt;net&gt;_act_b1): a managed byte[10·10·4] Breakout frame →
/// tensor (0/1 cells, scale 1) → forward under NoGrad → argmax → action. The frame is the harness's: every 7th byte
/// of its NCHW order set, stored NHWC here. On a device the frame is uploaded and the action read back each run.
/// </summary>
public abstract class MinAtarActB1(string name, int experts) : IQuickWorkload
{
    private QNetwork? _net;
    private IBackend _backend = CpuBackend.Instance;
    private readonly byte[] _frame = HarnessFrame();
    private static readonly Shape FrameShape = new(1, MinAtarNetworks.Side, MinAtarNetworks.Side, MinAtarNetworks.Channels);

    /// <summary>The last action (kept so the work is observable).</summary>
    public int LastAction { get; private set; }

    /// <inheritdoc/>
    public string Name => name;

    /// <inheritdoc/>
    public double? Flops => null;

    /// <inheritdoc/>
    public bool RunsOnGpu => true;

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        _backend = (IBackend?)setup.Gpu ?? CpuBackend.Instance;
        _net = MinAtarNetworks.Create(experts, new Rng(1234));
        _net.MoveTo(_backend);
    }

    /// <inheritdoc/>
    public void Run()
    {
        var net = _net ?? throw new InvalidOperationException($"{Name}: call Setup before Run.");
        using var scope = TensorScope.Begin();
        using var noGrad = Tensor.NoGrad();
        var x = Tensor.FromBytes(_frame, FrameShape, 1f, _backend);
        LastAction = (int)Ops.ArgMax(net.Forward(x).Q, 1).Item();
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) =>
        string.Create(CultureInfo.InvariantCulture, $" actions_per_s={1000.0 / medianMs:F0}");

    private static byte[] HarnessFrame()
    {
        const int hw = MinAtarNetworks.Side * MinAtarNetworks.Side, c = MinAtarNetworks.Channels;
        var frame = new byte[hw * c];
        for (int i = 0; i < frame.Length; i += 7) frame[(i % hw) * c + i / hw] = 1; // NCHW index i → NHWC
        return frame;
    }
}

/// <summary>Dense MinAtar DQN acting (harness minatar_dqn_act_b1).</summary>
public sealed class MinAtarDqnActB1() : MinAtarActB1("minatar-dqn-act-b1", 0);

/// <summary>Soft MoE-4 acting (harness minatar_softmoe4_act_b1).</summary>
public sealed class MinAtarSoftMoe4ActB1() : MinAtarActB1("minatar-softmoe4-act-b1", 4);

/// <summary>Soft MoE-8 acting (harness minatar_softmoe8_act_b1).</summary>
public sealed class MinAtarSoftMoe8ActB1() : MinAtarActB1("minatar-softmoe8-act-b1", 8);
