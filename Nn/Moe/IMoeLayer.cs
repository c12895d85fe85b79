using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// A mixture-of-experts layer mapping tokens [B, m, d] to tokens [B, m, d] (papers.md §1, §2; P2 §3.5).
/// Implemented by <see cref="SoftMoe"/>, <see cref="TopKMoe"/> and <see cref="ExpertChoiceMoe"/>; a torso holds
/// one through this interface so the routing kind is composed, not switched.
/// </summary>
public interface IMoeLayer
{
    /// <summary>Runs the layer on tokens [B, m, d]; routing never crosses observations in the batch (§12.1).</summary>
    MoeOutput Forward(Tensor tokens);

    /// <summary>Number of experts n.</summary>
    int NumExperts { get; }

    /// <summary>
    /// The stacked expert MLPs. Their parameters (<see cref="Module.NamedParameters"/>) are the targets of expert
    /// reset / Shrink &amp; Perturb (P2); <see cref="ExpertMlp.Reinitialize"/> redraws them with the original init.
    /// </summary>
    ExpertMlp Experts { get; }
}
