using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tokenizers;

/// <summary>
/// Shuffled (P2 §5.1, Fig. 7): PerConv tokens [B, h·w, d] taken in the order of one fixed random permutation
/// of the h·w positions. The permutation is drawn once from the init Rng (Fisher–Yates) and registered as the
/// buffer "permutation" so a checkpoint restores the very same order; it keeps token count and size but
/// destroys spatial structure.
/// </summary>
public sealed class ShuffledTokenizer : Tokenizer
{
    private readonly int[] _order;

    /// <summary>Creates the tokenizer for an h×w encoder map.</summary>
    public ShuffledTokenizer(int height, int width, Rng rng)
    {
        if (height <= 0 || width <= 0)
        {
            throw new ArgumentException($"ShuffledTokenizer: the map must be non-empty, got {height}×{width}.");
        }
        Height = height;
        Width = width;
        int n = height * width;
        _order = new int[n];
        for (int i = 0; i < n; i++) _order[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
        Permutation = RegisterBuffer("permutation", Tensor.FromArray(_order.Select(v => (float)v).ToArray()));
    }

    /// <summary>Map height h this tokenizer was built for.</summary>
    public int Height { get; }

    /// <summary>Map width w this tokenizer was built for.</summary>
    public int Width { get; }

    /// <summary>Token t of the output is PerConv token Permutation[t] [h·w] (float-coded indices).</summary>
    public Tensor Permutation { get; }

    /// <inheritdoc/>
    public override Tokenization Kind => Tokenization.Shuffled;

    /// <inheritdoc/>
    public override (int Tokens, int Dim) TokenShape(Shape encoded)
    {
        var (_, h, w, d) = Dims4(encoded);
        if (h != Height || w != Width)
        {
            throw new ArgumentException($"ShuffledTokenizer: built for a {Height}×{Width} map (its permutation has " +
                                        $"{Height * Width} positions) but got {encoded}; build it for this encoder.");
        }
        return (h * w, d);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (m, d) = TokenShape(x.Shape);
        // The buffer (not _order) is used so that a loaded checkpoint's permutation takes effect.
        return Ops.IndexSelect(x.Reshape(x.Shape[0], m, d), 1, Permutation);
    }
}
