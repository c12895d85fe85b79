using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

public static partial class NetworkBuilder
{
    /// <summary>
    /// The MoE layer of an MoE torso. Expert hidden size and count come from the config; a noisy head makes the
    /// experts' first layer noisy (NoisyNetwork). The noise stream is also what a random Φ is drawn from (P1 Fig. 8).
    /// </summary>
    private static MoeLayer BuildMoe(NetworkConfig cfg, int tokenDim, int tokens, Rng rng, Rng noiseRng)
    {
        bool noisy = cfg.Head.Noisy;
        return cfg.Torso switch
        {
            TorsoKind.SoftMoe => new SoftMoe(tokenDim, tokens,
                new SoftMoeOptions(cfg.NumExperts, cfg.ExpertHidden, cfg.CapacityFactor, cfg.SlotsPerExpert, cfg.SlotFraction,
                                   cfg.SoftMoeNormalize, cfg.RandomPhi, noisy), rng, noiseRng),
            // P1 uses k = 1 and no auxiliary loss or router noise by default (routers.py); LoadBalancing turns on the
            // importance and load losses with the code's default weights 1.0 (losses.py, P1 Fig. 9).
            TorsoKind.Top1Moe => new TopKMoe(tokenDim, tokens,
                new TopKMoeOptions(cfg.NumExperts, cfg.ExpertHidden, K: 1, CapacityFactor: cfg.CapacityFactor, NoisyExperts: noisy,
                                   ImportanceLoss: cfg.LoadBalancing, LoadLoss: cfg.LoadBalancing),
                rng, noiseRng),
            TorsoKind.ExpertChoice => new ExpertChoiceMoe(tokenDim, tokens,
                new ExpertChoiceOptions(cfg.NumExperts, cfg.ExpertHidden, cfg.CapacityFactor, NoisyExperts: noisy), rng, noiseRng),
            _ => throw new ArgumentException($"NetworkBuilder: {cfg.Torso} is not an MoE torso."),
        };
    }
}
