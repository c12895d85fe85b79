using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

/// <summary>How per-token features are pooled into one vector (P2 "tokenized_sum" / "tokenized_avg").</summary>
public enum Aggregation
{
    /// <summary>Sum over tokens.</summary>
    Sum,

    /// <summary>Mean over tokens.</summary>
    Mean,
}

/// <summary>
/// P2's tokenized baseline (P2 Fig. 5): PerConv tokens [B, h·w, d] → shared Dense(width)+ReLU applied per
/// token → sum or mean over tokens → features [B, width]. This is the "dense per token, then aggregate" reading of
/// the reviews, which we read as the most likely one (the other reading is <see cref="GlobalAveragePoolTorso"/>).
/// </summary>
public sealed class TokenizedAggregationTorso : Torso
{
    private readonly Tokenizer _tokenizer;
    private readonly Layer _dense;
    private readonly bool _noisy;

    /// <summary>Creates the torso.</summary>
    /// <param name="tokenDim">Encoder channels d (the token dim under PerConv).</param>
    /// <param name="width">Penultimate width (512 × multiplier, P1 §4.1).</param>
    /// <param name="aggregation">Sum or mean over tokens.</param>
    /// <param name="rng">Init randomness.</param>
    /// <param name="noisy">Noisy dense (Full-Rainbow penultimate, NoisyNetwork).</param>
    /// <param name="noiseRng">Noise stream, required when noisy.</param>
    public TokenizedAggregationTorso(int tokenDim, int width, Aggregation aggregation, Rng rng, bool noisy = false, Rng? noiseRng = null)
    {
        if (width <= 0) throw new ArgumentException($"TokenizedAggregationTorso: width must be positive, got {width}.");
        if (noisy && noiseRng is null) throw new ArgumentException("TokenizedAggregationTorso: a noisy torso needs a noise Rng.");
        Width = width;
        Aggregation = aggregation;
        _noisy = noisy;
        _tokenizer = RegisterModule<Tokenizer>("tokenizer", new PerConvTokenizer());
        _dense = RegisterModule<Layer>("dense", noisy ? new NoisyLinear(tokenDim, width, rng, noiseRng!) : new Linear(tokenDim, width, rng));
    }

    /// <summary>Penultimate width.</summary>
    public int Width { get; }

    /// <summary>Sum or mean.</summary>
    public Aggregation Aggregation { get; }

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        var tokens = _tokenizer.Forward(encoded); // [B, m, d], a view
        int b = tokens.Shape[0], m = tokens.Shape[1], d = tokens.Shape[2];
        // NoisyLinear takes rank 2 only; one noise sample is still shared by all tokens of the batch.
        var h = _noisy ? _dense.Forward(tokens.Reshape(b * m, d)).Reshape(b, m, Width) : _dense.Forward(tokens);
        h = Ops.Relu(h);
        var features = Aggregation == Aggregation.Sum ? Ops.Sum(h, [1]) : Ops.Mean(h, [1]);
        return new TorsoOutput(features, null, h);
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => Width;
}

/// <summary>
/// Global average pooling over (h, w) followed by Dense(width)+ReLU: [B, h, w, d] → [B, d] → [B, width]. This is
/// the "aggregate first, then dense" reading of P2's tokenized baseline, which is what the *Mind the GAP*
/// follow-up studies (P2 Fig. 5; Sokar &amp; Castro 2025).
/// </summary>
public sealed class GlobalAveragePoolTorso : Torso
{
    private readonly Layer _dense;

    /// <summary>Creates the torso for <paramref name="channels"/> encoder channels.</summary>
    public GlobalAveragePoolTorso(int channels, int width, Rng rng, bool noisy = false, Rng? noiseRng = null)
    {
        if (width <= 0) throw new ArgumentException($"GlobalAveragePoolTorso: width must be positive, got {width}.");
        if (noisy && noiseRng is null) throw new ArgumentException("GlobalAveragePoolTorso: a noisy torso needs a noise Rng.");
        Width = width;
        _dense = RegisterModule<Layer>("dense", noisy ? new NoisyLinear(channels, width, rng, noiseRng!) : new Linear(channels, width, rng));
    }

    /// <summary>Penultimate width.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        if (encoded.Rank != 4)
        {
            throw new ArgumentException($"GlobalAveragePoolTorso: the encoder output must be [B, h, w, d], got {encoded.Shape}.");
        }
        var h = Ops.Relu(_dense.Forward(Ops.Mean(encoded, [1, 2])));
        return new TorsoOutput(h, null, h);
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => Width;
}
