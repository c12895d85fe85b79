using MoeScratch.Tensors;

namespace MoeScratch.Rl.Replay;

/// <summary>
/// Uniform sampling over the valid stored transitions by rejection, as in Dopamine's circular replay buffer
/// (<c>sample_index_batch</c>): draw a stored transition uniformly, keep it if valid, otherwise draw again.
/// Rejection keeps the result exactly uniform over the valid set.
/// </summary>
public sealed class UniformSampler : ISampler
{
    private readonly Rng _rng;
    private readonly int _maxAttempts;

    /// <param name="rng">The sampler's own stream (e.g. <c>Rng.ForStream(seed, replayStream)</c>).</param>
    /// <param name="maxSampleAttempts">Rejections allowed per batch before giving up (Dopamine: 1000).</param>
    public UniformSampler(Rng rng, int maxSampleAttempts = 1000)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (maxSampleAttempts < 0)
        {
            throw new ArgumentException($"UniformSampler: maxSampleAttempts = {maxSampleAttempts} must be ≥ 0.");
        }
        _rng = rng;
        _maxAttempts = maxSampleAttempts;
    }

    /// <inheritdoc/>
    public string Kind => "uniform";

    /// <inheritdoc/>
    public void Bind(int capacity)
    {
    }

    /// <inheritdoc/>
    public void OnAdd(int index)
    {
    }

    /// <inheritdoc/>
    public void Sample(IReplayIndexSource source, Span<int> indices, Span<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(source);
        SamplerChecks.Lengths(indices, probabilities);
        int capacity = source.Capacity;
        long addCount = source.AddCount;
        int stored = (int)Math.Min(addCount, capacity);
        if (stored == 0)
        {
            throw new InvalidOperationException("UniformSampler.Sample: the replay buffer is empty; add transitions first.");
        }
        long oldest = addCount - stored;
        int attempts = 0;
        for (int i = 0; i < indices.Length; i++)
        {
            while (true)
            {
                int index = (int)((oldest + _rng.NextInt(stored)) % capacity);
                if (source.IsValidIndex(index))
                {
                    indices[i] = index;
                    break;
                }
                if (++attempts > _maxAttempts)
                {
                    throw SamplerChecks.TooManyAttempts("UniformSampler", _maxAttempts, i, indices.Length);
                }
            }
        }
        // Stored transitions, not valid ones, as Dopamine's uniform sampler reports; uniform agents ignore it.
        probabilities.Fill(1f / stored);
    }

    /// <inheritdoc/>
    public void UpdatePriorities(ReadOnlySpan<int> indices, ReadOnlySpan<float> losses)
    {
    }

    /// <inheritdoc/>
    public void Save(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_rng.SaveState());
    }

    /// <inheritdoc/>
    public void Load(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        SamplerChecks.LoadRng(reader, _rng, "UniformSampler");
    }
}

/// <summary>Checks and messages shared by the samplers.</summary>
internal static class SamplerChecks
{
    public static void Lengths(Span<int> indices, Span<float> probabilities)
    {
        if (indices.Length == 0 || probabilities.Length != indices.Length)
        {
            throw new ArgumentException(
                $"Sampler.Sample: indices ({indices.Length}) and probabilities ({probabilities.Length}) must have the " +
                "same positive length (the batch size).");
        }
    }

    public static InvalidOperationException TooManyAttempts(string who, int max, int found, int batch) =>
        new($"{who}.Sample: gave up after {max} rejected draws with {found} of {batch} valid indices. The buffer " +
            "holds too few valid transitions (each needs its frame stack and n-step window); add more before " +
            "sampling (Dopamine waits for min_replay_history).");

    public static void LoadRng(BinaryReader reader, MoeScratch.Tensors.Rng rng, string who)
    {
        byte[] state = reader.ReadBytes(MoeScratch.Tensors.Rng.StateSize);
        if (state.Length != MoeScratch.Tensors.Rng.StateSize)
        {
            throw new InvalidDataException($"{who}.Load: the stream ended inside the RNG state.");
        }
        rng.RestoreState(state);
    }
}
