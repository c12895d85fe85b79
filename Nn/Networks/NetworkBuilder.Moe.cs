using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

public static partial class NetworkBuilder
{
    private static MoeLayer BuildMoe(NetworkConfig cfg, int tokenDim, int tokens, Rng rng, Rng? noiseRng) => cfg.Torso switch
    {
        TorsoKind.SoftMoe => new SoftMoe(tokenDim, tokens, new SoftMoeOptions(cfg.NumExperts, cfg.ExpertHidden, cfg.CapacityFactor, cfg.SlotsPerExpert, cfg.SlotFraction, cfg.SoftMoeNormalize, cfg.RandomPhi, noiseRng is not null), rng, noiseRng),
        TorsoKind.Top1Moe => new TopKMoe(tokenDim, tokens, new TopKMoeOptions(cfg.NumExperts, cfg.ExpertHidden, 1, cfg.CapacityFactor, NoisyExperts: noiseRng is not null), rng, noiseRng),
        _ => new ExpertChoiceMoe(tokenDim, tokens, new ExpertChoiceOptions(cfg.NumExperts, cfg.ExpertHidden, cfg.CapacityFactor, NoisyExperts: noiseRng is not null), rng, noiseRng),
    };
}
