using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// Top-k MoE with hard routing (P1 §4.2; dopamine <c>moe.py</c> + <c>routers.py</c> <c>TopKRouter</c>, after
/// Riquelme et al. 2021). Tokens [B, m, d] → [B, m, d]. Routing groups are single observations: capacity, token
/// dropping and the aux losses never mix observations (dopamine <c>moe.py</c>).
/// </summary>
/// <remarks>
/// <para>Forward, in the numbered steps of dopamine's <c>MoE</c> module (<c>moe.py</c>):</para>
/// <list type="number">
/// <item>Route: logits = X·W_r ("bmd,dn→bmn", Dense without bias, lecun_normal); in training forwards that record
/// gradients optionally plus N(0, (NoiseStd/n)²); probabilities = softmax over experts; top-k per token.</item>
/// <item>Permute under capacity c = ceil(m·cf/n) per expert per observation, on the host (routing is discrete):
/// first choices of all tokens in token-index order, then second choices, …; an expert that is full drops the
/// token (first come first served, not by gate value). Unfilled slots are zero rows.</item>
/// <item>Run the experts on [n, B·c, d] (<see cref="ExpertMlp"/>).</item>
/// <item>Un-permute: gather each kept (token, choice) row back.</item>
/// <item>Scale by the gate probability (not renormalized over the k choices) and sum over choices; a token dropped
/// by all its choices outputs exactly zero. The router learns only through these gates.</item>
/// </list>
/// <para>Parameters: "router.weight" [d, n], "experts.*".</para>
/// </remarks>
public sealed class TopKMoe : MoeLayer
{
    private readonly Rng? _noiseRng;

    /// <summary>Creates the layer.</summary>
    /// <param name="tokenDim">Token size d.</param>
    /// <param name="tokens">Tokens per observation m (fixes the capacity).</param>
    /// <param name="options">Settings.</param>
    /// <param name="rng">Initialization randomness (router first, then experts).</param>
    /// <param name="noiseRng">Noise stream; required for router noise, the load loss and noisy experts.</param>
    /// <exception cref="ArgumentException">A size or option is invalid, or a needed noise stream is missing.</exception>
    public TopKMoe(int tokenDim, int tokens, TopKMoeOptions options, Rng rng, Rng? noiseRng = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (tokenDim <= 0 || tokens <= 0 || options.NumExperts <= 0)
        {
            throw new ArgumentException($"TopKMoe: d, m and NumExperts must be positive, got d={tokenDim}, m={tokens}, " +
                                        $"n={options.NumExperts}.");
        }
        if (options.K < 1 || options.K > options.NumExperts)
        {
            throw new ArgumentException($"TopKMoe: K = {options.K} must be in [1, NumExperts = {options.NumExperts}].");
        }
        if ((options.RouterNoise || options.LoadLoss || options.NoisyExperts) && noiseRng is null)
        {
            throw new ArgumentException("TopKMoe: RouterNoise, LoadLoss and NoisyExperts draw from a noise stream; pass noiseRng.");
        }
        TokenDim = tokenDim;
        Tokens = tokens;
        Options = options;
        NumExperts = options.NumExperts;
        Capacity = SlotLayout.CeilCapacity(tokens, options.CapacityFactor, NumExperts, "TopKMoe");
        _noiseRng = noiseRng;
        Router = RegisterModule("router", new Linear(tokenDim, NumExperts, rng, bias: false, weightInit: Init.LecunNormal));
        Experts = RegisterModule("experts", new ExpertMlp(NumExperts, tokenDim, options.ExpertHidden, rng, options.NoisyExperts, noiseRng));
    }

    /// <summary>Token size d.</summary>
    public int TokenDim { get; }

    /// <summary>Tokens per observation m.</summary>
    public int Tokens { get; }

    /// <summary>The settings.</summary>
    public TopKMoeOptions Options { get; }

    /// <inheritdoc/>
    public override int NumExperts { get; }

    /// <summary>Tokens each expert accepts per observation, ceil(m·cf/n).</summary>
    public int Capacity { get; }

    /// <summary>The router Dense(d → n), no bias.</summary>
    public Linear Router { get; }

