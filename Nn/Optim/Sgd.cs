using MoeScratch.Tensors;

namespace MoeScratch.Nn.Optim;

/// <summary>Stochastic gradient descent with PyTorch-style momentum (buf ← μ·buf + g; p ← p − lr·buf).</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] _buf;

    /// <summary>Creates the optimizer.</summary>
    public Sgd(IEnumerable<KeyValuePair<string, Tensor>> parameters, float learningRate, float momentum = 0f) : base(parameters)
    {
        if (!(learningRate > 0)) throw new ArgumentException($"Sgd: learning rate must be > 0, got {learningRate}.");
        if (momentum is < 0 or >= 1) throw new ArgumentException($"Sgd: momentum must be in [0, 1), got {momentum}.");
        LearningRate = learningRate;
        Momentum = momentum;
        _buf = Parameters.Select(p => momentum != 0 ? Slot(p.Value) : null).ToArray();
    }

    /// <summary>Step size.</summary>
    public float LearningRate { get; set; }

    /// <summary>Momentum coefficient.</summary>
    public float Momentum { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor param, Tensor grad) =>
        param.Backend.SgdStep(param, _buf[index], grad, LearningRate, Momentum);

    /// <inheritdoc/>
    public override Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (_buf[i] is { } b) d["sgd.momentum." + Parameters[i].Key] = b;
        }
        return d;
    }
}
