using MoeScratch.Tensors;

namespace MoeScratch.Nn.Layers;

/// <summary>max(x, 0) element-wise.</summary>
public sealed class Relu : Layer
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Relu(x);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;
}

/// <summary>Flattens all but the batch axis: [B, ...] → [B, Π...] (row-major, as flax's reshape).</summary>
public sealed class Flatten : Layer
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => x.Flatten(1);

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => new(input[0], input.Count / Math.Max(1, input[0]));
}

/// <summary>Runs layers in order; children are named "0", "1", … as PyTorch's Sequential.</summary>
public sealed class Sequential : Layer
{
    private readonly Layer[] _layers;

    /// <summary>Creates the sequence.</summary>
    public Sequential(params Layer[] layers)
    {
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    /// <summary>The layers.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        foreach (var l in _layers) x = l.Forward(x);
        return x;
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input)
    {
        foreach (var l in _layers) input = l.OutputShape(input);
        return input;
    }
}

/// <summary>
/// Layer normalization over the last axis with learned scale ("scale", init 1) and bias ("bias", init 0), eps 1e-6
/// as flax's LayerNorm.
/// </summary>
public sealed class LayerNorm : Layer
{
    private readonly float _eps;

    /// <summary>Creates the layer for <paramref name="features"/> channels.</summary>
    public LayerNorm(int features, float eps = 1e-6f)
    {
        _eps = eps;
        Scale = RegisterParameter("scale", Tensor.Ones(new Shape(features)));
        Bias = RegisterParameter("bias", Tensor.Zeros(new Shape(features)));
    }

    /// <summary>Learned scale.</summary>
    public Tensor Scale { get; }

    /// <summary>Learned bias.</summary>
    public Tensor Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var mean = Ops.Mean(x, [-1], keepDims: true);
        var centered = Ops.Sub(x, mean);
        var variance = Ops.Mean(Ops.Square(centered), [-1], keepDims: true);
        var normed = Ops.Mul(centered, Ops.Reciprocal(Ops.Sqrt(Ops.AddScalar(variance, _eps))));
        return Ops.Add(Ops.Mul(normed, Scale), Bias);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => input;
}
