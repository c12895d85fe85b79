using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// One layer of the P1 §5.3 "All" expert variant: a Soft MoE whose n experts are copies of one
/// layer (a conv with the same kernel, stride and padding, or a dense layer), routing the layer's whole input for
/// one observation as a single PerSamp token (P1 §3). Input [B, ...] → output [B, ...'] with the experts' shapes.
/// </summary>
/// <remarks>
/// <para>
/// Maths (m = 1; <see cref="PerSampleRouter"/>): token x = flatten(input) ∈ R^D, D = the input's size per
/// observation (H·W·C for a conv); p = ceil(1·1/n) = 1 slot per expert (capacity factor 1), so Φ is [D, n];
/// the dispatch softmax over one token is 1, so every expert sees the layer input unchanged; c = softmax_n(x·Φ);
/// output y = Σ_e c_e·f_e(input). The layer is a mixture of affine maps, so the baseline's activation, pooling or
/// residual add follows the mixture exactly where it follows the layer in the baseline, and n = 1 is the baseline
/// layer (c = 1) plus an unused router.
/// </para>
/// <para>
/// Parameters: "phi" Φ [D, n] (LeCun-normal, fan_in = n·D); "scale" [1] = 1, always created as in
/// dopamine's softmoe.py but used only with normalization; "expert{e}.*" the copies, each with its own
/// parameters drawn in order from the same init as the baseline layer. P1 §5.3 found normalization harmful here
/// ("with normalization the agents fail to learn", P1 §5.3), so it is off by default.
/// </para>
/// </remarks>
public sealed class PerSampleSoftMoe : Layer
{
    private readonly Layer[] _experts;
    private readonly Shape _input;

    /// <summary>Creates the layer from its n expert copies.</summary>
    /// <param name="experts">The copies, all mapping <paramref name="input"/> to the same output shape.</param>
    /// <param name="input">One observation's input shape [1, ...] (fixes D; the batch size is ignored).</param>
    /// <param name="normalize">L2-normalize the token and Φ for the logits (softmoe.py).</param>
    /// <param name="rng">Init randomness for Φ (drawn after the experts, as the "Big" torso).</param>
    /// <exception cref="ArgumentException">No experts, a rank-0 input, or experts that disagree on the output shape.</exception>
    public PerSampleSoftMoe(IReadOnlyList<Layer> experts, Shape input, bool normalize, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(experts);
        if (experts.Count == 0) throw new ArgumentException("PerSampleSoftMoe: needs at least one expert.");
        if (input.Rank < 2) throw new ArgumentException($"PerSampleSoftMoe: input must be [B, ...] with a batch axis, got {input}.");
        _input = input;
        TokenDim = input.Count / input[0];
        var output = experts[0].OutputShape(input);
        foreach (var e in experts)
        {
            var o = e.OutputShape(input);
            if (o != output) throw new ArgumentException($"PerSampleSoftMoe: experts map {input} to {output} and {o}; they must be copies of one layer.");
        }
        Normalize = normalize;
        Phi = RegisterParameter("phi", PerSampleRouter.CreatePhi(TokenDim, experts.Count, rng));
        Scale = RegisterParameter("scale", Tensor.Ones(new Shape(1)));
        _experts = new Layer[experts.Count];
        for (int e = 0; e < _experts.Length; e++) _experts[e] = RegisterModule($"expert{e}", experts[e]);
    }

    /// <summary>The router's Φ [D, n].</summary>
    public Tensor Phi { get; }

    /// <summary>The normalization scale [1].</summary>
    public Tensor Scale { get; }

    /// <summary>PerSamp token dim D (the input's size per observation).</summary>
    public int TokenDim { get; }

    /// <summary>Whether the logits use L2-normalized token and Φ.</summary>
    public bool Normalize { get; }

    /// <summary>Number of experts n.</summary>
    public int NumExperts => _experts.Length;

    /// <summary>The expert copies.</summary>
    public IReadOnlyList<Layer> Experts => _experts;

    /// <summary>
    /// Combine weights [B, n] of the latest <see cref="Forward"/> (detached), for the owning torso to collect as router
    /// statistics while its encoder returns plain tensors. <see cref="TakeLastCombine"/> hands them over and clears
    /// them, so no reference outlives the tensor scope that made it.
    /// </summary>
    internal Tensor? LastCombine { get; private set; }

    /// <summary>Returns and clears <see cref="LastCombine"/>.</summary>
    internal Tensor? TakeLastCombine()
    {
        var c = LastCombine;
        LastCombine = null;
        return c;
    }

    /// <summary>Runs the layer and returns the output and its combine weights c [B, n] (rows sum to 1).</summary>
    /// <exception cref="ArgumentException">The input's size per observation is not D.</exception>
    public (Tensor Output, Tensor Combine) ForwardWithCombine(Tensor x)
    {
        var token = x.Flatten(1); // PerSamp [B, D], a view (P1 §3)
        if (token.Shape[1] != TokenDim)
        {
            throw new ArgumentException($"PerSampleSoftMoe: built for inputs like {_input} ({TokenDim} values per observation), got {x.Shape}.");
        }
        var combine = PerSampleRouter.Combine(token, Phi, Scale, Normalize);
        var outputs = new Tensor[_experts.Length];
        for (int e = 0; e < outputs.Length; e++) outputs[e] = _experts[e].Forward(x); // every slot sees x (dispatch = 1)
        return (PerSampleRouter.Mix(outputs, combine), combine);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var (y, combine) = ForwardWithCombine(x);
        LastCombine = combine.Detach();
        return y;
    }

    /// <inheritdoc/>
    public override Shape OutputShape(Shape input) => _experts[0].OutputShape(input);
}
