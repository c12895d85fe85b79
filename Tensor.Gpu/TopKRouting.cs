using ILGPU;
using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

/// <summary>
/// Top-k MoE routing (dopamine routers.py): router probabilities, the k chosen experts and their gates in one fused
/// kernel on a <see cref="GpuBackend"/> (softmax, ranking and gathering per token row), and by
/// <see cref="Ops.Softmax"/> + <see cref="Ops.TopK"/> elsewhere, with identical results.
/// </summary>
public static class TopKRouting
{
    /// <summary>Routes logits [T, E] to k experts per token.</summary>
    /// <returns>
    /// Probabilities [T, E] (softmax over experts; for load-balancing losses and logging), Gates [T, k] (the
    /// probabilities of the chosen experts, in rank order), Experts [T, k] (their indices as floats, no gradient).
    /// </returns>
    /// <remarks>
    /// Gradients: gates scatter back to their experts' probabilities, probabilities go through the softmax
    /// backward: dL = p ⊙ (dp − Σ dp ⊙ p) with dp = dProbabilities + scatter(dGates).
    /// </remarks>
    /// <exception cref="ArgumentException">logits is not rank 2 or k is outside [1, E].</exception>
    public static (Tensor Probabilities, Tensor Gates, Tensor Experts) Route(Tensor logits, int k)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2) throw new ArgumentException($"TopKRouting.Route: logits must be [T, E], got {logits.Shape}.");
        int t = logits.Shape[0], e = logits.Shape[1];
        if (k < 1 || k > e)
        {
            throw new ArgumentException($"TopKRouting.Route: k = {k} must be in [1, {e}] for logits {logits.Shape}.");
        }
        if (logits.Backend is not GpuBackend gpu)
        {
            var p = Ops.Softmax(logits);
            var (values, indices) = Ops.TopK(p, k);
            return (p, values, indices);
        }

        var probs = Tensor.Empty(logits.Shape, gpu);
        var gates = Tensor.Empty(new Shape(t, k), gpu);
        var experts = Tensor.Empty(new Shape(t, k), gpu);
        gpu.TopKRoute(probs, gates, experts, logits, t, e, k);
        if (GradMode.ShouldRecord(logits))
        {
            Ops.Record(probs, "topk_route_probs", [logits], g =>
            {
                var dl = Tensor.Zeros(logits.Shape, gpu);
                gpu.SoftmaxBackward(dl, g, probs, t, e, 1, log: false);
                logits.AccumulateGrad(dl);
            });
            Ops.Record(gates, "topk_route_gates", [logits], g =>
            {
                var dl = Tensor.Zeros(logits.Shape, gpu);
                gpu.TopKRouteBackward(dl, g, probs, experts, t, e, k);
                logits.AccumulateGrad(dl);
            });
        }
        return (probs, gates, experts);
    }
}
