using MoeScratch.Benchmarks.Suites;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// One Nature-DQN convolution at batch 32 (VALID padding; see <see cref="NatureLayers"/>): the forward primitive,
/// or the backward pair (input and weight+bias gradients) a training step runs.
/// </summary>
public abstract class ConvWorkload : IQuickWorkload
{
    private readonly int _layer;
    private readonly bool _backward;
    private const int Batch = 32;
    private Tensor _x = null!, _w = null!, _b = null!, _y = null!, _dx = null!, _dw = null!, _db = null!;
    private Conv2dGeometry _g;

    /// <summary>Layer 1–3 of the Nature CNN, forward or backward.</summary>
    protected ConvWorkload(int layer, bool backward)
    {
        _layer = layer;
        _backward = backward;
        var (h, c, k, cout, s) = NatureLayers.Get(layer);
        _g = Conv2dGeometry.Create("quick", new Shape(Batch, h, h, c), k, k, cout, s, s, Padding.Valid);
    }

    /// <inheritdoc/>
    public string Name => $"conv-nature{_layer}-{(_backward ? "bwd" : "fwd")}-b{Batch}";

    /// <summary>
    /// 2·B·OH·OW·KH·KW·C·Cout for the forward; twice that for the backward (dX and dW GEMMs; the dBias sum and
    /// im2col/col2im copies are not counted).
    /// </summary>
    public double? Flops => _g.ForwardFlops * (_backward ? 2 : 1);

    /// <inheritdoc/>
    public void Setup(QuickSetup setup)
    {
        var rng = new Rng(1);
        _x = Tensor.Uniform(new Shape(_g.Batch, _g.H, _g.W, _g.C), -1f, 1f, rng);
        _w = Tensor.Uniform(new Shape(_g.KH, _g.KW, _g.C, _g.Cout), -0.1f, 0.1f, rng);
        _b = Tensor.Zeros(new Shape(_g.Cout));
        _y = Tensor.Uniform(_g.OutputShape, -1f, 1f, rng);
        _dx = Tensor.Zeros(_x.Shape);
        _dw = Tensor.Zeros(_w.Shape);
        _db = Tensor.Zeros(_b.Shape);
    }

    /// <inheritdoc/>
    public void Run()
    {
        if (!_backward)
        {
            CpuBackend.Instance.Conv2dForward(_y, _x, _w, _b, _g);
            return;
        }
        CpuBackend.Instance.Conv2dBackwardInput(_dx, _y, _w, _g);
        CpuBackend.Instance.Conv2dBackwardWeight(_dw, _db, _y, _x, _g);
    }

    /// <inheritdoc/>
    public string ExtraFields(double medianMs) => $" samples_per_s={Batch / (medianMs / 1000.0):F0}";
}

/// <summary>Nature conv 1 (8×8 s4, 4→32, 84² → 20²) forward at batch 32.</summary>
public sealed class ConvNature1Forward() : ConvWorkload(1, backward: false);

/// <summary>Nature conv 1 backward (dX and dW) at batch 32.</summary>
public sealed class ConvNature1Backward() : ConvWorkload(1, backward: true);

/// <summary>Nature conv 2 (4×4 s2, 32→64, 20² → 9²) forward at batch 32.</summary>
public sealed class ConvNature2Forward() : ConvWorkload(2, backward: false);

/// <summary>Nature conv 2 backward at batch 32.</summary>
public sealed class ConvNature2Backward() : ConvWorkload(2, backward: true);

/// <summary>Nature conv 3 (3×3 s1, 64→64, 9² → 7²) forward at batch 32.</summary>
public sealed class ConvNature3Forward() : ConvWorkload(3, backward: false);

/// <summary>Nature conv 3 backward at batch 32.</summary>
public sealed class ConvNature3Backward() : ConvWorkload(3, backward: true);
