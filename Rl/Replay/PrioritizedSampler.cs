using MoeScratch.Tensors;

namespace MoeScratch.Rl.Replay;

/// <summary>
/// Proportional prioritized replay (Schaul et al. 2016) with Dopamine's fixed choices (full_rainbow_agent.py):
/// sampling probability ∝ priority with no extra exponent; priority = √(loss + 1e-10), i.e. α = 0.5 on the loss;
/// new transitions get the largest priority recorded so far; importance weights 1/√(p + 1e-10) normalised by
/// the batch maximum (a fixed β = 0.5, see <see cref="ImportanceWeights"/>).
/// </summary>
/// <remarks>
/// Sampling is stratified as in Dopamine's <c>SumTree.stratified_sample</c> (<c>dopamine/tf/replay_memory/sum_tree.py</c>;
/// the newer JAX sampler draws unstratified targets): [0, total) is cut into B equal segments and one target is
/// drawn uniformly in each. A drawn index that is not valid yet (its stack or
/// n-step window is incomplete) is replaced by a plain, non-stratified draw, as Dopamine's prioritized buffer
/// does. Indices are storage slots; a slot's priority is replaced when the slot is overwritten.
/// Reported probabilities are priority / total over all slots, as in Dopamine's JAX sampler (the mass of slots
/// that are not valid yet is included in the total). Not thread-safe.
/// </remarks>
public sealed class PrioritizedSampler : ISampler
{
    private readonly Rng _rng;
    private readonly int _maxAttempts;

    /// <param name="capacity">Must equal the buffer's <see cref="ReplayConfig.Capacity"/>.</param>
    /// <param name="rng">The sampler's own stream.</param>
    /// <param name="maxSampleAttempts">Rejections allowed per batch before giving up (Dopamine: 1000).</param>
    public PrioritizedSampler(int capacity, Rng rng, int maxSampleAttempts = 1000)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (maxSampleAttempts < 0)
        {
            throw new ArgumentException($"PrioritizedSampler: maxSampleAttempts = {maxSampleAttempts} must be ≥ 0.");
        }
        Tree = new SumTree(capacity);
        _rng = rng;
        _maxAttempts = maxSampleAttempts;
    }

    /// <summary>The priorities, one leaf per storage slot.</summary>
    public SumTree Tree { get; }

    /// <inheritdoc/>
    public string Kind => "prioritized";

    /// <inheritdoc/>
    public void Bind(int capacity)
    {
        if (capacity != Tree.Capacity)
        {
            throw new ArgumentException(
                $"PrioritizedSampler: built for capacity {Tree.Capacity} but the buffer has capacity {capacity}; pass " +
                "the buffer's ReplayConfig.Capacity to the sampler.");
        }
    }

    /// <inheritdoc/>
    public void OnAdd(int index) => Tree.Set(index, Tree.MaxRecorded);

    /// <inheritdoc/>
    public void Sample(IReplayIndexSource source, Span<int> indices, Span<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(source);
        SamplerChecks.Lengths(indices, probabilities);
        double total = Tree.Total;
        if (!(total > 0.0))
        {
            throw new InvalidOperationException(
                "PrioritizedSampler.Sample: every priority is zero (nothing added yet); add transitions first.");
        }
        int batch = indices.Length;
        int attempts = 0;
        for (int i = 0; i < batch; i++)
        {
            // Stratum i is [i/B, (i+1)/B)·total.
            double target = (i + _rng.NextDouble()) / batch * total;
            int index = Tree.Query(Math.Min(target, total));
            while (!source.IsValidIndex(index))
            {
                if (++attempts > _maxAttempts)
                {
                    throw SamplerChecks.TooManyAttempts("PrioritizedSampler", _maxAttempts, i, batch);
                }
                index = Tree.Query(_rng.NextDouble() * total);
            }
            indices[i] = index;
            probabilities[i] = (float)(Tree.Get(index) / total);
        }
    }

    /// <summary>Sets priority √(loss + 1e-10) for each sampled index (Dopamine's Rainbow/DER update).</summary>
    /// <exception cref="ArgumentException">Length mismatch, or a loss that is negative or not finite.</exception>
    public void UpdatePriorities(ReadOnlySpan<int> indices, ReadOnlySpan<float> losses)
    {
        if (indices.Length != losses.Length)
        {
            throw new ArgumentException(
                $"PrioritizedSampler.UpdatePriorities: {indices.Length} indices but {losses.Length} losses.");
        }
        for (int i = 0; i < indices.Length; i++)
        {
            float loss = losses[i];
            if (!(loss >= 0f) || float.IsInfinity(loss))
            {
                throw new ArgumentException(
                    $"PrioritizedSampler.UpdatePriorities: loss {loss} for index {indices[i]} must be finite and ≥ 0 " +
                    "(a NaN here means the network diverged).");
            }
            // float32 like the JAX agent's jnp.sqrt(loss + 1e-10); the sum tree stores float64.
            // A repeated index keeps its last value, as in Dopamine's TF buffer loop.
            Tree.Set(indices[i], MathF.Sqrt(loss + 1e-10f));
        }
    }

    /// <summary>
    /// Importance-sampling weights exactly as Dopamine's JAX Rainbow/DER: w = 1/√(p + 1e-10), then w /= max(w).
    /// </summary>
    /// <exception cref="ArgumentException">Length mismatch or an empty batch.</exception>
    public static void ImportanceWeights(ReadOnlySpan<float> probabilities, Span<float> weights)
    {
        if (probabilities.Length == 0 || weights.Length != probabilities.Length)
        {
            throw new ArgumentException(
                $"PrioritizedSampler.ImportanceWeights: probabilities ({probabilities.Length}) and weights " +
                $"({weights.Length}) must have the same positive length.");
        }
        float max = 0f;
        for (int i = 0; i < probabilities.Length; i++)
        {
            weights[i] = 1f / MathF.Sqrt(probabilities[i] + 1e-10f);
            max = Math.Max(max, weights[i]);
        }
        for (int i = 0; i < weights.Length; i++) weights[i] /= max;
    }

    /// <inheritdoc/>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_rng.SaveState());
        Tree.Save(writer);
    }

    /// <inheritdoc/>
    public void Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        SamplerChecks.LoadRng(reader, _rng, "PrioritizedSampler");
        Tree.Load(reader);
    }
}
