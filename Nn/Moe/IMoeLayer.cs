using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>A mixture-of-experts layer mapping tokens [B, m, d] to tokens [B, m, d] (papers.md §1, §2).</summary>
public interface IMoeLayer
{
    /// <summary>Runs the layer on tokens [B, m, d].</summary>
    MoeOutput Forward(Tensor tokens);

    /// <summary>Number of experts n.</summary>
    int NumExperts { get; }
}
