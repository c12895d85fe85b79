using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

public static partial class NetworkBuilder
{
    /// <summary>
    /// P1 §5.3 "All" experts: the configured encoder with every conv replaced by a Soft MoE of n
    /// copies of that conv (same channels, kernel, stride, padding and init), each routing its own input as one PerSamp
    /// token; then a Soft MoE of n copies of the penultimate Dense(flat → ExpertHidden), noisy under a noisy head
    /// as the baseline's penultimate layer. Impala (P1 Table 4): each stack's conv and both convs of every residual
    /// block are routed layers; max-pools, ReLUs and skip adds stay between them as in the baseline, so the residual
    /// path adds the block input to a mixture of conv copies. Parameters are drawn in forward order, each layer's
    /// copies before its Φ.
    /// </summary>
    private static AllExpertTorso BuildAll(NetworkConfig cfg, Shape input, Rng rng, Rng noiseRng)
    {
        int n = cfg.NumExperts;
        bool normalize = cfg.SoftMoeNormalize;
        Layer RoutedConv(ConvSpec spec, Rng r)
        {
            var shape = spec.Input ?? throw new InvalidOperationException(
                "NetworkBuilder: the All variant's convs need their input shape; build the encoder from ConvInput.FromShape.");
            var copies = new Layer[n];
            for (int e = 0; e < n; e++) copies[e] = ConvFactories.Plain(spec, r);
            return new PerSampleSoftMoe(copies, shape, normalize, r);
        }

        var encoder = BuildEncoder(cfg, ConvInput.FromShape(input), rng, RoutedConv);
        int flat = encoder.OutputShape(input).Count; // h·w·c of one observation (input has B = 1)
        var dense = new Layer[n];
        for (int e = 0; e < n; e++) dense[e] = PenultimateDense(cfg, flat, rng, noiseRng);
        var denseMoe = new PerSampleSoftMoe(dense, new Shape(1, flat), normalize, rng);
        return new AllExpertTorso(encoder, denseMoe, OwnFinalLayer(cfg), normalize, rng);
    }
}
