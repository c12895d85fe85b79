using System.Diagnostics;
using System.Globalization;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Tensors.Gpu;

/// <summary>
/// A console check of a GPU backend: runs each kernel family once on it and on <see cref="CpuBackend"/>, compares,
/// and prints one line per family with pass/fail, the largest relative difference and the time of a second
/// (warm) run. Meant for the benchmarks app and for a first look at a new machine; the unit tests are the
/// real verification.
/// </summary>
public static class GpuSelfTest
{
    /// <summary>One family's outcome.</summary>
    /// <param name="Family">Kernel family and sizes.</param>
    /// <param name="Passed">Whether the result matched the CPU backend within tolerance.</param>
    /// <param name="MaxRelError">max |gpu − cpu| / (1 + |cpu|).</param>
    /// <param name="WarmMs">Wall time of the second GPU run including the download, in ms.</param>
    public sealed record Result(string Family, bool Passed, double MaxRelError, double WarmMs);

    private sealed record Case(string Family, int[][] Shapes, Func<Tensor[], Tensor> Run, double Tol);

    private static IEnumerable<Case> Cases(bool small)
    {
        int n = small ? 16 : 256, b = small ? 4 : 32;
        yield return new("elementwise: relu(a*b+c) [b,n]+[n]", [[b, n], [b, n], [n]],
                         t => Ops.Relu(Ops.Add(Ops.Mul(t[0], t[1]), t[2])), 1e-5);
        yield return new("elementwise: tanh, exp, sigmoid", [[b, n]],
                         t => Ops.Add(Ops.Tanh(t[0]), Ops.Mul(Ops.Exp(t[0]), Ops.Sigmoid(t[0]))), 1e-5);
        yield return new("reduce: sum/max over rows and columns", [[b, n]],
                         t => Ops.Add(Ops.Sum(t[0], [1]), Ops.Max(Ops.Sum(t[0], [0], keepDims: true))), 1e-4);
        yield return new($"matmul: [{b},{n}]x[{n},{n}]", [[b, n], [n, n]], t => Ops.MatMul(t[0], t[1]), 1e-4);
        yield return new($"matmul: batched transposed [{b},{n / 2},{n}]x[{n},{n}]^T", [[b, n / 2, n], [n, n]],
                         t => Ops.MatMul(t[0], t[1], transB: true), 1e-4);
        yield return new("backward: d/dW of sum(relu(x W))", [[b, n], [n, n]], t =>
        {
            var w = t[1].Detach();
            w.RequiresGrad = true;
            Ops.Sum(Ops.Relu(Ops.MatMul(t[0], w))).Backward();
            return w.Grad!;
        }, 1e-4);
        int hw = small ? 9 : 84, c = small ? 2 : 4, k = small ? 3 : 32;
        yield return new($"conv2d: 8x8/4 [{b},{hw},{hw},{c}] -> {k} + backward",
                         [[b, hw, hw, c], [8, 8, c, k], [k]], t =>
        {
            var w = t[1].Detach();
            w.RequiresGrad = true;
            Ops.Sum(Ops.Conv2d(t[0], w, t[2], 4)).Backward();
            return w.Grad!;
        }, 1e-4);
        yield return new($"pool: max 3x3/2 SAME + avg 2x2/2 [{b},{hw},{hw},{c}]", [[b, hw, hw, c]],
                         t => Ops.Add(Ops.Sum(Ops.MaxPool2d(t[0], 3, 2, Padding.Same)),
                                      Ops.Sum(Ops.AvgPool2d(t[0], 2, 2, Padding.Valid))), 1e-4);
        yield return new("optim: adam step", [[b, n], [b, n]], t =>
        {
            var p = t[0].Detach().To(t[0].Backend);
            var m = Tensor.Zeros(p.Shape, p.Backend);
            var v = Tensor.Zeros(p.Shape, p.Backend);
            p.Backend.AdamStep(p, m, v, t[1], 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0f);
            return p;
        }, 1e-5);
    }

    /// <summary>
    /// Runs every family on <paramref name="gpu"/> (created with <see cref="GpuBackend.CreateDefault"/> when null,
    /// and then disposed) and prints one line each to <paramref name="output"/>.
    /// </summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="gpu">The backend to check.</param>
    /// <param name="small">Tiny sizes (for the CPU accelerator, about a microsecond per element).</param>
    public static IReadOnlyList<Result> Run(TextWriter output, GpuBackend? gpu = null, bool small = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        bool own = gpu is null;
        gpu ??= GpuBackend.CreateDefault();
        var results = new List<Result>();
        try
        {
            output.WriteLine($"GpuSelfTest on {gpu.Name}");
            var rng = new Rng(2026);
            foreach (var c in Cases(small || gpu.IsCpuAccelerator))
            {
                var data = c.Shapes.Select(s => Tensor.Uniform(new Shape(s), -1f, 1f, rng).ToArray()).ToArray();
                using var scope = TensorScope.Begin();
                var expected = c.Run(Inputs(data, c.Shapes, CpuBackend.Instance)).ToArray();
                var inputs = Inputs(data, c.Shapes, gpu);
                c.Run(inputs).ToArray(); // cold: includes kernel compilation
                var sw = Stopwatch.StartNew();
                var actual = c.Run(inputs).ToArray();
                double ms = sw.Elapsed.TotalMilliseconds;
                double err = 0;
                for (int i = 0; i < expected.Length; i++)
                {
                    double e = Math.Abs(actual[i] - expected[i]) / (1 + Math.Abs(expected[i]));
                    err = double.IsNaN(e) ? double.PositiveInfinity : Math.Max(err, e);
                }
                var r = new Result(c.Family, actual.Length == expected.Length && err <= c.Tol, err, ms);
                results.Add(r);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(r.Passed ? "PASS" : "FAIL")}  {r.Family,-48} max_rel_err={r.MaxRelError:E2} warm_ms={r.WarmMs:F3}"));
            }
        }
        finally
        {
            if (own) gpu.Dispose();
        }
        return results;
    }

    private static Tensor[] Inputs(float[][] data, int[][] shapes, IBackend backend) =>
        data.Select((d, i) => Tensor.FromArray(d, new Shape(shapes[i]), backend)).ToArray();
}
