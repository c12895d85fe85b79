using MoeScratch.Tensors;

namespace MoeScratch.Nn.Moe;

/// <summary>
/// Moves per-observation slots between the routing layout [B, n·p, d] (slot s = e·p + j belongs to expert e)
/// and the expert layout [n, B·p, d] that <see cref="ExpertMlp"/> batches over. Shared by <see cref="SoftMoe"/> and
/// <see cref="ExpertChoiceMoe"/>; the only copies on the slot path are these two permutes.
/// </summary>
internal static class SlotLayout
{
    /// <summary>Computes the slot count p = ceil(m·capacityFactor/n), as Python's <c>math.ceil(m * cf / n)</c>.</summary>
    public static int CeilCapacity(int tokens, double capacityFactor, int numExperts, string who)
    {
        if (!(capacityFactor > 0) || double.IsInfinity(capacityFactor))
        {
            throw new ArgumentException($"{who}: CapacityFactor must be a positive finite number, got {capacityFactor}.");
        }
        return Math.Max(1, (int)Math.Ceiling(tokens * capacityFactor / numExperts));
    }

    /// <summary>"b(np)d → n(bp)d": [B, n·p, d] → [n, B·p, d].</summary>
    public static Tensor ToExperts(Tensor slots, int n, int p)
    {
        int b = slots.Shape[0], d = slots.Shape[2];
        if (n == 1) return slots.Reshape(1, b * p, d); // already expert-major: no copy
        return Ops.Permute(slots.Reshape(b, n, p, d), 1, 0, 2, 3).Reshape(n, b * p, d);
    }

    /// <summary>"n(bp)d → b(np)d": [n, B·p, d] → [B, n·p, d].</summary>
    public static Tensor FromExperts(Tensor experts, int batch, int n, int p)
    {
        int d = experts.Shape[2];
        if (n == 1) return experts.Reshape(batch, p, d);
        return Ops.Permute(experts.Reshape(n, batch, p, d), 1, 0, 2, 3).Reshape(batch, n * p, d);
    }

    /// <summary>Validates a [B, m, d] token batch against the layer's m and d.</summary>
    public static void CheckTokens(Tensor tokens, int m, int d, string who)
    {
        if (tokens.Rank != 3 || tokens.Shape[1] != m || tokens.Shape[2] != d)
        {
            throw new ArgumentException($"{who}: tokens must be [B, {m}, {d}] (batch, tokens, token size) as configured, " +
                                        $"got {tokens.Shape}; build the layer with the tokenizer's m and d.");
        }
    }
}
