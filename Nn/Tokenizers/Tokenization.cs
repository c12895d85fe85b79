namespace MoeScratch.Nn.Tokenizers;

/// <summary>
/// How the encoder output [B, h, w, d] is cut into tokens for an MoE layer (P1 §3, Fig. 3; P2 §5.1, Fig. 7).
/// </summary>
public enum Tokenization
{
    /// <summary>
    /// One token per spatial position: h·w tokens of dim d, token = row·w + col (P1 §3, the default).
    /// </summary>
    PerConv,

    /// <summary>One token per feature map: d tokens of dim h·w (P1 §3).</summary>
    PerFeat,

    /// <summary>The whole encoder output as one token of dim h·w·d (P1 §3).</summary>
    PerSamp,

    /// <summary>Spatial patches embedded by a learned conv, kernel = stride = patch, VALID (networks.py).</summary>
    PerPatch,

    /// <summary>Spatial patches average-pooled, window = stride = patch, VALID (networks.py).</summary>
    PerPatchAvgPool,

    /// <summary>PerConv layout [h·w, d] after one fixed random permutation of all h·w·d entries (P2 §5.1).</summary>
    Shuffled,
}
