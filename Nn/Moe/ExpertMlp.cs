using MoeScratch.Tensors;
using MoeScratch.Tensors.Autograd;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// n expert MLPs run together as batched matmuls (P1 §3, dopamine <c>ExpertModel</c>): per expert e,
/// h = ReLU(x·W1[e] + b1[e]) and y = h·W2[e] + b2[e], with no activation after the second layer. Input
/// [n, T, d] (T tokens or slots per expert) → output [n, T, d] and post-ReLU hidden [n, T, h].
/// </summary>
/// <remarks>
/// <para>
/// Layout: "fc1.weight" [n, d, h], "fc1.bias" [n, h], "fc2.weight" [n, h, d], "fc2.bias" [n, d]. Slice e of each is
/// exactly the [in, out] kernel / [out] bias of an independent <see cref="Layers.Linear"/>, so the stack equals n
/// separate Dense layers (flax <c>nn.vmap</c> over experts with separate parameters, softmoe.py).
/// Init: xavier_uniform per expert with the fans of one expert's matrix (fan_in = d, fan_out = h for fc1), biases
/// zero (dopamine networks.py).
/// </para>
/// <para>
/// Noisy variant (Full Rainbow, NoisyNetwork): fc1 becomes a factorized-Gaussian noisy layer per expert, parameters
/// "fc1.weight_mu"/"fc1.weight_sigma" [n, d, h] and "fc1.bias_mu"/"fc1.bias_sigma" [n, h], μ ~ U(±1/√d),
/// σ = 0.1/√d. One noise sample (p ∈ R^d, q ∈ R^h) per expert per forward, shared by the expert's tokens and the
/// batch like <see cref="Layers.NoisyLinear"/>; no noise in evaluation mode (<see cref="Module.Training"/> false).
/// </para>
/// <para>
/// Expert reset / Shrink &amp; Perturb (P2): <see cref="Reinitialize"/> overwrites the parameters in place with a fresh
/// draw of the original init (tensor identities are kept, so optimizers stay attached); <see cref="FreshInit"/>
/// returns such a draw without touching the parameters; <see cref="ReinitializeExpert"/> resets a single expert and
/// <see cref="ShrinkPerturb"/> applies θ ← λθ + σθ₀.
/// </para>
/// </remarks>
public sealed class ExpertMlp : Module
{
    private readonly Rng? _noiseRng;
    private readonly float[] _p = [];
    private readonly float[] _q = [];
    private readonly Dictionary<string, Tensor> _params = new(StringComparer.Ordinal);

    /// <summary>Creates the experts.</summary>
    /// <param name="numExperts">n.</param>
    /// <param name="tokenDim">Token size d (input and output).</param>
    /// <param name="hidden">Hidden width h (512 in P1).</param>
    /// <param name="rng">Initialization randomness.</param>
    /// <param name="noisy">Noisy first layer (NoisyNetwork).</param>
    /// <param name="noiseRng">Noise stream, required when <paramref name="noisy"/>.</param>
    /// <exception cref="ArgumentException">A size is not positive, or noisy without a noise stream.</exception>
    public ExpertMlp(int numExperts, int tokenDim, int hidden, Rng rng, bool noisy = false, Rng? noiseRng = null)
    {
        if (numExperts <= 0 || tokenDim <= 0 || hidden <= 0)
        {
            throw new ArgumentException($"ExpertMlp: sizes must be positive, got n={numExperts}, d={tokenDim}, h={hidden}.");
        }
        if (noisy && noiseRng is null)
        {
            throw new ArgumentException("ExpertMlp: noisy experts need a noise Rng stream; pass noiseRng.");
        }
        NumExperts = numExperts;
        TokenDim = tokenDim;
        Hidden = hidden;
        Noisy = noisy;
        _noiseRng = noiseRng;
        if (noisy)
        {
            _p = new float[numExperts * tokenDim];
            _q = new float[numExperts * hidden];
        }
        var fc1 = RegisterModule("fc1", new ParameterGroup());
        var fc2 = RegisterModule("fc2", new ParameterGroup());
        foreach (var (name, value) in FreshInit(rng))
        {
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            _params[name] = (name.StartsWith("fc1", StringComparison.Ordinal) ? fc1 : fc2).Add(name[(dot + 1)..], value);
        }
    }

    /// <summary>Number of experts n.</summary>
    public int NumExperts { get; }

    /// <summary>Token size d.</summary>
    public int TokenDim { get; }

