using MoeScratch.Tensors;

namespace MoeScratch.Nn.Encoders;

/// <summary>
/// Passes the observation through unchanged. Used where the torso holds its own encoders (the "Big" expert
/// variant, P1 §5.3, where dopamine skips the main encoder); no parameters, no copy.
/// </summary>
public sealed class IdentityEncoder : Layer
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x;

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;
}
