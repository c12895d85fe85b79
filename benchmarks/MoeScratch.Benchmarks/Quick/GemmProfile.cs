using System.Diagnostics;
using System.Globalization;
using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Benchmarks.Quick;

/// <summary>
/// <c>profile gemm</c>: min time of the dense-layer GEMMs of a DQN training step at batch 32, with the transpose
/// flags the forward and backward use (forward x·W, dX = dY·Wᵀ, dW = xᵀ·dY).
/// </summary>
public static class GemmProfile
{
    /// <summary>Prints one line per shape.</summary>
    public static void Run()
    {
        var shapes = new (string Name, bool TA, bool TB, int M, int N, int K)[]
        {
            ("fc1-fwd", false, false, 32, 512, 3136), ("fc1-dx", false, true, 32, 3136, 512), ("fc1-dw", true, false, 3136, 512, 32),
            ("impala-fc-fwd", false, false, 32, 512, 3872), ("impala-fc-dx", false, true, 32, 3872, 512),
            ("impala-fc-dw", true, false, 3872, 512, 32), ("head-fwd", false, false, 32, 18, 512), ("moe-head-fwd", false, false, 32, 18, 3136),
            ("head-dx", false, true, 32, 512, 18), ("head-dw", true, false, 512, 18, 32),
            ("moe-head-dx", false, true, 32, 3136, 18), ("moe-head-dw", true, false, 3136, 18, 32),
            // One Soft MoE expert (64 → 512 → 64 on 32 slots): forward, then each layer's dX and dW.
            ("expert1-fwd", false, false, 32, 512, 64), ("expert2-fwd", false, false, 32, 64, 512),
            ("expert2-dx", false, true, 32, 512, 64), ("expert2-dw", true, false, 512, 64, 32),
            ("expert1-dx", false, true, 32, 64, 512), ("expert1-dw", true, false, 64, 512, 32),
            // Soft MoE routing: logits X·Φ over the batch's 32·49 tokens and their gradients; one image's dispatch
            // (Dᵀ·X) and combine (C·Ỹ) products, run 32 times per step each.
            ("logits-fwd", false, false, 1568, 8, 64), ("logits-dx", false, true, 1568, 64, 8),
            ("logits-dphi", true, false, 64, 8, 1568), ("dispatch-img", true, false, 8, 64, 49),
            ("combine-img", false, false, 49, 64, 8),
            // MinAtar (issue 18): the dense network's Linear 1600 → 512 at batch 32, then Soft MoE-4 (100 tokens of 16,
            // 4 experts × 25 slots, hidden 512): one expert's layers on its 800 = 32·25 slots and their gradients, the
            // logits over the batch's 3200 tokens, and one image's dispatch/combine products and gradients (×32).
            ("ma-fc1-fwd", false, false, 32, 512, 1600), ("ma-fc1-dx", false, true, 32, 1600, 512),
            ("ma-fc1-dw", true, false, 1600, 512, 32),
            ("ma-expert1-fwd", false, false, 800, 512, 16), ("ma-expert2-fwd", false, false, 800, 16, 512),
            ("ma-expert2-dx", false, true, 800, 512, 16), ("ma-expert2-dw", true, false, 512, 16, 800),
            ("ma-expert1-dx", false, true, 800, 16, 512), ("ma-expert1-dw", true, false, 16, 512, 800),
            ("ma-logits-fwd", false, false, 3200, 100, 16), ("ma-logits-dx", false, true, 3200, 16, 100),
            ("ma-logits-dphi", true, false, 16, 100, 3200),
            ("ma-dispatch-img", true, false, 100, 16, 100), ("ma-dispatch-dd", false, true, 100, 100, 16),
            ("ma-dispatch-dx", false, false, 100, 16, 100),
            ("ma-combine-img", false, false, 100, 16, 100), ("ma-combine-dc", false, true, 100, 100, 16),
            ("ma-combine-ds", true, false, 100, 16, 100),
            // One 96-row block of the fused expert MLP's backward (MlpKernels.Backward): the hidden recomputed, dW2ᵀ =
            // dYᵀ·a (and dW2 = aᵀ·dY, not used: slower), dz, dW1, and dX from the copied w1ᵀ (and with w1ᵀ packed, not
            // used: slower); then dX at 60 rows, against which 96 was chosen.
            ("ma-blk-hid", false, false, 96, 512, 16), ("ma-blk-dw2t", true, false, 16, 512, 96),
            ("ma-blk-dw2", true, false, 512, 16, 96), ("ma-blk-dz", false, true, 96, 512, 16),
            ("ma-blk-dw1", true, false, 16, 512, 96), ("ma-blk-dx", false, false, 96, 16, 512),
            ("ma-blk-dx-tb", false, true, 96, 16, 512), ("ma-blk60-dx", false, false, 60, 16, 512),
            // Soft MoE-1 with hidden 2048 (P2's scaled expert): a forward block of 12 rows (MlpKernels.BlockRows) and
            // of 48, both layers.
            ("h2048-fc1-12", false, false, 12, 2048, 16), ("h2048-fc2-12", false, false, 12, 16, 2048),
            ("h2048-fc1-48", false, false, 48, 2048, 16), ("h2048-fc2-48", false, false, 48, 16, 2048),
            ("h2048-fc1-96", false, false, 96, 2048, 16), ("h2048-fc2-96", false, false, 96, 16, 2048),
        };
        var ic = CultureInfo.InvariantCulture;
        var rng = new Random(3);
        foreach (var s in shapes)
        {
            float[] a = new float[s.M * s.K], b = new float[s.K * s.N], c = new float[s.M * s.N];
            for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
            for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
            int lda = s.TA ? s.M : s.K, ldb = s.TB ? s.K : s.N;
            double best = double.MaxValue;
            for (int i = 0; i < 300; i++) // past the JIT's tiering (30 calls), then the min of the rest
            {
                long t0 = Stopwatch.GetTimestamp();
                MatMulKernels.Gemm(s.TA, s.TB, s.M, s.N, s.K, a, lda, b, ldb, c, s.N, false);
                best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            Console.WriteLine(string.Format(ic, "gemm={0,-14} tA={1} tB={2} m={3} n={4} k={5} min_ms={6:0.000} gflops={7:0.0}",
                s.Name, s.TA, s.TB, s.M, s.N, s.K, best, 2.0 * s.M * s.N * s.K / best / 1e6));
        }
    }

    /// <summary>
    /// <c>profile softmax</c>: min time of the softmax kernels at MinAtar Soft MoE-4's logits [32, 100, 100], over the
    /// tokens (columns, I = 100) and over the slots (rows of 100), forward and backward.
    /// </summary>
    public static void RunSoftmax()
    {
        var ic = CultureInfo.InvariantCulture;
        var rng = new Random(3);
        const int count = 32 * 100 * 100;
        float[] x = new float[count], y = new float[count], dy = new float[count], dx = new float[count];
        for (int i = 0; i < count; i++) (x[i], dy[i]) = ((float)rng.NextDouble() * 8 - 4, (float)rng.NextDouble() - 0.5f);
        foreach (var (name, outer, n, inner) in new[] { ("tokens", 32, 100, 100), ("slots", 3200, 100, 1) })
        {
            foreach (bool backward in new[] { false, true })
            {
                double best = double.MaxValue;
                for (int i = 0; i < 300; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    if (backward) SoftmaxKernels.Backward(dx, dy, y, outer, n, inner, log: false);
                    else SoftmaxKernels.Forward(y, x, outer, n, inner, log: false);
                    best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                Console.WriteLine(string.Format(ic, "softmax={0}-{1} o={2} n={3} i={4} min_ms={5:0.000} ns_per_float={6:0.00}",
                    name, backward ? "bwd" : "fwd", outer, n, inner, best, best * 1e6 / count));
            }
        }
    }
}