    /// <summary>Hidden width h.</summary>
    public int Hidden { get; }

    /// <summary>Whether the first layer is noisy.</summary>
    public bool Noisy { get; }

    /// <summary>The noise stream (its state belongs in checkpoints), or null.</summary>
    public Rng? NoiseRng => _noiseRng;

    /// <summary>
    /// Parameter by its logical name ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", or for noisy experts
    /// "fc1.weight_mu", "fc1.weight_sigma", "fc1.bias_mu", "fc1.bias_sigma").
    /// </summary>
    /// <exception cref="ArgumentException">No such parameter.</exception>
    public Tensor this[string name] => _params.TryGetValue(name, out var t) ? t
        : throw new ArgumentException($"ExpertMlp: no parameter '{name}'; have {string.Join(", ", _params.Keys)}.");

    /// <summary>
    /// A fresh draw of every parameter from the original initializers, keyed by logical name (see the indexer),
    /// in registration order. The module's parameters are not touched.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> FreshInit(Rng rng)
    {
        int n = NumExperts, d = TokenDim, h = Hidden;
        var list = new List<KeyValuePair<string, Tensor>>();
        if (Noisy)
        {
            list.Add(new("fc1.weight_mu", Init.NoisyMu(new Shape(n, d, h), d, h, rng)));
            list.Add(new("fc1.weight_sigma", Init.NoisySigma(new Shape(n, d, h), d, h, rng)));
            list.Add(new("fc1.bias_mu", Init.NoisyMu(new Shape(n, h), d, h, rng)));
            list.Add(new("fc1.bias_sigma", Init.NoisySigma(new Shape(n, h), d, h, rng)));
        }
        else
        {
            list.Add(new("fc1.weight", Init.XavierUniform(new Shape(n, d, h), d, h, rng)));
            list.Add(new("fc1.bias", Init.Zeros(new Shape(n, h), d, h, rng)));
        }
        list.Add(new("fc2.weight", Init.XavierUniform(new Shape(n, h, d), h, d, rng)));
        list.Add(new("fc2.bias", Init.Zeros(new Shape(n, d), h, d, rng)));
        return list;
    }

    /// <summary>
    /// Expert reset (P2): overwrites every expert parameter in place with a fresh draw of its initializer. The
    /// tensors keep their identity (optimizer state keyed on them stays attached; reset that state separately).
    /// </summary>
    public void Reinitialize(Rng rng)
    {
        foreach (var (name, fresh) in FreshInit(rng))
        {
            var t = _params[name];
            if (ReferenceEquals(t.Backend, fresh.Backend)) t.Backend.Copy(t, fresh);
            else t.Backend.Upload(t.Storage, fresh.ToArray());
        }
    }

    /// <summary>
    /// Resets one expert (slice <paramref name="expert"/> of every stacked parameter) to a fresh draw of its
    /// initializer, leaving the other experts untouched.
    /// </summary>
    /// <exception cref="ArgumentException">The expert index is out of range.</exception>
    public void ReinitializeExpert(int expert, Rng rng)
    {
        if (expert < 0 || expert >= NumExperts)
        {
            throw new ArgumentException($"ExpertMlp.ReinitializeExpert: expert {expert} is outside [0, {NumExperts}).");
        }
        foreach (var (name, fresh) in FreshInit(rng))
        {
            var t = _params[name];
            int per = t.Count / NumExperts;
            var data = t.ToArray();
            Array.Copy(fresh.ToArray(), expert * per, data, expert * per, per);
            t.Backend.Upload(t.Storage, data);
        }
    }

    /// <summary>
    /// Shrink &amp; Perturb (Ash &amp; Adams 2020; P2's expert variant): θ ← shrink·θ + perturb·θ₀ for every expert
    /// parameter, θ₀ a fresh draw of its initializer. P2 publishes no factors; Ash &amp; Adams use
    /// shrink 0.4–0.6 with perturb 0.01–0.1. In place, tensor identities kept.
    /// </summary>
    public void ShrinkPerturb(float shrink, float perturb, Rng rng)
    {
        foreach (var (name, fresh) in FreshInit(rng))
        {
            var t = _params[name];
            var data = t.ToArray();
            var noise = fresh.ToArray();
            for (int i = 0; i < data.Length; i++) data[i] = shrink * data[i] + perturb * noise[i];
            t.Backend.Upload(t.Storage, data);
        }
    }

