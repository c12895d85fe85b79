using MoeScratch.Tensors;

namespace MoeScratch.Nn.Optim;

/// <summary>
/// Base of the optimizers: holds the parameter list and per-parameter state tensors (named for checkpoints),
/// and the step counter. Updates run as one fused backend kernel per parameter.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Creates an optimizer over named parameters (names become state keys).</summary>
    protected Optimizer(IEnumerable<KeyValuePair<string, Tensor>> parameters)
    {
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0) throw new ArgumentException($"{GetType().Name}: no parameters to optimize.");
    }

    /// <summary>The parameters with their dotted names.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Parameters { get; }

    /// <summary>Number of steps taken (Adam's t).</summary>
    public long StepCount { get; protected set; }

    /// <summary>Applies one update using the parameters' current gradients (parameters without a gradient are skipped).</summary>
    public void Step()
    {
        StepCount++;
        using var noGrad = Tensor.NoGrad();
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i].Value;
            if (p.Grad is null) continue;
            Update(i, p, p.Grad);
        }
    }

    /// <summary>Updates parameter <paramref name="index"/>.</summary>
    protected abstract void Update(int index, Tensor param, Tensor grad);

    /// <summary>Zeroes every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in Parameters) p.ZeroGrad();
    }

    /// <summary>A state slot shaped like the parameter, zero-initialised, on its backend.</summary>
    protected static Tensor Slot(Tensor like) => TensorScope.Persist(Tensor.Zeros(like.Shape, like.Backend));

    /// <summary>Optimizer state by name ("adam.m.encoder.conv1.weight", …) for checkpoints.</summary>
    public abstract Dictionary<string, Tensor> StateDict();

    /// <summary>Restores state saved by <see cref="StateDict"/> and the step count.</summary>
    /// <exception cref="ArgumentException">A slot is missing or has the wrong shape (named).</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        var own = StateDict();
        foreach (var (name, t) in own)
        {
            if (!state.TryGetValue(name, out var src))
            {
                throw new ArgumentException($"{GetType().Name}.LoadStateDict: optimizer slot '{name}' is missing.");
            }
            if (src.Shape != t.Shape)
            {
                throw new ArgumentException($"{GetType().Name}.LoadStateDict: '{name}' is {src.Shape}, expected {t.Shape}.");
            }
            t.Backend.Upload(t.Storage, src.ToArray());
        }
        StepCount = stepCount;
    }

    /// <summary>
    /// Scales all gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm
    /// before clipping (as optax.clip_by_global_norm / torch.nn.utils.clip_grad_norm_).
    /// </summary>
    public float ClipGradNorm(float maxNorm)
    {
        using var noGrad = Tensor.NoGrad();
        double sq = 0;
        foreach (var (_, p) in Parameters)
        {
            if (p.Grad is null) continue;
            using var s = Ops.Sum(Ops.Square(p.Grad));
            sq += s.Item();
        }
        float norm = (float)Math.Sqrt(sq);
        if (norm > maxNorm && norm > 0)
        {
            float scale = maxNorm / norm;
            foreach (var (_, p) in Parameters)
            {
                if (p.Grad is { } g) g.Backend.Unary(UnaryOp.Scale, scale, g, g);
            }
        }
        return norm;
    }
}
