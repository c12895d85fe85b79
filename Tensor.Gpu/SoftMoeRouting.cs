using ILGPU;
using MoeScratch.Tensors.Autograd;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

/// <summary>
/// Soft MoE routing (P1 §2.2; Puigcerver et al. 2023, arXiv 2308.00951) with the two softmaxes
/// computed by one fused kernel pair on a <see cref="GpuBackend"/> and by <see cref="Ops.Softmax"/> elsewhere, so
/// a layer can call it on any backend. Einsum shapes per observation: logits "md,dnp→mnp" (computed by the
/// caller), slot inputs "mnp,md→npd", output "npd,mnp→md".
/// </summary>
public static class SoftMoeRouting
{
    /// <summary>
    /// Dispatch weights D (softmax over the token axis m, per slot) and combine weights C (softmax over the slot
    /// axis, per token) of logits [B, m, S].
    /// </summary>
    /// <remarks>
    /// Each output records the softmax backward of its own axis (dL = D ⊙ (dD − Σₘ dD ⊙ D) and
    /// dL = C ⊙ (dC − Σ_S dC ⊙ C)); the autograd sums both into the logits' gradient.
    /// </remarks>
    /// <exception cref="ArgumentException">logits is not rank 3.</exception>
    public static (Tensor Dispatch, Tensor Combine) Weights(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 3)
        {
            throw new ArgumentException($"SoftMoeRouting.Weights: logits must be [B, m, slots], got {logits.Shape}.");
        }
        if (logits.Backend is not GpuBackend gpu) return (Ops.Softmax(logits, 1), Ops.Softmax(logits, 2));

        int b = logits.Shape[0], m = logits.Shape[1], slots = logits.Shape[2];
        var dispatch = Tensor.Empty(logits.Shape, gpu);
        var combine = Tensor.Empty(logits.Shape, gpu);
        gpu.SoftMoeWeights(dispatch, combine, logits, b, m, slots);
        if (GradMode.ShouldRecord(logits))
        {
            Ops.Record(dispatch, "softmoe_dispatch", [logits], g =>
            {
                var dl = Tensor.Zeros(logits.Shape, gpu);
                gpu.SoftmaxBackward(dl, g, dispatch, b, m, slots, log: false);
                logits.AccumulateGrad(dl);
            });
            Ops.Record(combine, "softmoe_combine", [logits], g =>
            {
                var dl = Tensor.Zeros(logits.Shape, gpu);
                gpu.SoftmaxBackward(dl, g, combine, b * m, slots, 1, log: false);
                logits.AccumulateGrad(dl);
            });
        }
        return (dispatch, combine);
    }

    /// <summary>Slot inputs X̃ = Dᵀ X: [B, S, d] from dispatch [B, m, S] and un-normalized tokens x [B, m, d].</summary>
    public static Tensor SlotInputs(Tensor dispatch, Tensor x) => Ops.MatMul(dispatch, x, transA: true);

    /// <summary>Output tokens Y = C Ỹ: [B, m, d] from combine [B, m, S] and expert outputs [B, S, d].</summary>
    public static Tensor OutputTokens(Tensor combine, Tensor expertOutputs) => Ops.MatMul(combine, expertOutputs);
}
