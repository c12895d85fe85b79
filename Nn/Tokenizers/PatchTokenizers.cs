using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tokenizers;

/// <summary>
/// PerPatch, option A (dopamine <c>PER_PATCH</c> with <c>use_avg_pool_for_tokens=False</c>): a
/// learned conv named "embedding" with kernel = stride = patch, VALID padding, then one token per patch:
/// [B, h, w, d] → [B, ⌊h/p⌋·⌊w/p⌋, embeddingSize]. For 11×11 maps, 3×3 patches give 9 tokens and 4×4 give 4.
/// </summary>
public sealed class PatchEmbeddingTokenizer : Tokenizer
{
    /// <summary>Creates the tokenizer.</summary>
    /// <param name="inChannels">Encoder channels d.</param>
    /// <param name="patchSize">Patch side (default 3, dopamine networks.py).</param>
    /// <param name="embeddingSize">Token dim: 32 for Impala, 64 for the CNN in dopamine (dopamine networks.py).</param>
    /// <param name="rng">Initialization randomness (xavier_uniform kernel, zero bias, dopamine networks.py).</param>
    public PatchEmbeddingTokenizer(int inChannels, int patchSize, int embeddingSize, Rng rng)
    {
        if (patchSize <= 0 || embeddingSize <= 0)
        {
            throw new ArgumentException($"PatchEmbeddingTokenizer: patch size and embedding size must be positive, " +
                                        $"got patch={patchSize}, embedding={embeddingSize}.");
        }
        PatchSize = patchSize;
        Embedding = RegisterModule("embedding", new Conv2d(inChannels, embeddingSize, patchSize, patchSize, Padding.Valid, rng));
    }

    /// <summary>Patch side.</summary>
    public int PatchSize { get; }

    /// <summary>The patch-embedding convolution.</summary>
    public Conv2d Embedding { get; }

    /// <inheritdoc/>
    public override Tokenization Kind => Tokenization.PerPatch;

    /// <inheritdoc/>
    public override (int Tokens, int Dim) TokenShape(Shape encoded)
    {
        var (_, h, w, _) = Dims4(encoded);
        PatchCheck(h, w, PatchSize, GetType().Name);
        var o = Embedding.OutputShape(encoded);
        return (o[1] * o[2], o[3]);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (b, h, w, _) = Dims4(x.Shape);
        PatchCheck(h, w, PatchSize, GetType().Name);
        var y = Embedding.Forward(x);
        return y.Reshape(b, y.Shape[1] * y.Shape[2], y.Shape[3]);
    }

    internal static void PatchCheck(int h, int w, int p, string who)
    {
        if (h < p || w < p)
        {
            throw new ArgumentException($"{who}: patch size {p} is larger than the {h}×{w} encoder map; use a patch " +
                                        $"size of at most {Math.Min(h, w)}.");
        }
    }
}

/// <summary>
/// PerPatch, option B (<c>use_avg_pool_for_tokens=True</c>): average pooling with window = stride =
/// patch, VALID, then one token per patch: [B, h, w, d] → [B, ⌊h/p⌋·⌊w/p⌋, d]. No parameters.
/// </summary>
public sealed class PatchAvgPoolTokenizer : Tokenizer
{
    /// <summary>Creates the tokenizer.</summary>
    public PatchAvgPoolTokenizer(int patchSize)
    {
        if (patchSize <= 0) throw new ArgumentException($"PatchAvgPoolTokenizer: patch size must be positive, got {patchSize}.");
        PatchSize = patchSize;
    }

    /// <summary>Patch side.</summary>
    public int PatchSize { get; }

    /// <inheritdoc/>
    public override Tokenization Kind => Tokenization.PerPatchAvgPool;

    /// <inheritdoc/>
    public override (int Tokens, int Dim) TokenShape(Shape encoded)
    {
        var (_, h, w, d) = Dims4(encoded);
        PatchEmbeddingTokenizer.PatchCheck(h, w, PatchSize, GetType().Name);
        return ((h / PatchSize) * (w / PatchSize), d);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (b, h, w, d) = Dims4(x.Shape);
        PatchEmbeddingTokenizer.PatchCheck(h, w, PatchSize, GetType().Name);
        var y = Ops.AvgPool2d(x, PatchSize, PatchSize, Padding.Valid);
        return y.Reshape(b, y.Shape[1] * y.Shape[2], d);
    }
}