    /// <summary>Runs all experts: x [n, T, d] → (output [n, T, d], post-ReLU hidden [n, T, h]).</summary>
    /// <exception cref="ArgumentException">x is not [n, T, d].</exception>
    public (Tensor Output, Tensor Hidden) Forward(Tensor x)
    {
        CheckInput(x);
        int n = NumExperts, h = Hidden;
        Tensor pre;
        if (!Noisy)
        {
            // ReLU("ntd,ndh→nth" + b1[n, 1, h]) in one op: the bias and ReLU run on the product's tiles as they finish
            pre = Ops.MatMulBias(x, _params["fc1.weight"], _params["fc1.bias"], relu: true);
        }
        else
        {
            pre = Ops.Add(Ops.MatMul(x, _params["fc1.weight_mu"]), _params["fc1.bias_mu"].Reshape(n, 1, h));
            if (Training) pre = Ops.Add(pre, NoisyTerm(x));
        }
        var hidden = Noisy ? Ops.Relu(pre) : pre;
        // "nth,nhd→ntd" + b2[n, 1, d]; no activation after the projection back to d (P1 §3).
        var y = Ops.MatMulBias(hidden, _params["fc2.weight"], _params["fc2.bias"]);
        return (y, hidden);
    }

    /// <summary>
    /// Runs all experts as <see cref="Forward"/>, but gives the hidden as a function that makes it on demand. Experts
    /// that are not noisy run the fused <see cref="Ops.Mlp"/>, whose forward and backward make the [n, T, h] hidden in
    /// blocks of rows that stay in cache and never store it whole; the hidden function then recomputes
    /// relu(x·W1 + b1) from this call's input and the weights as they are when it is called. Noisy experts run
    /// <see cref="Forward"/>, and the hidden is the one the output was made from.
    /// </summary>
    /// <exception cref="ArgumentException">x is not [n, T, d].</exception>
    public (Tensor Output, Func<Tensor> Hidden) ForwardDeferred(Tensor x)
    {
        if (Noisy)
        {
            var (y, hidden) = Forward(x);
            return (y, () => hidden);
        }
        CheckInput(x);
        Tensor w1 = _params["fc1.weight"], b1 = _params["fc1.bias"];
        var output = Ops.Mlp(x, w1, b1, _params["fc2.weight"], _params["fc2.bias"]);
        return (output, () => Ops.MatMulBias(x, w1, b1, relu: true));
    }

    private void CheckInput(Tensor x)
    {
        if (x.Rank != 3 || x.Shape[0] != NumExperts || x.Shape[2] != TokenDim)
        {
            throw new ArgumentException($"ExpertMlp: input must be [{NumExperts}, T, {TokenDim}] (experts, tokens, d), " +
                                        $"got {x.Shape}.");
        }
    }

    private static float F(double v) => (float)(Math.Sign(v) * Math.Sqrt(Math.Abs(v)));

    /// <summary>
    /// x·(σ_W ⊙ f(p)f(q)ᵀ) + σ_b ⊙ f(q) per expert, computed as ((x ⊙ f(p))·σ_W) ⊙ f(q) without materializing the
    /// noisy weight (as <see cref="Layers.NoisyLinear"/>). Noise is drawn expert by expert: p then q.
    /// </summary>
    private Tensor NoisyTerm(Tensor x)
    {
        int n = NumExperts, d = TokenDim, h = Hidden;
        var rng = _noiseRng!;
        for (int e = 0; e < n; e++)
        {
            for (int i = 0; i < d; i++) _p[e * d + i] = F(rng.NextNormal());
            for (int j = 0; j < h; j++) _q[e * h + j] = F(rng.NextNormal());
        }
        var fp = Tensor.FromArray(_p, new Shape(n, 1, d), x.Backend);
        var fq = Tensor.FromArray(_q, new Shape(n, 1, h), x.Backend);
        var w = Ops.Mul(Ops.MatMul(Ops.Mul(x, fp), _params["fc1.weight_sigma"]), fq);
        return Ops.Add(w, Ops.Mul(_params["fc1.bias_sigma"].Reshape(n, 1, h), fq));
    }

    /// <summary>Holds one layer's stacked parameters so checkpoint keys read "fc1.weight" (Module names have no dots).</summary>
    private sealed class ParameterGroup : Module
    {
        public Tensor Add(string name, Tensor value) => RegisterParameter(name, value);
    }
}
