using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// Soft MoE (Puigcerver et al., "From Sparse to Soft Mixtures of Experts", arXiv 2308.00951; P1 §2.2)
/// as released in dopamine's <c>softmoe.py</c>: every slot is a convex combination of the tokens of one
/// observation, every output token a convex combination of the slot outputs. Tokens [B, m, d] → [B, m, d].
/// </summary>
/// <remarks>
/// <para>
/// Parameters: "phi" Φ [d, n·p], which is dopamine's (d, n, p) kernel in row-major order (slot s = e·p + j is slot
/// j of expert e), LeCun-normal with fan_in = n·d as flax's variance scaling on that 3-D shape (softmoe.py);
/// "scale" [1] = 1, always created (softmoe.py counts it among the parameters) but used only with normalization;
/// "experts.*" (<see cref="ExpertMlp"/>).
/// </para>
/// <para>
/// Slots per expert p: <see cref="SoftMoeOptions.SlotsPerExpert"/> if set; else with
/// <see cref="SoftMoeOptions.SlotFraction"/> f (P2 Fig. 8, "10% of the slots" / a single slot): total
/// S = max(1, round(f·m)) (midpoints away from zero), p = ceil(S/n), so n·p ≥ S; else p = ceil(m·capacity/n)
/// (softmoe.py: 121, 61, 31, 16 for m = 121, n = 1, 2, 4, 8).
/// </para>
/// <para>
/// Softmaxes are per observation (softmoe.py works on one observation, vmapped over the batch): dispatch over the
/// token axis, combine over all n·p slots of a token; nothing is normalized across the batch. Dopamine's NaN-to-zero
/// on slot inputs is not reproduced: with the max-subtracted softmax a NaN can only come from a NaN/∞ input, which
/// this layer lets surface.
/// </para>
/// </remarks>
public sealed class SoftMoe : MoeLayer
{
    private readonly Rng? _noiseRng;

    /// <summary>Creates the layer.</summary>
    /// <param name="tokenDim">Token size d.</param>
    /// <param name="tokens">Tokens per observation m (fixes p).</param>
    /// <param name="options">Settings.</param>
    /// <param name="rng">Initialization randomness (Φ first, then the experts).</param>
    /// <param name="noiseRng">
    /// Noise stream, required for <see cref="SoftMoeOptions.NoisyExperts"/> and <see cref="SoftMoeOptions.RandomPhi"/>
    /// (a random Φ is drawn from it, then expert noise). Its state belongs in checkpoints.
    /// </param>
    /// <exception cref="ArgumentException">A size or option is invalid, or a needed noise stream is missing.</exception>
    public SoftMoe(int tokenDim, int tokens, SoftMoeOptions options, Rng rng, Rng? noiseRng = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (tokenDim <= 0 || tokens <= 0 || options.NumExperts <= 0)
        {
            throw new ArgumentException($"SoftMoe: d, m and NumExperts must be positive, got d={tokenDim}, m={tokens}, " +
                                        $"n={options.NumExperts}.");
        }
        if ((options.RandomPhi || options.NoisyExperts) && noiseRng is null)
        {
            throw new ArgumentException("SoftMoe: RandomPhi and NoisyExperts draw from a noise stream; pass noiseRng.");
        }
        TokenDim = tokenDim;
        Tokens = tokens;
        Options = options;
        NumExperts = options.NumExperts;
        SlotsPerExpert = ResolveSlots(tokens, options);
        _noiseRng = noiseRng;
        int n = NumExperts, p = SlotsPerExpert;
        Phi = RegisterParameter("phi", Init.LecunNormal(new Shape(tokenDim, n * p), n * tokenDim, p, rng));
        Scale = RegisterParameter("scale", Tensor.Ones(new Shape(1)));
        Experts = RegisterModule("experts", new ExpertMlp(n, tokenDim, options.ExpertHidden, rng, options.NoisyExperts, noiseRng));
    }

    /// <summary>Token size d.</summary>
    public int TokenDim { get; }

    /// <summary>Tokens per observation m.</summary>
    public int Tokens { get; }

    /// <summary>The settings.</summary>
    public SoftMoeOptions Options { get; }

    /// <inheritdoc/>
    public override int NumExperts { get; }

    /// <summary>Slots per expert p.</summary>
    public int SlotsPerExpert { get; }

    /// <summary>Total slots n·p.</summary>
    public int TotalSlots => NumExperts * SlotsPerExpert;

    /// <summary>Φ [d, n·p] (= (d, n, p) row-major).</summary>
    public Tensor Phi { get; }

    /// <summary>The learnable scalar [1] that multiplies the normalized Φ (softmoe.py).</summary>
    public Tensor Scale { get; }

