using MoeScratch.Tensors;

namespace MoeScratch.Nn.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) with bias correction exactly as optax.adam and torch.optim.Adam (eps added after the
/// square root). Dopamine's DQN preset: lr 6.25e-5, eps 1.5e-4 (P1 Table 2).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;

    /// <summary>Creates the optimizer.</summary>
    public Adam(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate, float beta1 = 0.9f,
                float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f) : base(parameters)
    {
        if (!(learningRate > 0)) throw new ArgumentException($"Adam: learning rate must be > 0, got {learningRate}.");
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentException($"Adam: betas must be in [0, 1), got {beta1}, {beta2}.");
        if (!(eps > 0)) throw new ArgumentException($"Adam: eps must be > 0, got {eps}.");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _m = Parameters.Select(p => Slot(p.Value)).ToArray();
        _v = Parameters.Select(p => Slot(p.Value)).ToArray();
    }

    /// <summary>Step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; }

    /// <summary>Denominator constant.</summary>
    public float Eps { get; }

    /// <summary>Decoupled weight decay (AdamW); 0 for plain Adam.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor param, Tensor grad)
    {
        float c1 = (float)(1 - Math.Pow(Beta1, StepCount));
        float c2 = (float)(1 - Math.Pow(Beta2, StepCount));
        param.Backend.AdamStep(param, _m[index], _v[index], grad, LearningRate, Beta1, Beta2, Eps, c1, c2, WeightDecay);
    }

    /// <inheritdoc/>
    public override Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < Parameters.Count; i++)
        {
            d["adam.m." + Parameters[i].Key] = _m[i];
            d["adam.v." + Parameters[i].Key] = _v[i];
        }
        return d;
    }
}
