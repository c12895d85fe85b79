using MoeScratch.Tensors;

namespace MoeScratch.Nn.Layers;

/// <summary>
/// Dense layer y = x·W + b over the last axis. x [..., in] → y [..., out].
/// </summary>
/// <remarks>
/// W is stored [in, out] as flax's "kernel" (the papers' code base); PyTorch's nn.Linear stores the transpose
/// [out, in]. Default init xavier_uniform with zero bias, as Dopamine's MoE networks (dopamine networks.py).
/// </remarks>
public sealed class Linear : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inFeatures">Input size.</param>
    /// <param name="outFeatures">Output size.</param>
    /// <param name="rng">Initialization randomness.</param>
    /// <param name="bias">Whether to add a bias (routers use none).</param>
    /// <param name="weightInit">Kernel initializer (default xavier_uniform).</param>
    /// <param name="biasInit">Bias initializer (default zeros).</param>
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true, Initializer? weightInit = null,
                  Initializer? biasInit = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
        {
            throw new ArgumentException($"Linear: sizes must be positive, got in={inFeatures}, out={outFeatures}.");
        }
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", (weightInit ?? Init.XavierUniform)(new Shape(inFeatures, outFeatures), inFeatures, outFeatures, rng));
        if (bias) Bias = RegisterParameter("bias", (biasInit ?? Init.Zeros)(new Shape(outFeatures), inFeatures, outFeatures, rng));
    }

    /// <summary>Input size.</summary>
    public int InFeatures { get; }

    /// <summary>Output size.</summary>
    public int OutFeatures { get; }

    /// <summary>Kernel [in, out].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Forward(x, relu: false);

    /// <summary>ReLU(x·W + b) in one op (<see cref="Ops.MatMulBias"/>: no passes over the output for the bias and
    /// ReLU).</summary>
    public override Tensor ForwardRelu(Tensor x) => Forward(x, relu: true);

    private Tensor Forward(Tensor x, bool relu)
    {
        if (x.Rank == 0 || x.Shape[-1] != InFeatures)
        {
            throw new ArgumentException($"Linear: input {x.Shape} must end in {InFeatures} features.");
        }
        var flat = x.Rank == 2 ? x : x.Reshape(-1, InFeatures);
        var y = Bias is not null ? Ops.MatMulBias(flat, Weight, Bias, relu) : Ops.MatMul(flat, Weight);
        if (Bias is null && relu) y = Ops.Relu(y);
        return x.Rank == 2 ? y : y.Reshape([.. x.Shape.Dims[..^1], OutFeatures]);
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => new([.. input.Dims[..^1], OutFeatures]);
}
