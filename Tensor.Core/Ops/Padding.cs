using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

/// <summary>How a <see cref="Padding"/> chooses its pads.</summary>
public enum PaddingKind
{
    /// <summary>No padding; windows must fit inside the input.</summary>
    Valid,
    /// <summary>TensorFlow/flax "SAME": output = ceil(input / stride), pads split with the extra one after.</summary>
    Same,
    /// <summary>Fixed pads given by the caller.</summary>
    Explicit,
}

/// <summary>
/// Spatial padding of a 2-D convolution or pooling window: <see cref="Valid"/>, <see cref="Same"/> or
/// <see cref="Explicit"/> (top, bottom, left, right).
/// </summary>
/// <remarks>
/// SAME follows TensorFlow/flax (<c>lax.padtype_to_pads</c>), which the papers' Dopamine networks use:
/// out = ⌈in / stride⌉, total = max((out − 1)·stride + k − in, 0), before = ⌊total / 2⌋, after = total − before.
/// When total is odd the extra pad goes after (bottom/right), unlike PyTorch's symmetric integer padding.
/// </remarks>
public readonly record struct Padding
{
    private Padding(PaddingKind kind, int top, int bottom, int left, int right)
    {
        Kind = kind;
        Top = top;
        Bottom = bottom;
        Left = left;
        Right = right;
    }

    /// <summary>Which rule resolves the pads.</summary>
    public PaddingKind Kind { get; }

    /// <summary>Rows added above (explicit padding only; 0 otherwise).</summary>
    public int Top { get; }

    /// <summary>Rows added below (explicit padding only).</summary>
    public int Bottom { get; }

    /// <summary>Columns added on the left (explicit padding only).</summary>
    public int Left { get; }

    /// <summary>Columns added on the right (explicit padding only).</summary>
    public int Right { get; }

    /// <summary>No padding: out = ⌊(in − k) / stride⌋ + 1.</summary>
    public static Padding Valid => new(PaddingKind.Valid, 0, 0, 0, 0);

    /// <summary>TensorFlow/flax SAME padding: out = ⌈in / stride⌉ (see the type remarks).</summary>
    public static Padding Same => new(PaddingKind.Same, 0, 0, 0, 0);

    /// <summary>Fixed pads, possibly asymmetric.</summary>
    /// <exception cref="ArgumentException">A pad is negative.</exception>
    public static Padding Explicit(int top, int bottom, int left, int right)
    {
        if (top < 0 || bottom < 0 || left < 0 || right < 0)
        {
            ThrowHelper.Argument($"Padding.Explicit: pads must be >= 0, got top {top}, bottom {bottom}, left {left}, " +
                                 $"right {right}.");
        }
        return new Padding(PaddingKind.Explicit, top, bottom, left, right);
    }

    /// <summary>The same pad on all four sides (PyTorch's <c>padding=p</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="pad"/> is negative.</exception>
    public static Padding Symmetric(int pad) => Explicit(pad, pad, pad, pad);

    /// <summary>
    /// Resolves the pads and output size along one spatial axis (<paramref name="vertical"/>: rows, using
    /// Top/Bottom; otherwise columns, using Left/Right).
    /// </summary>
    /// <param name="op">Op name for error messages ("Conv2d", "MaxPool2d").</param>
    /// <param name="input">Input size along the axis.</param>
    /// <param name="kernel">Kernel (window) size along the axis.</param>
    /// <param name="stride">Stride along the axis.</param>
    /// <param name="vertical">True for the height axis, false for the width axis.</param>
    /// <returns>The pad before, the pad after and the output size.</returns>
    /// <exception cref="ArgumentException">
    /// A size is not positive, the stride is below 1, or the kernel is larger than the padded input.
    /// </exception>
    public (int Before, int After, int Output) Resolve(string op, int input, int kernel, int stride, bool vertical)
    {
        string axis = vertical ? "height" : "width";
        if (input < 1 || kernel < 1)
        {
            ThrowHelper.Argument($"{op}: input {axis} ({input}) and kernel {axis} ({kernel}) must both be >= 1.");
        }
        if (stride < 1)
        {
            ThrowHelper.Argument($"{op}: stride along {axis} must be >= 1, got {stride}.");
        }
        int before, after;
        switch (Kind)
        {
            case PaddingKind.Same:
            {
                int outSame = (input + stride - 1) / stride;
                int total = Math.Max((outSame - 1) * stride + kernel - input, 0);
                before = total / 2;
                after = total - before;
                return (before, after, outSame);
            }
            case PaddingKind.Explicit:
                (before, after) = vertical ? (Top, Bottom) : (Left, Right);
                break;
            default:
                (before, after) = (0, 0);
                break;
        }
        int padded = input + before + after;
        if (kernel > padded)
        {
            ThrowHelper.Argument($"{op}: kernel {axis} {kernel} is larger than the padded input {axis} {padded} " +
                                 $"(input {input} + pads {before}/{after}, padding {this}); use a smaller kernel, " +
                                 "more padding or Padding.Same.");
        }
        return (before, after, (padded - kernel) / stride + 1);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        PaddingKind.Explicit => $"Explicit(top {Top}, bottom {Bottom}, left {Left}, right {Right})",
        _ => Kind.ToString(),
    };
}
