using MoeScratch.Tensors;

namespace MoeScratch.Nn.Heads;

/// <summary>What a value head returns.</summary>
/// <param name="Q">Action values [B, A] (for C51: Σ_atoms z·p).</param>
/// <param name="Logits">Per-atom logits [B, A, atoms] for distributional heads, else null.</param>
/// <param name="Probabilities">softmax(Logits) over atoms [B, A, atoms], else null.</param>
public sealed record QHeadOutput(Tensor Q, Tensor? Logits, Tensor? Probabilities);
