using MoeScratch.Tensors;

namespace MoeScratch.Nn;

/// <summary>Fills a new parameter of <c>shape</c> with the given fan-in/fan-out, drawing from the Rng.</summary>
public delegate Tensor Initializer(Shape shape, int fanIn, int fanOut, Rng rng);

/// <summary>
/// Parameter initializers (dopamine networks.py). Fans follow flax's variance-scaling convention: for a kernel the
/// last axis is fan-out, the second to last fan-in, earlier axes the receptive field (multiplied into both).
/// </summary>
public static class Init
{
    /// <summary>Glorot/Xavier uniform: U(±√(6/(fan_in+fan_out))) — Dense and Conv kernels in the MoE networks.</summary>
    public static Tensor XavierUniform(Shape shape, int fanIn, int fanOut, Rng rng)
    {
        float bound = MathF.Sqrt(6f / (fanIn + fanOut));
        return Tensor.Uniform(shape, -bound, bound, rng);
    }

    /// <summary>
    /// LeCun normal as flax: truncated normal on ±2σ with σ = √(1/fan_in)/0.87962566, the divisor correcting
    /// the variance lost to truncation (flax variance_scaling, "truncated_normal").
    /// </summary>
    public static Tensor LecunNormal(Shape shape, int fanIn, int fanOut, Rng rng)
    {
        float std = MathF.Sqrt(1f / fanIn) / 0.87962566103423978f;
        return Tensor.TruncatedNormal(shape, 0f, std, rng);
    }

    /// <summary>Zeros (flax's default bias init).</summary>
    public static Tensor Zeros(Shape shape, int fanIn, int fanOut, Rng rng) => Tensor.Zeros(shape);

    /// <summary>
    /// PyTorch's nn.Linear / nn.Conv2d default for both weight and bias: U(±1/√fan_in)
    /// (kaiming_uniform with a = √5 reduces to this bound).
    /// </summary>
    public static Tensor TorchDefault(Shape shape, int fanIn, int fanOut, Rng rng)
    {
        float bound = 1f / MathF.Sqrt(fanIn);
        return Tensor.Uniform(shape, -bound, bound, rng);
    }

    /// <summary>
    /// Variance scaling with a uniform distribution on fan_in: U(±√(3·scale/fan_in)). Dopamine's JAX
    /// RainbowNetwork uses scale = 1/√3 (dopamine jax/networks.py).
    /// </summary>
    public static Initializer VarianceScalingUniform(float scale) => (shape, fanIn, _, rng) =>
    {
        float bound = MathF.Sqrt(3f * scale / fanIn);
        return Tensor.Uniform(shape, -bound, bound, rng);
    };

    /// <summary>Noisy-net μ init: U(±1/√fan_in) (Fortunato et al. 2018).</summary>
    public static Tensor NoisyMu(Shape shape, int fanIn, int fanOut, Rng rng) => TorchDefault(shape, fanIn, fanOut, rng);

    /// <summary>Noisy-net σ init: constant 0.1/√fan_in for weights and biases (dopamine NoisyNetwork).</summary>
    public static Tensor NoisySigma(Shape shape, int fanIn, int fanOut, Rng rng) => Tensor.Full(shape, 0.1f / MathF.Sqrt(fanIn));
}
