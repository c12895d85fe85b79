using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// A mixture-of-experts layer mapping tokens [B, m, d] to tokens [B, m, d] (P1 §2.2, §4.2; P2).
/// Implemented by <see cref="SoftMoe"/>, <see cref="TopKMoe"/> and <see cref="ExpertChoiceMoe"/>; a torso holds
/// one through this interface so the routing kind is composed, not switched.
/// </summary>
public interface IMoeLayer
{
    /// <summary>Runs the layer on tokens [B, m, d]; routing never crosses observations in the batch (P1 §3).</summary>
    MoeOutput Forward(Tensor tokens);

    /// <summary>Number of experts n.</summary>
    int NumExperts { get; }

    /// <summary>
    /// The stacked expert MLPs. Their parameters (<see cref="Module.NamedParameters"/>) are the targets of expert
    /// reset / Shrink &amp; Perturb (P2): <see cref="ExpertMlp.Reinitialize"/> redraws all experts with the original init
    /// (in place), <see cref="ExpertMlp.ReinitializeExpert"/> one expert, <see cref="ExpertMlp.ShrinkPerturb"/> mixes with a
    /// fresh draw, and <see cref="ExpertMlp.FreshInit"/> returns a draw without applying it. Router parameters (Φ, the
    /// Top-k/Expert Choice router) are not touched by these.
    /// </summary>
    ExpertMlp Experts { get; }
}

/// <summary>
/// The module base of the three MoE layers, so a torso can hold one as a registrable child
/// (<c>RegisterModule("moe", layer)</c>) and still call it through <see cref="IMoeLayer"/> without a cast.
/// </summary>
public abstract class MoeLayer : Module, IMoeLayer
{
    /// <inheritdoc/>
    public abstract MoeOutput Forward(Tensor tokens);

    /// <inheritdoc/>
    public abstract int NumExperts { get; }

    /// <inheritdoc/>
    public abstract ExpertMlp Experts { get; }
}
