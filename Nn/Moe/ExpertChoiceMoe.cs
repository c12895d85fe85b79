using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// Expert Choice routing (Zhou et al. 2022, "Mixture-of-Experts with Expert Choice Routing", arXiv 2202.09368), the
/// hard-routing baseline of P2 (P2 Fig. 8; P2 released no code). Tokens [B, m, d] → [B, m, d].
/// </summary>
/// <remarks>
/// <para>Forward:</para>
/// <list type="number">
/// <item>Route: scores S = softmax over experts of X·W_r ("bmd,dn→bmn"; Dense without bias, lecun_normal as the
/// Top-k router, routers.py).</item>
/// <item>Choose: within one observation, expert e takes the p tokens with the largest S[·, e] (ties: lower token
/// index first). p = <see cref="ExpertChoiceOptions.Capacity"/> or ceil(m·cf/n). A token may be taken by several
/// experts or by none.</item>
/// <item>Dispatch: with the one-hot D [B, m, n·p] (D[t, e·p + j] = 1 when token t is expert e's j-th pick) the slot
/// inputs are Dᵀ·X — the Soft MoE slot pipeline with a discrete dispatch — computed as a row gather.</item>
/// <item>Run the experts on [n, B·p, d].</item>
/// <item>Combine: C = D ⊙ S (each pick weighted by its gate score S[t, e]), output C·Ỹ; a token's output is the sum
/// over the experts that picked it, zero if none did. There is no combine softmax. The router learns through
/// S in C.</item>
/// </list>
/// <para>Parameters: "router.weight" [d, n], "experts.*".</para>
/// </remarks>
public sealed class ExpertChoiceMoe : MoeLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="tokenDim">Token size d.</param>
    /// <param name="tokens">Tokens per observation m.</param>
    /// <param name="options">Settings.</param>
    /// <param name="rng">Initialization randomness (router first, then experts).</param>
    /// <param name="noiseRng">Noise stream, required for noisy experts.</param>
    /// <exception cref="ArgumentException">A size or option is invalid, or a needed noise stream is missing.</exception>
    public ExpertChoiceMoe(int tokenDim, int tokens, ExpertChoiceOptions options, Rng rng, Rng? noiseRng = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (tokenDim <= 0 || tokens <= 0 || options.NumExperts <= 0)
        {
            throw new ArgumentException($"ExpertChoiceMoe: d, m and NumExperts must be positive, got d={tokenDim}, " +
                                        $"m={tokens}, n={options.NumExperts}.");
        }
        if (options.NoisyExperts && noiseRng is null)
        {
            throw new ArgumentException("ExpertChoiceMoe: NoisyExperts draws from a noise stream; pass noiseRng.");
        }
        int p = options.Capacity ?? SlotLayout.CeilCapacity(tokens, options.CapacityFactor, options.NumExperts, "ExpertChoiceMoe");
        if (p < 1 || p > tokens)
        {
            throw new ArgumentException($"ExpertChoiceMoe: capacity p = {p} must be in [1, m = {tokens}] (an expert picks " +
                                        "distinct tokens of one observation); lower Capacity or CapacityFactor.");
        }
        TokenDim = tokenDim;
        Tokens = tokens;
        Options = options;
        NumExperts = options.NumExperts;
        Capacity = p;
        Router = RegisterModule("router", new Linear(tokenDim, NumExperts, rng, bias: false, weightInit: Init.LecunNormal));
        Experts = RegisterModule("experts", new ExpertMlp(NumExperts, tokenDim, options.ExpertHidden, rng, options.NoisyExperts, noiseRng));
    }

    /// <summary>Token size d.</summary>
    public int TokenDim { get; }

    /// <summary>Tokens per observation m.</summary>
    public int Tokens { get; }

    /// <summary>The settings.</summary>
    public ExpertChoiceOptions Options { get; }

    /// <inheritdoc/>
    public override int NumExperts { get; }

    /// <summary>Tokens each expert picks per observation p.</summary>
    public int Capacity { get; }

    /// <summary>The router Dense(d → n), no bias.</summary>
    public Linear Router { get; }

    /// <inheritdoc/>
    public override ExpertMlp Experts { get; }

    /// <inheritdoc/>
    public override MoeOutput Forward(Tensor tokens)
    {
        SlotLayout.CheckTokens(tokens, Tokens, TokenDim, "ExpertChoiceMoe");
        int b = tokens.Shape[0], m = Tokens, n = NumExperts, p = Capacity;

        // 1. Route.
        var scores = Ops.Softmax(Router.Forward(tokens), 2); // [B, m, n]

        // 2. Choose: top-p tokens per expert along the token axis → indices [B, p, n].
        float[] picks;
        using (Tensor.NoGrad()) picks = Ops.TopK(scores.Detach(), p, 1).Indices.ToArray();

        // 3. Dispatch: slot (e, b, j) reads token picks[b, j, e] of observation b, gathered straight into the expert
        //    layout [n, B·p, d] (equivalent to Dᵀ·X with the one-hot D below, without the dense product or a permute).
        var dispatchData = new float[b * m * n * p];
        var slotToken = new float[n * b * p];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < p; j++)
            {
                for (int e = 0; e < n; e++)
                {
                    int t = (int)picks[(i * p + j) * n + e];
                    dispatchData[(i * m + t) * n * p + e * p + j] = 1f;
                    slotToken[(e * b + i) * p + j] = i * m + t;
                }
            }
        }
        var expertIn = Ops.IndexSelect(tokens.Reshape(b * m, TokenDim), 0, Tensor.FromArray(slotToken, tokens.Backend));

        // 4. Experts.
        var (expertOut, hidden) = Experts.ForwardDeferred(expertIn.Reshape(n, b * p, TokenDim));
        var slotOut = SlotLayout.FromExperts(expertOut, b, n, p);

        // 5. Combine C = D ⊙ S broadcast over each expert's p slots: "bms,bsd→bmd".
        var gate = Ops.Expand(scores.Reshape(b, m, n, 1), new Shape(b, m, n, p)).Reshape(b, m, n * p);
        var dispatch = Tensor.FromArray(dispatchData, new Shape(b, m, n * p), tokens.Backend);
        var y = Ops.MatMul(Ops.Mul(dispatch, gate), slotOut);

        Tensor top;
        using (Tensor.NoGrad()) top = Ops.ArgMax(scores.Detach(), 2);
        return MoeOutput.WithDeferredHidden(y, scores, top, hidden, null);
    }
}
