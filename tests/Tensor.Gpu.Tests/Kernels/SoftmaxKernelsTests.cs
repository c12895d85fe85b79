using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>Softmax, log-softmax, top-k and the Soft MoE routing they compose, against the CPU backend.</summary>
public abstract class SoftmaxKernelsTests : GpuTestBase
{
    // SoftmaxKernels.Forward / Backward: last axis (I = 1) and a middle axis (I > 1).
    [TestCase(new[] { 3, 5 }, -1)]
    [TestCase(new[] { 2, 4, 3 }, 1)]
    [TestCase(new[] { 2, 4, 3 }, 0)]
    [TestCase(new[] { 7 }, 0)]
    public void SoftmaxAndLogSoftmax_ForwardAndBackward_MatchCpu(int[] shape, int axis)
    {
        CheckAgainstCpu($"Softmax axis {axis}", t => Ops.Softmax(t[0], axis), [shape]);
        CheckAgainstCpu($"LogSoftmax axis {axis}", t => Ops.LogSoftmax(t[0], axis), [shape]);
    }

    // IBackend's default SoftmaxPair (two Softmax calls) against the CPU's shared-exp kernel; both outputs' gradients.
    [Test]
    public void SoftmaxBothAxes_ForwardAndBackward_MatchCpu() =>
        CheckAgainstCpu("SoftmaxBothAxes", t =>
        {
            var (overColumns, overRows) = Ops.SoftmaxBothAxes(t[0]);
            return Ops.Add(overColumns, Ops.Scale(overRows, 2f));
        }, [[2, 5, 9]]);

    [Test]
    public void Softmax_LargeLogits_DoNotOverflow()
    {
        var x = new[] { 1e4f, 1e4f - 1f, -1e4f, 0f };
        CheckAgainstCpu("Softmax large", t => Ops.Softmax(t[0]), [[1, 4]], [x]);
        CheckAgainstCpu("LogSoftmax large", t => Ops.LogSoftmax(t[0]), [[1, 4]], [x]);
    }

    // TopKKernels.TopK (ranking with ties and NaN) and the gather behind the values' gradient.
    [TestCase(new[] { 4, 6 }, 2, -1)]
    [TestCase(new[] { 3, 5, 2 }, 3, 1)]
    [TestCase(new[] { 2, 5 }, 5, -1)]
    public void TopK_ValuesIndicesAndGradient_MatchCpu(int[] shape, int k, int axis)
    {
        CheckAgainstCpu($"TopK values k={k}", t => Ops.TopK(t[0], k, axis).Values, [shape]);
        CheckAgainstCpu($"TopK indices k={k}", t => Ops.TopK(t[0], k, axis).Indices, [shape], backward: false);
    }

    [Test]
    public void TopK_TiesAndNaN_RankLikeCpu()
    {
        var x = new[] { 1f, 3f, 3f, float.NaN, 0f, 3f };
        CheckAgainstCpu("TopK ties/NaN", t => Ops.TopK(t[0], 4).Indices, [[6]], [x], backward: false);
        CheckAgainstCpu("ArgMax", t => Ops.ArgMax(t[0].Reshape(2, 3), 1), [[6]], [x], backward: false);
    }

    // IBackend.L2NormalizeClamped's default (the device composes primitives; the CPU has a fused kernel): Soft MoE's
    // token normalization (last axis) and Φ's (strided axis 0), and a zero slice that the clamp cuts off.
    [TestCase(new[] { 2, 5, 8 }, -1)]
    [TestCase(new[] { 6, 4 }, 0)]
    public void L2NormalizeClamped_ForwardAndBackward_MatchCpu(int[] shape, int axis) =>
        CheckAgainstCpu($"L2NormalizeClamped axis {axis}", t => Ops.L2NormalizeClamped(t[0], axis), [shape]);

    [Test]
    public void L2NormalizeClamped_ZeroSlice_MatchesCpu() =>
        CheckAgainstCpu("L2NormalizeClamped zero slice", t => Ops.L2NormalizeClamped(t[0], 1, 1e-4f, 0.5f), [[2, 3]],
                        [[0f, 0f, 0f, 3f, 4f, 0f]]);