    /// <inheritdoc/>
    public override ExpertMlp Experts { get; }

    /// <summary>Slots per expert for m tokens under <paramref name="options"/> (rules in the class remarks).</summary>
    /// <exception cref="ArgumentException">Both overrides are set, or one is out of range.</exception>
    public static int ResolveSlots(int tokens, SoftMoeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int n = options.NumExperts;
        if (options.SlotsPerExpert is not null && options.SlotFraction is not null)
        {
            throw new ArgumentException("SoftMoe: set at most one of SlotsPerExpert and SlotFraction.");
        }
        if (options.SlotsPerExpert is { } s)
        {
            if (s <= 0) throw new ArgumentException($"SoftMoe: SlotsPerExpert must be positive, got {s}.");
            return s;
        }
        if (options.SlotFraction is { } f)
        {
            if (!(f > 0 && f <= 1)) throw new ArgumentException($"SoftMoe: SlotFraction must be in (0, 1], got {f}.");
            int total = Math.Max(1, (int)Math.Round(f * tokens, MidpointRounding.AwayFromZero));
            return (total + n - 1) / n;
        }
        return SlotLayout.CeilCapacity(tokens, options.CapacityFactor, n, "SoftMoe");
    }

    /// <summary>
    /// The routing weights for tokens [B, m, d]: dispatch D [B, m, n·p] (softmax over tokens, axis 1) and combine
    /// C [B, m, n·p] (softmax over slots, axis 2), both from the logits "bmd,ds→bms". With RandomPhi each call
    /// draws a new Φ.
    /// </summary>
    public (Tensor Dispatch, Tensor Combine) Route(Tensor tokens)
    {
        SlotLayout.CheckTokens(tokens, Tokens, TokenDim, "SoftMoe");
        var phi = Options.RandomPhi
            ? Tensor.Normal(Phi.Shape, 0f, 1f, _noiseRng!, tokens.Backend) // P1 Fig. 8 "RandPhi": never learned
            : Phi;
        var x = tokens;
        if (Options.Normalize)
        {
            // softmoe.py: only the logits see normalized vectors; the scale always multiplies Φ (no vmoe
            // smaller-side rule).
            x = L2NormalizeDopamine(tokens, 2);
            phi = Ops.Mul(L2NormalizeDopamine(phi, 0), Scale);
        }
        var logits = Ops.MatMul(x, phi); // "bmd,ds→bms" with Φ shared across the batch
        return Ops.SoftmaxBothAxes(logits); // over the tokens (axis 1) and over the slots (axis 2)
    }

    /// <inheritdoc/>
    public override MoeOutput Forward(Tensor tokens)
    {
        var (dispatch, combine) = Route(tokens);
        int b = tokens.Shape[0], n = NumExperts, p = SlotsPerExpert;
        // Slot inputs X̃ = Dᵀ X on the un-normalized tokens (softmoe.py): "bms,bmd→bsd".
        var slots = Ops.MatMul(dispatch, tokens, transA: true);
        var (expertOut, hidden) = Experts.ForwardDeferred(SlotLayout.ToExperts(slots, n, p)); // [n, B·p, d], [n, B·p, h]
        var slotOut = SlotLayout.FromExperts(expertOut, b, n, p);                      // [B, n·p, d]
        var y = Ops.MatMul(combine, slotOut);                                          // "bms,bsd→bmd"

        Tensor probs, top;
        using (Tensor.NoGrad())
        {
            // Routing mass per expert: combine summed over the expert's p slots, "bm(np)→bmn" (sums to 1 per token;
            // dopamine logs the mean over slots instead, i.e. this divided by p, softmoe.py).
            probs = Ops.Sum(combine.Detach().Reshape(b, Tokens, n, p), [3]);
            top = Ops.ArgMax(probs, 2);
        }
        return MoeOutput.WithDeferredHidden(y, probs, top, hidden, null);
    }

    /// <summary>
    /// Dopamine's x/(‖x‖ + 1e-6) along <paramref name="axis"/> (softmoe.py; vmoe puts the epsilon inside the square
    /// root instead), the one router normalization of every Soft MoE here (also <see cref="PerSampleRouter"/>'s). Σx²
    /// is floored at 1e-30 before the square root so an all-zero token (common after ReLU) has a zero gradient instead
    /// of JAX's 0·∞ = NaN; the forward value is unchanged (1e-15 ≪ 1e-6).
    /// </summary>
    internal static Tensor L2NormalizeDopamine(Tensor x, int axis) => Ops.L2NormalizeClamped(x, axis, 1e-30f, 1e-6f);
}
