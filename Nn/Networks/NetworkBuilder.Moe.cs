using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Networks;

public static partial class NetworkBuilder
{
    private static IMoeLayer BuildMoe(NetworkConfig cfg, int tokenDim, int tokens, Rng rng, Rng noiseRng) =>
        throw new NotSupportedException($"NetworkBuilder: the MoE layers ({cfg.Torso}) are not merged into this branch yet " +
                                        $"(token dim {tokenDim}, {tokens} tokens).");
}