    // Soft MoE routing (Puigcerver et al. 2023, arXiv 2308.00951 §2.1) from primitives: logits [B, m, s];
    // dispatch D = softmax over tokens m, slots X̃ = Dᵀ X; combine C = softmax over slots s, Y = C Ỹ.
    [Test]
    public void SoftMoeDispatchAndCombine_ForwardAndBackward_MatchCpu()
    {
        static Tensor Route(Tensor[] t)
        {
            var logits = Ops.MatMul(t[0], t[1]);                                   // [B, m, s]
            var slots = Ops.MatMul(Ops.Softmax(logits, 1), t[0], transA: true);    // [B, s, d]
            var expert = Ops.Tanh(slots);                                          // stand-in for the experts
            return Ops.MatMul(Ops.Softmax(logits, 2), expert);                     // [B, m, d]
        }
        CheckAgainstCpu("Soft MoE routing", Route, [[2, 5, 3], [3, 4]], tol: 2e-5);
    }

    // SoftMoeKernels.Stats / Weights through SoftMoeRouting (the CPU side composes Ops.Softmax).
    [TestCase(2, 5, 3, 4)]
    [TestCase(1, 3, 4, 7)]
    public void SoftMoeRouting_FusedWeights_MatchCpuComposite(int b, int m, int d, int slots)
    {
        static Tensor Layer(Tensor[] t)
        {
            var logits = Ops.MatMul(t[0], t[1]);                                   // [B, m, S]
            var (dispatch, combine) = SoftMoeRouting.Weights(logits);
            var slotsIn = SoftMoeRouting.SlotInputs(dispatch, t[0]);               // [B, S, d]
            return SoftMoeRouting.OutputTokens(combine, Ops.Tanh(slotsIn));        // [B, m, d]
        }
        CheckAgainstCpu("SoftMoeRouting layer", Layer, [[b, m, d], [d, slots]], tol: 2e-5);
        CheckAgainstCpu("SoftMoeRouting dispatch", t => SoftMoeRouting.Weights(t[0]).Dispatch, [[b, m, slots]]);
        CheckAgainstCpu("SoftMoeRouting combine", t => SoftMoeRouting.Weights(t[0]).Combine, [[b, m, slots]]);
    }

    [Test]
    public void SoftMoeRouting_Weights_RejectsWrongRank() =>
        Assert.That(() => SoftMoeRouting.Weights(Tensor.Zeros(new Shape(2, 3), Gpu)),
                    Throws.ArgumentException.With.Message.Contains("[B, m, slots]"));

    // Top-k routing: softmax over experts, top-k gates renormalized, gradient through the gathered gates.
    [Test]
    public void TopKRouting_GatesAndGradient_MatchCpu()
    {
        static Tensor Gates(Tensor[] t)
        {
            var probs = Ops.Softmax(t[0]);                                         // [T, E]
            var (top, _) = Ops.TopK(probs, 2);                                     // [T, 2]
            return Ops.Div(top, Ops.Sum(top, [1], keepDims: true));
        }
        CheckAgainstCpu("Top-k routing", Gates, [[6, 4]]);
    }

    // TopKRoutingKernels.Forward / BackwardGates through TopKRouting (the CPU side composes Softmax + TopK).
    [TestCase(6, 4, 1)]
    [TestCase(5, 8, 2)]
    [TestCase(3, 3, 3)]
    public void TopKRouting_Fused_MatchesCpuComposite(int tokens, int experts, int k)
    {
        CheckAgainstCpu($"TopKRouting gates k={k}", t => TopKRouting.Route(t[0], k).Gates, [[tokens, experts]]);
        CheckAgainstCpu($"TopKRouting experts k={k}", t => TopKRouting.Route(t[0], k).Experts, [[tokens, experts]],
                        backward: false);
        // Gates and probabilities both feed the loss (a load-balancing term uses the probabilities).
        CheckAgainstCpu($"TopKRouting gates+probs k={k}", t =>
        {
            var (p, g, _) = TopKRouting.Route(t[0], k);
            return Ops.Add(Ops.Sum(g), Ops.Sum(Ops.Square(p)));
        }, [[tokens, experts]]);
    }

    [Test]
    public void TopKRouting_TiedLogits_PickTheLowestIndexLikeCpu()
    {
        var x = new[] { 1f, 2f, 2f, 0f, 5f, 5f, 5f, 5f };
        CheckAgainstCpu("TopKRouting ties", t => TopKRouting.Route(t[0], 2).Experts, [[2, 4]], [x], backward: false);
    }
}
