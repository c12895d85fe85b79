using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

/// <summary>
/// The MoE middle of a value network (P1 §3): tokenize → MoE layer → flatten [B, m·d] → head.
/// The MoE layer replaces the baseline's penultimate Dense+ReLU; no activation follows it unless the optional
/// extra Dense(512)+ReLU (dopamine's <c>use_extra_linear_layer</c>, default off) is on.
/// </summary>
public sealed class MoeTorso : Torso
{
    private readonly Tokenizer _tokenizer;
    private readonly MoeLayer _moe;
    private readonly Linear? _extra;

    /// <summary>Creates the torso.</summary>
    /// <param name="tokenizer">How the encoder output becomes tokens.</param>
    /// <param name="moe">The MoE layer (Soft MoE, Top-k, Expert Choice), registered under "moe".</param>
    /// <param name="extraLinear">Adds Dense(<paramref name="extraWidth"/>)+ReLU after the flatten.</param>
    /// <param name="extraInFeatures">m·d of the flattened MoE output (needed only with the extra layer).</param>
    /// <param name="rng">Init randomness for the extra layer (needed only with it).</param>
    /// <param name="extraWidth">Width of the extra layer (512 in dopamine).</param>
    public MoeTorso(Tokenizer tokenizer, MoeLayer moe, bool extraLinear = false, int extraInFeatures = 0, Rng? rng = null,
                    int extraWidth = 512)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(moe);
        _tokenizer = RegisterModule("tokenizer", tokenizer);
        _moe = RegisterModule("moe", moe);
        if (extraLinear)
        {
            if (extraInFeatures <= 0 || rng is null)
            {
                throw new ArgumentException($"MoeTorso: the extra linear layer needs extraInFeatures (m·d) > 0 and an " +
                                            $"init Rng, got {extraInFeatures} and {(rng is null ? "null" : "an Rng")}.");
            }
            _extra = RegisterModule("extra", new Linear(extraInFeatures, extraWidth, rng));
        }
    }

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>The MoE layer.</summary>
    public MoeLayer Moe => _moe;

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        var moe = _moe.Forward(_tokenizer.Forward(encoded));
        var flat = moe.Values.Flatten(1); // row-major [B, m·d], a view (P1 §3)
        if (_extra is null) return new TorsoOutput(flat, moe, null);
        var h = Ops.Relu(_extra.Forward(flat));
        return new TorsoOutput(h, moe, h);
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded)
    {
        if (_extra is not null) return _extra.OutFeatures;
        var (m, d) = _tokenizer.TokenShape(encoded);
        return m * d;
    }
}
