using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tokenizers;

/// <summary>
/// Maps an encoder output [B, h, w, d] (NHWC) to tokens [B, m, dTok] (P1 §3; P2 §5). Subclasses differ only in
/// how positions and channels become tokens; all of them keep observations apart (no mixing across B).
/// </summary>
public abstract class Tokenizer : Layer
{
    /// <summary>The scheme this tokenizer implements.</summary>
    public abstract Tokenization Kind { get; }

    /// <summary>Token count m and token dim for an encoder output shape [B, h, w, d], computed without running.</summary>
    /// <exception cref="ArgumentException">The shape is not rank 4, or does not suit this tokenizer.</exception>
    public abstract (int Tokens, int Dim) TokenShape(Shape encoded);

    /// <inheritdoc/>
    public sealed override Shape OutputShape(Shape input)
    {
        var (m, d) = TokenShape(input);
        return new Shape(input[0], m, d);
    }

    /// <summary>Checks that <paramref name="x"/> is [B, h, w, d] and returns (B, h, w, d).</summary>
    protected (int B, int H, int W, int D) Dims4(Shape x)
    {
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{GetType().Name}: the encoder output must be [B, h, w, d] (NHWC), got {x}.");
        }
        return (x[0], x[1], x[2], x[3]);
    }
}

/// <summary>
/// PerConv (dopamine <c>PER_PIXEL</c>, P1 §3, Fig. 3): reshape [B, h, w, d] → [B, h·w, d], token index
/// row·w + col. A view of the encoder output: no copy.
/// </summary>
public sealed class PerConvTokenizer : Tokenizer
{
    /// <inheritdoc/>
    public override Tokenization Kind => Tokenization.PerConv;

    /// <inheritdoc/>
    public override (int Tokens, int Dim) TokenShape(Shape encoded)
    {
        var (_, h, w, d) = Dims4(encoded);
        return (h * w, d);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (b, h, w, d) = Dims4(x.Shape);
        return x.Reshape(b, h * w, d);
    }
}

/// <summary>
/// PerFeat (dopamine <c>PER_FEATUREMAP</c>, P1 §3, Fig. 3): reshape to [B, h·w, d], then transpose to
/// [B, d, h·w]: one token per channel holding that channel's whole feature map.
/// </summary>
public sealed class PerFeatTokenizer : Tokenizer
{
    /// <inheritdoc/>
    public override Tokenization Kind => Tokenization.PerFeat;

    /// <inheritdoc/>
    public override (int Tokens, int Dim) TokenShape(Shape encoded)
    {
        var (_, h, w, d) = Dims4(encoded);
        return (d, h * w);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (b, h, w, d) = Dims4(x.Shape);
        return Ops.Transpose(x.Reshape(b, h * w, d), 1, 2);
    }
}

/// <summary>
/// PerSamp (dopamine <c>PER_SAMPLE</c>, P1 §3, Fig. 3): the whole observation's features as one token
/// [B, 1, h·w·d] (row-major flatten, a view). Degenerate for Soft MoE; used by the Big/All variants (P1 §5.3).
/// </summary>
public sealed class PerSampTokenizer : Tokenizer
{
    /// <inheritdoc/>
    public override Tokenization Kind => Tokenization.PerSamp;

    /// <inheritdoc/>
    public override (int Tokens, int Dim) TokenShape(Shape encoded)
    {
        var (_, h, w, d) = Dims4(encoded);
        return (1, h * w * d);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (b, h, w, d) = Dims4(x.Shape);
        return x.Reshape(b, 1, h * w * d);
    }
}
