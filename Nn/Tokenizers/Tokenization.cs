namespace MoeScratch.Nn.Tokenizers;

/// <summary>
/// How the encoder output [B, h, w, d] is cut into tokens for an MoE layer (papers.md §3.1–3.3).
/// </summary>
public enum Tokenization
{
    /// <summary>One token per spatial position: h·w tokens of dim d, token = row·w + col (P1 default, §3.1).</summary>
    PerConv,

    /// <summary>One token per feature map: d tokens of dim h·w (§3.1).</summary>
    PerFeat,

    /// <summary>The whole encoder output as one token of dim h·w·d (§3.1).</summary>
    PerSamp,

    /// <summary>Spatial patches embedded by a learned conv, kernel = stride = patch, VALID (§3.2 option A).</summary>
    PerPatch,

    /// <summary>Spatial patches average-pooled, window = stride = patch, VALID (§3.2 option B).</summary>
    PerPatchAvgPool,

    /// <summary>PerConv layout [h·w, d] after one fixed random permutation of all h·w·d entries (P2 §5.1).</summary>
    Shuffled,
}
