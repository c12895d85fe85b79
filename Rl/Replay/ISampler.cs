namespace MoeScratch.Rl.Replay;

/// <summary>What a sampler needs to know about the buffer it samples from (implemented by <see cref="ReplayBuffer"/>).</summary>
public interface IReplayIndexSource
{
    /// <summary>Number of storage slots; indices are 0..Capacity−1.</summary>
    int Capacity { get; }

    /// <summary>Transitions added since construction (not capped at the capacity).</summary>
    long AddCount { get; }

    /// <summary>
    /// Whether the transition at <paramref name="index"/> can be sampled now: it is stored, its frame stack and
    /// its n-step window are complete and cross neither the write cursor nor a truncated episode end.
    /// </summary>
    bool IsValidIndex(int index);
}

/// <summary>
/// Chooses which stored transitions go into a batch (Dopamine's <c>samplers.py</c>): uniformly, or in
/// proportion to a priority. Samplers draw from their own <see cref="MoeScratch.Tensors.Rng"/> stream and save
/// it with the rest of their state.
/// </summary>
public interface ISampler
{
    /// <summary>A short stable name ("uniform", "prioritized") written into checkpoints.</summary>
    string Kind { get; }

    /// <summary>Called once by the buffer's constructor; throws if the sampler was built for another capacity.</summary>
    /// <exception cref="ArgumentException">Capacity mismatch.</exception>
    void Bind(int capacity);

    /// <summary>Called by the buffer after it wrote a new transition at <paramref name="index"/>.</summary>
    void OnAdd(int index);

    /// <summary>
    /// Fills <paramref name="indices"/> with valid indices of <paramref name="source"/> and
    /// <paramref name="probabilities"/> with the probability each was drawn with (same length).
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing is stored yet, or too few valid indices were found.</exception>
    void Sample(IReplayIndexSource source, Span<int> indices, Span<float> probabilities);

    /// <summary>Feeds back the per-sample losses of a batch (Dopamine: priority = √(loss + 1e-10)); a no-op for uniform.</summary>
    void UpdatePriorities(ReadOnlySpan<int> indices, ReadOnlySpan<float> losses);

    /// <summary>Writes the sampler's complete state (RNG included).</summary>
    void Save(BinaryWriter writer);

    /// <summary>Restores a state written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The state does not fit this sampler.</exception>
    void Load(BinaryReader reader);
}
