using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// What a mixture-of-experts layer returns (dopamine's <c>MoEModuleReturn</c>).
/// </summary>
/// <param name="Values">Output tokens [B, m, d].</param>
/// <param name="RouterProbabilities">
/// Per-token routing mass per expert [B, m, n]: Soft MoE's combine weights summed over each expert's slots;
/// Top-k/ExpertChoice router softmax. Logging and analysis only.
/// </param>
/// <param name="TopExperts">argmax over experts of <paramref name="RouterProbabilities"/> [B, m] (float indices).</param>
/// <param name="ExpertHidden">Post-ReLU expert activations [n, B·p, h] (dormant-neuron analysis), or null.</param>
/// <param name="AuxLoss">Weighted sum of auxiliary losses (Top-k load balancing), or null.</param>
public sealed record MoeOutput(Tensor Values, Tensor RouterProbabilities, Tensor TopExperts, Tensor? ExpertHidden,
                               Tensor? AuxLoss)
{
    private Func<Tensor>? _makeHidden;

    /// <summary>
    /// An output whose expert hidden is made on first read by <paramref name="expertHidden"/>: layers whose experts
    /// ran fused (<see cref="ExpertMlp.ForwardDeferred"/>, forwards that keep no graph) recompute it only for the
    /// analyses that read it. Read it before the weights change.
    /// </summary>
    /// <param name="values">Output tokens [B, m, d].</param>
    /// <param name="routerProbabilities">Per-token routing mass per expert [B, m, n].</param>
    /// <param name="topExperts">argmax over experts [B, m].</param>
    /// <param name="expertHidden">Makes the post-ReLU expert activations [n, B·p, h] (called once, on first read).</param>
    /// <param name="auxLoss">Weighted sum of auxiliary losses, or null.</param>
    public static MoeOutput WithDeferredHidden(Tensor values, Tensor routerProbabilities, Tensor topExperts,
                                               Func<Tensor> expertHidden, Tensor? auxLoss) =>
        new(values, routerProbabilities, topExperts, null, auxLoss) { _makeHidden = expertHidden };

    /// <summary>Post-ReLU expert activations [n, B·p, h] (dormant-neuron analysis), or null.</summary>
    public Tensor? ExpertHidden
    {
        get => field ??= _makeHidden?.Invoke();
        init;
    } = ExpertHidden;
}
