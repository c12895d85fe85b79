using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

/// <summary>
/// P1 §5.3 "All" experts: a separate Soft MoE at every layer, each routing its own input as one
/// PerSamp token (P1 §3). The torso holds the whole network below the head (the builder pairs it with an identity
/// encoder, as the "Big" variant): an encoder whose convs are <see cref="PerSampleSoftMoe"/> layers, then
/// flatten → a <see cref="PerSampleSoftMoe"/> of Dense(hidden) copies → ReLU (the penultimate layer, P1 §4.1).
/// </summary>
/// <remarks>
/// <para>
/// Last layer (P1 §5.3: all "except Rainbow's last layer"): with a shared final layer (Rainbow, and any dueling
/// or distributional head) the features are the penultimate h [B, hidden]. With "own final layer" (DQN: one atom,
/// no dueling) the final Dense(A) is a Soft MoE too, routing h with its own Φ ("final_phi" [hidden, n]); the features
/// are [c_1·h, …, c_n·h, c_1, …, c_n] [B, n·hidden + n] so the head's Dense(A) computes Σ_e c_e (W_e h + β_e) + b
/// (<see cref="PerSampleRouter.ExpertHeadFeatures"/>, the same coupling as <see cref="BigExpertTorso"/>).
/// </para>
/// <para>
/// Router statistics: <see cref="MoeOutput.RouterProbabilities"/> is [B, L, n] with one row per routed layer in
/// forward order (<see cref="LayerNames"/>), each the layer's combine weights (summing to 1), so the analysis code's
/// per-expert mass averages over the layers as it averages over tokens. <see cref="MoeOutput.ExpertHidden"/> is null:
/// the experts are affine and the ReLU follows the mixture, so the post-ReLU penultimate h [B, hidden] is reported
/// as <see cref="TorsoOutput.Hidden"/> for dormant-neuron analysis, as the dense baseline.
/// </para>
/// </remarks>
public sealed class AllExpertTorso : Torso
{
    private readonly (string Name, PerSampleSoftMoe Layer)[] _encoderMoes;
    private readonly bool _normalize;

    /// <summary>Creates the torso.</summary>
    /// <param name="encoder">The encoder, its convs <see cref="PerSampleSoftMoe"/> layers (found by walking its modules).</param>
    /// <param name="dense">The penultimate layer: a Soft MoE of Dense(flat → hidden) copies on the flattened encoder output.</param>
    /// <param name="ownFinalLayer">Route the final layer too (DQN coupling, see remarks) instead of a shared head.</param>
    /// <param name="normalize">L2-normalize token and Φ for the final layer's logits (the other layers carry their own flag).</param>
    /// <param name="rng">Init randomness for the final layer's Φ (used only with <paramref name="ownFinalLayer"/>).</param>
    /// <exception cref="ArgumentException">The layers disagree on the number of experts, or the dense layer is not [B, F] → [B, hidden].</exception>
    public AllExpertTorso(Layer encoder, PerSampleSoftMoe dense, bool ownFinalLayer, bool normalize, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(dense);
        var hidden = dense.OutputShape(new Shape(1, dense.TokenDim));
        if (hidden.Rank != 2) throw new ArgumentException($"AllExpertTorso: the dense layer must map [B, F] to [B, hidden], got {hidden}.");
        Hidden = hidden[1];
        OwnFinalLayer = ownFinalLayer;
        _normalize = normalize;
        Encoder = RegisterModule("encoder", encoder);
        Dense = RegisterModule("dense", dense);
        _encoderMoes = FindRouted(encoder, "encoder").ToArray();
        EncoderLayers = Array.AsReadOnly(_encoderMoes.Select(m => m.Layer).ToArray());
        foreach (var (name, layer) in _encoderMoes)
        {
            if (layer.NumExperts != dense.NumExperts)
            {
                throw new ArgumentException($"AllExpertTorso: every layer needs the same experts; {name} has {layer.NumExperts}, dense has {dense.NumExperts}.");
            }
        }
        if (ownFinalLayer)
        {
            FinalPhi = RegisterParameter("final_phi", PerSampleRouter.CreatePhi(Hidden, NumExperts, rng));
            FinalScale = RegisterParameter("final_scale", Tensor.Ones(new Shape(1)));
        }
        LayerNames = [.. _encoderMoes.Select(m => m.Name), "dense", .. ownFinalLayer ? new[] { "final" } : []];
    }

