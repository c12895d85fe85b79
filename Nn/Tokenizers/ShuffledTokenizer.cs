using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tokenizers;

/// <summary>
/// Shuffled (P2 §5.1, "Don't flatten, tokenize!"): one fixed random permutation of all h·w·d entries of the encoder
/// output, then the PerConv reshape to [B, h·w, d]. A token therefore holds d entries drawn from many positions and
/// channels: token count and size stay PerConv's, spatial structure is gone.
/// </summary>
/// <remarks>
/// Permuting whole tokens (positions) instead would change nothing: Soft MoE is equivariant to token order (dispatch
/// sums over tokens, combine is per token) and the flattened output feeds a freshly initialised dense head, so the
/// network would have exactly PerConv's function class and initial distribution. The permutation is drawn once from
/// the init Rng (Fisher–Yates) and registered as the buffer "permutation" so a checkpoint restores the very same
/// order.
/// </remarks>
public sealed class ShuffledTokenizer : Tokenizer
{
    /// <summary>Creates the tokenizer for an h×w×d encoder output.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public ShuffledTokenizer(int height, int width, int depth, Rng rng)
    {
        if (height <= 0 || width <= 0 || depth <= 0)
        {
            throw new ArgumentException($"ShuffledTokenizer: the encoder output must be non-empty, got {height}×{width}×{depth}.");
        }
        Height = height;
        Width = width;
        Depth = depth;
        int n = height * width * depth;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        Permutation = RegisterBuffer("permutation", Tensor.FromArray(order.Select(v => (float)v).ToArray()));
    }

    /// <summary>Map height h this tokenizer was built for.</summary>
    public int Height { get; }

    /// <summary>Map width w this tokenizer was built for.</summary>
    public int Width { get; }

    /// <summary>Channels d this tokenizer was built for.</summary>
    public int Depth { get; }

    /// <summary>
    /// Entry k of the shuffled row-major [h·w·d] vector is the encoder output's row-major entry Permutation[k]
    /// (float-coded indices); token t holds shuffled entries t·d … t·d + d − 1.
    /// </summary>
    public Tensor Permutation { get; }

    /// <inheritdoc/>
    public override Tokenization Kind => Tokenization.Shuffled;

    /// <inheritdoc/>
    public override (int Tokens, int Dim) TokenShape(Shape encoded)
    {
        var (_, h, w, d) = Dims4(encoded);
        if (h != Height || w != Width || d != Depth)
        {
            throw new ArgumentException($"ShuffledTokenizer: built for a {Height}×{Width}×{Depth} encoder output (its " +
                                        $"permutation has {Height * Width * Depth} entries) but got {encoded}; build it " +
                                        "for this encoder.");
        }
        return (h * w, d);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (m, d) = TokenShape(x.Shape);
        int b = x.Shape[0];
        // The buffer is used (not a cached int[]) so that a loaded checkpoint's permutation takes effect.
        return Ops.IndexSelect(x.Reshape(b, m * d), 1, Permutation).Reshape(b, m, d);
    }
}