    /// <inheritdoc/>
    public override ExpertMlp Experts { get; }

    /// <inheritdoc/>
    public override MoeOutput Forward(Tensor tokens)
    {
        SlotLayout.CheckTokens(tokens, Tokens, TokenDim, "TopKMoe");
        int b = tokens.Shape[0], m = Tokens, d = TokenDim, n = NumExperts, k = Options.K, c = Capacity;

        // 1. Route.
        var logits = Router.Forward(tokens); // [B, m, n]
        var routed = logits;
        if (Options.RouterNoise && DrawsNoise)
        {
            routed = Ops.Add(logits, Tensor.Normal(logits.Shape, 0f, Options.NoiseStd / n, _noiseRng!, logits.Backend));
        }
        var probs = Ops.Softmax(routed, 2);
        var (gates, choice) = Ops.TopK(probs, k, 2); // [B, m, k] each; gates differentiable

        // 2. Permute under capacity (host index build).
        var plan = CapacityPlan.Build(choice.ToArray(), b, m, n, k, c);
        var backend = tokens.Backend;
        var flat = tokens.Reshape(b * m, d);
        var expertIn = Ops.IndexSelect(flat, 0, Tensor.FromArray(plan.SlotToken, backend));   // [n·B·c, d]
        expertIn = Ops.Mul(expertIn, Tensor.FromArray(plan.SlotFilled, new Shape(n * b * c, 1), backend));

        // 3. Run the experts.
        var (expertOut, hidden) = Experts.ForwardDeferred(expertIn.Reshape(n, b * c, d));

        // 4. Un-permute: row (token, choice) ← its slot (dropped ones point at slot 0 and get weight 0 below).
        var back = Ops.IndexSelect(expertOut.Reshape(n * b * c, d), 0, Tensor.FromArray(plan.ChoiceSlot, backend));

        // 5. Scale by the gates of kept choices and sum over the k choices: "bmk,bmkd→bmd".
        var weight = Ops.Mul(gates, Tensor.FromArray(plan.ChoiceKept, gates.Shape, backend));
        var y = Ops.Mul(back.Reshape(b, m, k, d), weight.Reshape(b, m, k, 1));
        y = k == 1 ? y.Reshape(b, m, d) : Ops.Sum(y, [2]);

        Tensor top;
        using (Tensor.NoGrad()) top = Ops.Slice(choice, 2, 0, 1).Reshape(b, m);
        return MoeOutput.WithDeferredHidden(y, probs, top, hidden, AuxLoss(logits, probs, top));
    }

    /// <summary>
    /// Router and load-loss noise are drawn only on training forwards that record gradients (the ones whose loss is
    /// minimised), so acting and target passes, which run under <see cref="Tensor.NoGrad"/>, leave the noise stream
    /// where it was and route on clean logits.
    /// </summary>
    private bool DrawsNoise => Training && Tensors.Autograd.GradMode.IsEnabled;

    /// <summary>
    /// Σ weight·loss over the enabled auxiliary losses (P1 Fig. 9), or null when none is enabled (the released default). The load loss
    /// needs noise, so it is left out of forwards that draw none (they train nothing).
    /// </summary>
    private Tensor? AuxLoss(Tensor logits, Tensor probs, Tensor top)
    {
        Tensor? total = null;
        void Add(Tensor term) => total = total is null ? term : Ops.Add(total, term);
        if (Options.ImportanceLoss) Add(Ops.Scale(MoeAuxLosses.ImportanceLoss(probs), Options.ImportanceWeight));
        if (Options.LoadLoss && DrawsNoise)
        {
            float sigma = Options.LoadNoiseStd / NumExperts;
            var noisy = Ops.Add(logits, Tensor.Normal(logits.Shape, 0f, sigma, _noiseRng!, logits.Backend));
            Add(Ops.Scale(MoeAuxLosses.LoadLoss(logits, noisy, sigma, Options.K), Options.LoadWeight));
        }
        if (Options.EntropyLoss) Add(Ops.Scale(MoeAuxLosses.EntropyLoss(top, NumExperts), Options.EntropyWeight));
        return total;
    }
}
