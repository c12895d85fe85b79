using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

/// <summary>
/// Builds the value networks of P1/P2 from a <see cref="NetworkConfig"/>: encoder → torso → head (P1 §3, Fig. 2;
/// P1 §4). Noisy heads (Full Rainbow) also make the baseline's penultimate layer noisy and the MoE experts'
/// first layer noisy. Parameters are drawn from <c>initRng</c> in construction order (encoder, torso, head).
/// </summary>
public static partial class NetworkBuilder
{
    /// <summary>Builds the network.</summary>
    /// <param name="cfg">The architecture.</param>
    /// <param name="observationShape">One observation [H, W, C] (e.g. 84, 84, 4).</param>
    /// <param name="actions">Number of actions A.</param>
    /// <param name="initRng">Parameter initialization stream.</param>
    /// <param name="noiseRng">Noise stream shared by all noisy layers (used when the head is noisy) and the source of
    /// Soft MoE's random Φ (RandomPhi); its state belongs in the agent's checkpoint.</param>
    /// <exception cref="ArgumentException">An invalid config, observation shape or action count.</exception>
    public static QNetwork Build(NetworkConfig cfg, int[] observationShape, int actions, Rng initRng, Rng noiseRng)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(observationShape);
        ArgumentNullException.ThrowIfNull(initRng);
        ArgumentNullException.ThrowIfNull(noiseRng);
        if (observationShape.Length != 3 || observationShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"NetworkBuilder: observationShape must be [H, W, C] with positive sizes, got " +
                                        $"[{string.Join(", ", observationShape)}].");
        }
        if (actions <= 0) throw new ArgumentException($"NetworkBuilder: actions must be positive, got {actions}.");
        cfg.Validate();
        var inputShape = new Shape(1, observationShape[0], observationShape[1], observationShape[2]);
        bool noisy = cfg.Head.Noisy;
        Layer encoder;
        Torso torso;
        if (cfg.ExpertVariant != ExpertVariant.Regular)
        {
            // Big and All hold their own encoders (each expert's, or one with Soft MoE convs), so the main one is skipped.
            encoder = new IdentityEncoder();
            torso = cfg.ExpertVariant == ExpertVariant.Big
                ? BuildBig(cfg, inputShape, initRng, noiseRng)
                : BuildAll(cfg, inputShape, initRng, noiseRng);
        }
        else
        {
            encoder = BuildEncoder(cfg, observationShape[2], initRng);
            var encoded = encoder.OutputShape(inputShape);
            torso = BuildTorso(cfg, encoded, initRng, noiseRng);
        }
        var head = new RainbowHead(torso.OutputFeatures(encoder.OutputShape(inputShape)), actions, cfg.Head, initRng,
                                   noisy ? noiseRng : null);
        return new QNetwork(encoder, torso, head);
    }

    /// <summary>The encoder of <paramref name="cfg"/> for <paramref name="inChannels"/> input channels.</summary>
    public static Layer BuildEncoder(NetworkConfig cfg, int inChannels, Rng rng) =>
        BuildEncoder(cfg, ConvInput.FromChannels(inChannels), rng, ConvFactories.Plain);

    /// <summary>The encoder of <paramref name="cfg"/> with every convolution made by <paramref name="conv"/>.</summary>
    public static Layer BuildEncoder(NetworkConfig cfg, ConvInput input, Rng rng, ConvFactory conv)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        var padding = cfg.EncoderPadding == EncoderPadding.Valid ? Padding.Valid : Padding.Same;
        return cfg.Encoder switch
        {
            EncoderKind.NatureCnn => new NatureCnn(input, rng, conv, padding),
            EncoderKind.Impala => new ImpalaEncoder(input, rng, conv, cfg.ImpalaScale),
            EncoderKind.MinAtar => new MinAtarEncoder(input, rng, conv, padding),
            _ => throw new ArgumentException($"NetworkBuilder: unknown encoder {cfg.Encoder}."),
        };
    }

    private static Torso BuildTorso(NetworkConfig cfg, Shape encoded, Rng rng, Rng noiseRng)
    {
        bool noisy = cfg.Head.Noisy;
        int h = encoded[1], w = encoded[2], d = encoded[3];
        switch (cfg.Torso)
        {
            case TorsoKind.Baseline:
                return new DenseTorso(h * w * d, cfg.PenultimateWidth, rng, noisy, noiseRng);
            case TorsoKind.TokenizedSum:
                return new TokenizedAggregationTorso(d, cfg.PenultimateWidth, Aggregation.Sum, rng, noisy, noiseRng);
            case TorsoKind.TokenizedAvg:
                return new TokenizedAggregationTorso(d, cfg.PenultimateWidth, Aggregation.Mean, rng, noisy, noiseRng);
            case TorsoKind.Gap:
                return new GlobalAveragePoolTorso(d, cfg.PenultimateWidth, rng, noisy, noiseRng);
            case TorsoKind.SoftMoe:
            case TorsoKind.Top1Moe:
            case TorsoKind.ExpertChoice:
            {
                int embedding = cfg.PatchEmbedding ?? (cfg.Encoder == EncoderKind.Impala ? 32 : 64);
                var tokenizer = TokenizerFactory.Create(cfg.Tokenization, encoded, rng, cfg.PatchSize, embedding);
                var (m, dTok) = tokenizer.TokenShape(encoded);
                var moe = BuildMoe(cfg, dTok, m, rng, noiseRng);
                return new MoeTorso(tokenizer, moe, cfg.ExtraLinearLayer, m * dTok, rng);
            }
            default:
                throw new ArgumentException($"NetworkBuilder: unknown torso {cfg.Torso}.");
        }
    }

    private static BigExpertTorso BuildBig(NetworkConfig cfg, Shape input, Rng rng, Rng noiseRng)
    {
        var experts = new BigExpert[cfg.NumExperts];
        for (int e = 0; e < experts.Length; e++)
        {
            var enc = BuildEncoder(cfg, input[3], rng);
            experts[e] = new BigExpert(enc, PenultimateDense(cfg, enc.OutputShape(input).Count, rng, noiseRng));
        }
        return new BigExpertTorso(experts, input.Count, cfg.ExpertHidden, OwnFinalLayer(cfg), cfg.SoftMoeNormalize, rng);
    }

    /// <summary>
    /// Big and All experts: DQN (one atom, no dueling) gives every expert its own final layer; otherwise (Rainbow, C51,
    /// dueling) the final layer is shared, as keeping C51 outputs "token-preserving" is non-trivial (P1 §5.3).
    /// </summary>
    private static bool OwnFinalLayer(NetworkConfig cfg) => cfg.Head.Atoms == 1 && !cfg.Head.Dueling;

    /// <summary>An expert's penultimate Dense(inFeatures → ExpertHidden), noisy under a noisy head.</summary>
    private static Layer PenultimateDense(NetworkConfig cfg, int inFeatures, Rng rng, Rng noiseRng) =>
        cfg.Head.Noisy ? new NoisyLinear(inFeatures, cfg.ExpertHidden, rng, noiseRng) : new Linear(inFeatures, cfg.ExpertHidden, rng);
}