    /// <summary>The encoder (its convs are Soft MoE layers).</summary>
    public Layer Encoder { get; }

    /// <summary>The encoder's routed convs in forward order (named by the first entries of <see cref="LayerNames"/>).</summary>
    public IReadOnlyList<PerSampleSoftMoe> EncoderLayers { get; }

    /// <summary>The penultimate Soft MoE of Dense copies.</summary>
    public PerSampleSoftMoe Dense { get; }

    /// <summary>The final layer's Φ [hidden, n], or null with a shared final layer.</summary>
    public Tensor? FinalPhi { get; }

    /// <summary>The final layer's normalization scale [1], or null with a shared final layer.</summary>
    public Tensor? FinalScale { get; }

    /// <summary>Penultimate width (each dense expert's output).</summary>
    public int Hidden { get; }

    /// <summary>Whether the final layer is a Soft MoE too (DQN coupling).</summary>
    public bool OwnFinalLayer { get; }

    /// <summary>Number of experts n (the same at every layer).</summary>
    public int NumExperts => Dense.NumExperts;

    /// <summary>The routed layers in forward order, naming the rows of <see cref="MoeOutput.RouterProbabilities"/>.</summary>
    public IReadOnlyList<string> LayerNames { get; }

    /// <inheritdoc/>
    public override TorsoOutput Forward(Tensor encoded)
    {
        int b = encoded.Shape[0];
        foreach (var (_, layer) in _encoderMoes) layer.TakeLastCombine(); // no stale weights from an earlier call
        var x = Encoder.Forward(encoded).Flatten(1);                      // [B, F], a view
        var (z, denseCombine) = Dense.ForwardWithCombine(x);
        var h = Ops.Relu(z);                                              // [B, hidden]
        var combines = new List<Tensor>(LayerNames.Count);
        foreach (var (name, layer) in _encoderMoes)
        {
            combines.Add(layer.TakeLastCombine() ?? throw new InvalidOperationException(
                $"AllExpertTorso: routed layer {name} did not run in the encoder's forward pass."));
        }
        combines.Add(denseCombine);
        var features = h;
        if (OwnFinalLayer)
        {
            var finalCombine = PerSampleRouter.Combine(h, FinalPhi!, FinalScale!, _normalize);
            features = PerSampleRouter.ExpertHeadFeatures(Enumerable.Repeat(h, NumExperts).ToArray(), finalCombine);
            combines.Add(finalCombine);
        }
        var (probs, top) = PerSampleRouter.Statistics(combines);
        using (Tensor.NoGrad())
        {
            var moe = new MoeOutput(features.Reshape(b, 1, features.Shape[1]), probs, top, null, null);
            return new TorsoOutput(features, moe, h);
        }
    }

    /// <inheritdoc/>
    public override int OutputFeatures(Shape encoded) => OwnFinalLayer ? NumExperts * Hidden + NumExperts : Hidden;

    /// <summary>Every <see cref="PerSampleSoftMoe"/> below <paramref name="module"/>, depth first in registration (= forward) order.</summary>
    private static IEnumerable<(string Name, PerSampleSoftMoe Layer)> FindRouted(Module module, string prefix)
    {
        if (module is PerSampleSoftMoe moe)
        {
            yield return (prefix, moe);
            yield break;
        }
        foreach (var (name, child) in module.NamedChildren())
        {
            foreach (var found in FindRouted(child, $"{prefix}.{name}")) yield return found;
        }
    }
}
