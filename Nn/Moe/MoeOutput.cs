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
                               Tensor? AuxLoss);
