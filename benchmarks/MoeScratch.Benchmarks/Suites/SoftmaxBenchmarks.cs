using BenchmarkDotNet.Attributes;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Benchmarks.Suites;

/// <summary>
/// Softmax at Soft MoE shapes (dopamine softmoe.py: per-observation softmaxes; batch 32, m = 49 tokens for the
/// 7×7 Nature-CNN grid, n·p = 8 slots). Logits are [B, m, n·p]: the dispatch weights are a softmax over tokens
/// (axis 1, strided: O = 32, N = 49, I = 8) and the combine weights over slots (last axis: rows [32·49, 8]).
/// The row case [32·8, 49] is the dispatch softmax after a transpose. Each kernel is timed against the naive
/// double-precision reference.
/// </summary>
[MemoryDiagnoser]
public class SoftmaxBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _dy = [];
    private float[] _dx = [];
    private int _outer, _n, _inner;
    private Tensor _t = null!;
    private int _axis;

    /// <summary>"O x N x I" of the [outer, n, inner] view, as listed in the class remarks.</summary>
    [Params("256x49x1", "1568x8x1", "32x49x8")]
    public string Case { get; set; } = "256x49x1";

    [GlobalSetup]
    public void Setup()
    {
        var p = Case.Split('x').Select(int.Parse).ToArray();
        (_outer, _n, _inner) = (p[0], p[1], p[2]);
        int count = _outer * _n * _inner;
        var rng = new Rng(1);
        _x = Enumerable.Range(0, count).Select(_ => rng.NextFloat() * 8f - 4f).ToArray();
        _dy = Enumerable.Range(0, count).Select(_ => rng.NextFloat() - 0.5f).ToArray();
        _y = new float[count];
        _dx = new float[count];
        _t = Tensor.FromArray(_x, _inner == 1 ? new Shape(_outer, _n) : new Shape(_outer, _n, _inner));
        _axis = _inner == 1 ? -1 : 1;
    }

    /// <summary>The max-subtracted TensorPrimitives kernel.</summary>
    [Benchmark]
    public void Forward() => SoftmaxKernels.Forward(_y, _x, _outer, _n, _inner, log: false);

    /// <summary>The naive scalar double-precision reference.</summary>
    [Benchmark(Baseline = true)]
    public void ForwardNaive() => SoftmaxKernels.ForwardNaive(_y, _x, _outer, _n, _inner, log: false);

    /// <summary>Log-softmax forward.</summary>
    [Benchmark]
    public void LogForward() => SoftmaxKernels.Forward(_y, _x, _outer, _n, _inner, log: true);

    /// <summary>Softmax backward (accumulating into dx).</summary>
    [Benchmark]
    public void Backward() => SoftmaxKernels.Backward(_dx, _dy, _y, _outer, _n, _inner, log: false);

    /// <summary>The public op without recording (allocation from the pool included).</summary>
    [Benchmark]
    public void OpForward()
    {
        using (Tensor.NoGrad())
        {
            Ops.Softmax(_t, _axis).Dispose();
        }
    }
}
