using System.Diagnostics;
using System.Globalization;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>profile conv</c>: min time of each part of a convolution's forward and backward (im2col, GEMMs, col2im, bias)
/// at the anchor networks' shapes, to see which part dominates. Current thread count (CpuThreads.Max).
/// </summary>
public static class ConvProfile
{
    /// <summary>Prints one line per shape and part, at <paramref name="batch"/> images (1: acting's convs).</summary>
    public static void Run(int batch = 32)
    {
        var shapes = new (string Name, int H, int C, int K, int Cout, int S, Padding P)[]
        {
            ("nature1", 84, 4, 8, 32, 4, Padding.Valid), ("nature2", 20, 32, 4, 64, 2, Padding.Valid),
            ("nature3", 9, 64, 3, 64, 1, Padding.Valid), ("impala0-in", 84, 4, 3, 16, 1, Padding.Symmetric(1)),
            ("impala0-res", 42, 16, 3, 16, 1, Padding.Symmetric(1)), ("impala1-in", 42, 16, 3, 32, 1, Padding.Symmetric(1)),
            ("impala1-res", 21, 32, 3, 32, 1, Padding.Symmetric(1)), ("impala2-res", 11, 32, 3, 32, 1, Padding.Symmetric(1)),
        };
        var ic = CultureInfo.InvariantCulture;
        foreach (var s in shapes)
        {
            var g = Conv2dGeometry.Create("profile", new Shape(batch, s.H, s.H, s.C), s.K, s.K, s.Cout, s.S, s.S, s.P);
            var rng = new Random(1);
            float[] x = Rand(batch * s.H * s.H * s.C, rng), w = Rand(g.KH * g.KW * g.C * g.Cout, rng), bias = Rand(g.Cout, rng);
            float[] y = new float[batch * g.OutPixels * g.Cout], dy = Rand(y.Length, rng), dx = new float[x.Length];
            float[] dw = new float[w.Length], dwT = new float[w.Length], db = new float[g.Cout];
            float[] col = new float[batch * g.OutPixels * g.PatchSize];
            int m = batch * g.OutPixels, kk = g.PatchSize, k = g.Cout;
            var parts = new List<(string, Action)>
            {
                ("fwd", () => Conv2dKernels.Forward(y, x, w, bias, g)),
                ("im2col", () => Conv2dKernels.Im2Col(col, x, g, 0, batch)),
                ("fwd-gemm", () => MatMulKernels.Gemm(false, false, m, k, kk, col, kk, w, k, y, k, false)),
                ("bias", () => Conv2dKernels.AddRowVector(y, bias, m, k)),
                ("bwd-input", () => Conv2dKernels.BackwardInput(dx, dy, w, g)),
                ("dx-gemm", () => MatMulKernels.Gemm(false, true, m, kk, k, dy, k, w, k, col, kk, false)),
                ("col2im", () => Conv2dKernels.Col2Im(dx, col, g, 0, batch)),
                ("bwd-weight", () => Conv2dKernels.BackwardWeight(dw, db, dy, x, g)),
                ("dw-gemm", () => MatMulKernels.Gemm(true, false, kk, k, m, col, kk, dy, k, dw, k, true)),
                // What BackwardWeight runs for Cout ≤ SwappedWeightGradMaxCout: dWᵀ = dyᵀ·col.
                ("dwT-gemm", () => MatMulKernels.Gemm(true, false, k, kk, m, dy, k, col, kk, dwT, kk, true)),
            };
            // The bordered implicit forward and flipped input gradient wherever they apply (the dispatcher takes them
            // for padded convs only), to compare with the path it picked.
            if (Conv2dPadded.CanForward(g)) parts.Add(("fwd-padded", () => Conv2dPadded.Forward(y, x, w, bias, g, false)));
            if (Conv2dPadded.CanBackwardInput(g)) parts.Add(("dx-flipped", () => Conv2dPadded.AccumulateInputGrad(dx, dy, w, g)));
            // Winograd F(2×2, 3×3) and F(4×4, 3×3) against what the dispatcher runs with both switched off. F(4×4)
            // alone takes Nature conv 3's 64×64 filter forward.
            if (Conv2dWinograd.CanForward(g))
                parts.Add(("fwd-wino", () => Conv2dWinograd.Forward(y, x, w, bias, g, false)));
            if (Conv2dWinograd4.CanForward(g))
                parts.Add(("fwd-wino4", () => Conv2dWinograd4.Forward(y, x, w, bias, g, false)));
            if (Conv2dWinograd.CanForward(g) || Conv2dWinograd4.CanForward(g))
                parts.Add(("fwd-direct", () => WithoutWinograd(() => Conv2dKernels.Forward(y, x, w, bias, g))));
            if (Conv2dWinograd.CanBackwardInput(g))
                parts.Add(("dx-wino", () => Conv2dWinograd.AccumulateInputGrad(dx, dy, w, g)));
            if (Conv2dWinograd4.CanBackwardInput(g))
                parts.Add(("dx-wino4", () => Conv2dWinograd4.AccumulateInputGrad(dx, dy, w, g)));
            // The adjoint input gradient: the forward's tiles, dd scattered into overlapping input tiles.
            if (Conv2dWinograd4.CanBackwardInputAdjoint(g))
                parts.Add(("dx-wino4adj", () => Conv2dWinograd4.AccumulateInputGradAdjoint(dx, dy, w, g)));
            if (Conv2dWinograd.CanBackwardInput(g) || Conv2dWinograd4.CanBackwardInputAdjoint(g))
                parts.Add(("dx-direct", () => WithoutWinograd(() => Conv2dKernels.BackwardInput(dx, dy, w, g))));
            if (Conv2dStridedWinograd.CanRun(g))
            {
                if (Conv2dStridedWinograd.CanForward(g))
                {
                    parts.Add(("fwd-swino", () => Conv2dStridedWinograd.Forward(y, x, w, bias, g, false)));
                    parts.Add(("fwd-direct", () => WithoutWinograd(() => Conv2dKernels.Forward(y, x, w, bias, g))));
                }
                parts.Add(("dw-swino", () => Conv2dStridedWinograd.AccumulateWeightGrad(dw, db, dy, x, g)));
                if (Conv2dStridedWinograd.CanBackwardInput(g))
                {
                    parts.Add(("dx-swino", () => Conv2dStridedWinograd.AccumulateInputGrad(dx, dy, w, g)));
                    parts.Add(("dx-direct", () => WithoutWinograd(() => Conv2dKernels.BackwardInput(dx, dy, w, g))));
                }
                parts.Add(("dw-direct", () => WithoutWinograd(() => Conv2dKernels.BackwardWeight(dw, db, dy, x, g))));
            }
            if (Conv2dWinogradWeightGrad.CanRun(g))
            {
                parts.Add(("dw-wino", () => Conv2dWinogradWeightGrad.Accumulate(dw, db, dy, x, g)));
                parts.Add(("dw-direct", () => WithoutWinograd(() => Conv2dKernels.BackwardWeight(dw, db, dy, x, g))));
            }

            double flops = 2.0 * m * k * kk;
            // Round-robin over the parts, min per part: alternatives (fwd vs fwd-padded, …) see the same load.
            var best = new double[parts.Count];
            Array.Fill(best, double.MaxValue);
            // Small batches: more rounds, so that the min is taken over a comparable span of time.
            for (int round = 0, rounds = Math.Max(15, 480 / batch); round < rounds; round++)
            {
                for (int pi = 0; pi < parts.Count; pi++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    parts[pi].Item2();
                    best[pi] = Math.Min(best[pi], Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }
            for (int pi = 0; pi < parts.Count; pi++)
            {
                string name = parts[pi].Item1;
                string gf = name.Contains("gemm", StringComparison.Ordinal) ? string.Format(ic, " gflops={0:0.0}", flops / best[pi] / 1e6) : "";
                Console.WriteLine(string.Format(ic, "conv={0,-12} m={1} n={2} k={3} part={4,-11} min_ms={5,8:0.000}{6}", s.Name, m, k, kk, name, best[pi], gf));
            }
        }
    }

    private static void WithoutWinograd(Action run)
    {
        Conv2dKernels.Winograd = false;
        try
        {
            run();
        }
        finally
        {
            Conv2dKernels.Winograd = true;
        }
    }

    private static float[] Rand(int n, Random rng)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        return a;
    }
}
