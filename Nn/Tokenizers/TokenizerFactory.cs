using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tokenizers;

/// <summary>Creates the tokenizer of a <see cref="Tokenization"/> for a given encoder output.</summary>
public static class TokenizerFactory
{
    /// <summary>Builds a tokenizer.</summary>
    /// <param name="kind">The scheme.</param>
    /// <param name="encoded">Encoder output shape [B, h, w, d] (B may be 1).</param>
    /// <param name="rng">Init randomness (patch embedding, shuffle permutation).</param>
    /// <param name="patchSize">Patch side for the PerPatch schemes (default 3, dopamine moes networks.py).</param>
    /// <param name="embeddingSize">Patch embedding size (dopamine: 32 Impala, 64 CNN).</param>
    /// <exception cref="ArgumentException">The shape is not [B, h, w, d] or the patch does not fit.</exception>
    public static Tokenizer Create(Tokenization kind, Shape encoded, Rng rng, int patchSize = 3, int embeddingSize = 32)
    {
        if (encoded.Rank != 4)
        {
            throw new ArgumentException($"TokenizerFactory: the encoder output must be [B, h, w, d] (NHWC), got {encoded}.");
        }
        Tokenizer t = kind switch
        {
            Tokenization.PerConv => new PerConvTokenizer(),
            Tokenization.PerFeat => new PerFeatTokenizer(),
            Tokenization.PerSamp => new PerSampTokenizer(),
            Tokenization.PerPatch => new PatchEmbeddingTokenizer(encoded[3], patchSize, embeddingSize, rng),
            Tokenization.PerPatchAvgPool => new PatchAvgPoolTokenizer(patchSize),
            Tokenization.Shuffled => new ShuffledTokenizer(encoded[1], encoded[2], encoded[3], rng),
            _ => throw new ArgumentException($"TokenizerFactory: unknown tokenization {kind}."),
        };
        _ = t.TokenShape(encoded); // validates patch size against the map up front
        return t;
    }
}
