using MoeScratch.Tensors;

namespace MoeScratch.Nn.Layers;

/// <summary>
/// Factorized-Gaussian noisy dense layer (Fortunato et al. 2018; NoisyNetwork): W = μ_W + σ_W ⊙ f(p)f(q)ᵀ,
/// b = μ_b + σ_b ⊙ f(q), f(x) = sign(x)·√|x|, with p ∈ R^in and q ∈ R^out standard normal, resampled on every
/// forward in training mode and zero in evaluation mode. Weights stored [in, out] like <see cref="Linear"/>.
/// </summary>
/// <remarks>
/// The noisy weight is never materialized: x·W = x·μ_W + ((x ⊙ f(p))·σ_W) ⊙ f(q), one extra matmul of the same
/// size as the mean path. One noise sample is shared by the whole batch, as Dopamine's NoisyNetwork.
/// </remarks>
public sealed class NoisyLinear : Layer
{
    private readonly Rng _noiseRng;
    private readonly float[] _p;
    private readonly float[] _q;

    /// <summary>Creates the layer; <paramref name="noiseRng"/> is the layer's own noise stream (checkpointed by the agent).</summary>
    public NoisyLinear(int inFeatures, int outFeatures, Rng initRng, Rng noiseRng)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
        {
            throw new ArgumentException($"NoisyLinear: sizes must be positive, got in={inFeatures}, out={outFeatures}.");
        }
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _noiseRng = noiseRng;
        _p = new float[inFeatures];
        _q = new float[outFeatures];
        WeightMu = RegisterParameter("weight_mu", Init.NoisyMu(new Shape(inFeatures, outFeatures), inFeatures, outFeatures, initRng));
        WeightSigma = RegisterParameter("weight_sigma", Init.NoisySigma(new Shape(inFeatures, outFeatures), inFeatures, outFeatures, initRng));
        BiasMu = RegisterParameter("bias_mu", Init.NoisyMu(new Shape(outFeatures), inFeatures, outFeatures, initRng));
        BiasSigma = RegisterParameter("bias_sigma", Init.NoisySigma(new Shape(outFeatures), inFeatures, outFeatures, initRng));
    }

    /// <summary>Input size.</summary>
    public int InFeatures { get; }

    /// <summary>Output size.</summary>
    public int OutFeatures { get; }

    /// <summary>μ_W [in, out].</summary>
    public Tensor WeightMu { get; }

    /// <summary>σ_W [in, out].</summary>
    public Tensor WeightSigma { get; }

    /// <summary>μ_b [out].</summary>
    public Tensor BiasMu { get; }

    /// <summary>σ_b [out].</summary>
    public Tensor BiasSigma { get; }

    /// <summary>The noise stream (its state belongs in checkpoints for exact resume).</summary>
    public Rng NoiseRng => _noiseRng;

    private static float F(double x) => (float)(Math.Sign(x) * Math.Sqrt(Math.Abs(x)));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 2 || x.Shape[1] != InFeatures)
        {
            throw new ArgumentException($"NoisyLinear: input must be [batch, {InFeatures}], got {x.Shape}.");
        }
        var mean = Ops.Add(Ops.MatMul(x, WeightMu), BiasMu);
        if (!Training) return mean;
        for (int i = 0; i < _p.Length; i++) _p[i] = F(_noiseRng.NextNormal());
        for (int j = 0; j < _q.Length; j++) _q[j] = F(_noiseRng.NextNormal());
        var fp = Tensor.FromArray(_p, new Shape(InFeatures), x.Backend);
        var fq = Tensor.FromArray(_q, new Shape(OutFeatures), x.Backend);
        var noisy = Ops.Mul(Ops.MatMul(Ops.Mul(x, fp), WeightSigma), fq);
        return Ops.Add(Ops.Add(mean, noisy), Ops.Mul(BiasSigma, fq));
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => new(input[0], OutFeatures);
}
