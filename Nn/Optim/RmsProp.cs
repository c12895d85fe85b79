using MoeScratch.Tensors;

namespace MoeScratch.Nn.Optim;

/// <summary>
/// RMSProp, optionally centered and with momentum. The original DQN (Mnih et al. 2015) as ported by Dopamine's
/// TF agent used centered RMSProp with decay 0.95, eps 1e-5 inside the square root (TensorFlow's form), lr 2.5e-4.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private readonly Tensor[] _v;
    private readonly Tensor?[] _avg;
    private readonly Tensor?[] _mom;

    /// <summary>Creates the optimizer.</summary>
    public RmsProp(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate, float rho = 0.95f,
                   float eps = 1e-5f, float momentum = 0f, bool centered = true, bool epsInsideSqrt = true) : base(parameters)
    {
        if (!(learningRate > 0)) throw new ArgumentException($"RmsProp: learning rate must be > 0, got {learningRate}.");
        if (rho is < 0 or >= 1) throw new ArgumentException($"RmsProp: rho must be in [0, 1), got {rho}.");
        LearningRate = learningRate;
        Rho = rho;
        Eps = eps;
        Momentum = momentum;
        Centered = centered;
        EpsInsideSqrt = epsInsideSqrt;
        _v = Parameters.Select(p => Slot(p.Value)).ToArray();
        _avg = Parameters.Select(p => centered ? Slot(p.Value) : null).ToArray();
        _mom = Parameters.Select(p => momentum != 0 ? Slot(p.Value) : null).ToArray();
    }

    /// <summary>Step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>Decay of the squared-gradient average.</summary>
    public float Rho { get; }

    /// <summary>Denominator constant.</summary>
    public float Eps { get; }

    /// <summary>Momentum coefficient.</summary>
    public float Momentum { get; }

    /// <summary>Whether the mean gradient is subtracted (Graves 2013).</summary>
    public bool Centered { get; }

    /// <summary>TensorFlow's √(v + eps) (true) or PyTorch's √v + eps (false).</summary>
    public bool EpsInsideSqrt { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor param, Tensor grad) =>
        param.Backend.RmsPropStep(param, _v[index], _avg[index], _mom[index], grad, LearningRate, Rho, Eps, Momentum, EpsInsideSqrt);

    /// <inheritdoc/>
    public override Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < Parameters.Count; i++)
        {
            d["rmsprop.v." + Parameters[i].Key] = _v[i];
            if (_avg[i] is { } a) d["rmsprop.avg." + Parameters[i].Key] = a;
            if (_mom[i] is { } m) d["rmsprop.mom." + Parameters[i].Key] = m;
        }
        return d;
    }
}
