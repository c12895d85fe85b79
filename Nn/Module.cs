using MoeScratch.Tensors;

namespace MoeScratch.Nn;

/// <summary>
/// Base of every network piece: parameters and submodules are registered explicitly by name in the constructor,
/// which gives stable dotted checkpoint keys ("encoder.conv1.weight") with no reflection rules.
/// </summary>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = [];
    private readonly List<KeyValuePair<string, Module>> _modules = [];
    private readonly List<KeyValuePair<string, Tensor>> _buffers = [];

    /// <summary>True in training mode (noise on in noisy layers); see <see cref="Train"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Registers a trainable parameter; it is marked RequiresGrad and kept out of any TensorScope.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains '.', or is already used.</exception>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        TensorScope.Persist(value);
        value.RequiresGrad = true;
        value.Name ??= name;
        _parameters.Add(new(name, value));
        return value;
    }

    /// <summary>
    /// Registers a non-trainable tensor that belongs in checkpoints (e.g. a fixed token permutation).
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        TensorScope.Persist(value);
        _buffers.Add(new(name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _modules.Add(new(name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{GetType().Name}: parameter/module name '{name}' must be non-empty and contain no '.'.");
        }
        if (_parameters.Any(p => p.Key == name) || _modules.Any(m => m.Key == name) || _buffers.Any(b => b.Key == name))
        {
            throw new ArgumentException($"{GetType().Name}: the name '{name}' is registered twice.");
        }
    }

    /// <summary>All parameters with dotted names, depth-first in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix = "")
    {
        foreach (var p in _parameters) yield return new(prefix + p.Key, p.Value);
        foreach (var m in _modules)
        {
            foreach (var p in m.Value.NamedParameters(prefix + m.Key + ".")) yield return p;
        }
    }

    /// <summary>All registered buffers with dotted names.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix = "")
    {
        foreach (var b in _buffers) yield return new(prefix + b.Key, b.Value);
        foreach (var m in _modules)
        {
            foreach (var b in m.Value.NamedBuffers(prefix + m.Key + ".")) yield return b;
        }
    }

    /// <summary>The direct children with their names.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => _modules;

    /// <summary>All parameters.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Total number of trainable scalars.</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Count);

    /// <summary>Switches this module and all children to training (true) or evaluation (false) mode.</summary>
    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var m in _modules) m.Value.Train(training);
        return this;
    }

    /// <summary>Evaluation mode (noise off).</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient to zero (kept allocated for reuse).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>Moves every parameter and buffer to <paramref name="backend"/> in place.</summary>
    public Module MoveTo(IBackend backend)
    {
        foreach (var p in Parameters()) p.MoveTo(backend);
        foreach (var b in NamedBuffers()) b.Value.MoveTo(backend);
        return this;
    }

    /// <summary>Parameters and buffers by dotted name (the checkpoint's content).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var p in NamedParameters()) d.Add(p.Key, p.Value);
        foreach (var b in NamedBuffers()) d.Add(b.Key, b.Value);
        return d;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's tensors. Every name must be present
    /// with the same shape; the first mismatch is reported by name.
    /// </summary>
    /// <exception cref="ArgumentException">A name is missing or unexpected, or a shape differs.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        var own = StateDict();
        foreach (var (name, t) in own)
        {
            if (!state.TryGetValue(name, out var src))
            {
                throw new ArgumentException($"LoadStateDict: '{name}' {t.Shape} is missing from the checkpoint " +
                    $"({state.Count} entries; e.g. {string.Join(", ", state.Keys.Take(3))}).");
            }
            if (src.Shape != t.Shape)
            {
                throw new ArgumentException($"LoadStateDict: '{name}' has shape {src.Shape} in the checkpoint but {t.Shape} in the model.");
            }
        }
        foreach (var name in state.Keys)
        {
            if (!own.ContainsKey(name))
            {
                throw new ArgumentException($"LoadStateDict: the checkpoint has '{name}', which this model does not.");
            }
        }
        foreach (var (name, t) in own)
        {
            var src = state[name];
            if (ReferenceEquals(src.Backend, t.Backend)) t.Backend.Copy(t, src);
            else t.Backend.Upload(t.Storage, src.ToArray());
        }
    }

    /// <summary>Copies this module's parameters and buffers into <paramref name="target"/> (target networks).</summary>
    public void CopyWeightsInto(Module target) => target.LoadStateDict(StateDict());
}

/// <summary>A module mapping one tensor to one tensor.</summary>
public abstract class Layer : Module
{
    /// <summary>Runs the layer.</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>Output shape for an input shape (batch dimension included), computed without running.</summary>
    public abstract Shape OutputShape(Shape input);

    /// <summary>
    /// ReLU(Forward(x)); layers whose op can fuse the ReLU (<see cref="Layers.Conv2d"/>) override it with the fused op.
    /// </summary>
    public virtual Tensor ForwardRelu(Tensor x) => Ops.Relu(Forward(x));
}
