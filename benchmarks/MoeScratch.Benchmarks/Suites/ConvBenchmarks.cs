using BenchmarkDotNet.Attributes;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Benchmarks.Suites;

/// <summary>
/// The three Nature-DQN convolutions (Mnih et al. 2015; VALID padding as in the TorchSharp anchor of
/// benchmarks/compare-torchsharp.sh) at batch 32: forward, backward-input and backward-weight primitives, called on the
/// CPU backend directly so that only the kernels (im2col/col2im + GEMM) are timed.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project benchmarks/MoeScratch.Benchmarks -- --filter '*ConvBenchmarks*'</c>.</remarks>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Tensor _x = null!, _w = null!, _b = null!, _y = null!, _dx = null!, _dw = null!, _db = null!;
    private Conv2dGeometry _g;

    /// <summary>Nature-CNN layer: 1 (8×8 s4, 4→32 on 84²), 2 (4×4 s2, 32→64 on 20²), 3 (3×3 s1, 64→64 on 9²).</summary>
    [Params(1, 2, 3)]
    public int Layer { get; set; }

    /// <summary>Minibatch size (Dopamine's DQN uses 32).</summary>
    [Params(32)]
    public int Batch { get; set; }

    /// <summary>Allocates the layer's tensors with seeded random values.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var (h, c, k, cout, s) = NatureLayers.Get(Layer);
        var rng = new Rng(1);
        _x = Tensor.Uniform(new Shape(Batch, h, h, c), -1f, 1f, rng);
        _w = Tensor.Uniform(new Shape(k, k, c, cout), -0.1f, 0.1f, rng);
        _b = Tensor.Zeros(new Shape(cout));
        _g = Conv2dGeometry.Create("bench", _x.Shape, k, k, cout, s, s, Padding.Valid);
        _y = Tensor.Uniform(_g.OutputShape, -1f, 1f, rng);
        _dx = Tensor.Zeros(_x.Shape);
        _dw = Tensor.Zeros(_w.Shape);
        _db = Tensor.Zeros(_b.Shape);
    }

    /// <summary>y = conv(x, w) + b.</summary>
    [Benchmark]
    public void Forward() => CpuBackend.Instance.Conv2dForward(_y, _x, _w, _b, _g);

    /// <summary>dx += col2im(dY·Wᵀ) (dY is the random y buffer).</summary>
    [Benchmark]
    public void BackwardInput() => CpuBackend.Instance.Conv2dBackwardInput(_dx, _y, _w, _g);

    /// <summary>dW += im2col(x)ᵀ·dY and dBias += Σ dY.</summary>
    [Benchmark]
    public void BackwardWeight() => CpuBackend.Instance.Conv2dBackwardWeight(_dw, _db, _y, _x, _g);
}

/// <summary>The Nature-DQN convolution stack on 84×84×4 frames with VALID padding (84 → 20 → 9 → 7).</summary>
internal static class NatureLayers
{
    /// <summary>(input size, in-channels, kernel, out-channels, stride) of layer 1, 2 or 3.</summary>
    public static (int H, int C, int K, int Cout, int Stride) Get(int layer) => layer switch
    {
        1 => (84, 4, 8, 32, 4),
        2 => (20, 32, 4, 64, 2),
        3 => (9, 64, 3, 64, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(layer), layer, "Nature-CNN layers are 1, 2 and 3."),
    };
}
