namespace MoeScratch.Rl.Replay;

/// <summary>
/// Bytes a <see cref="ReplayBuffer"/> allocates, by part. Frames are stored once, so a
/// 1M-transition Atari buffer (84×84×1, stack 4) needs about 7.07 GB, Dopamine's figure, rather than the
/// 56 GB of a buffer that stores stacked states and next states.
/// </summary>
/// <param name="FrameBytes">Capacity · H·W·C (uint8 frames).</param>
/// <param name="ActionBytes">Capacity · 4 (int32 actions).</param>
/// <param name="RewardBytes">Capacity · 4 (float32 rewards).</param>
/// <param name="FlagBytes">Capacity · 1 (terminal / episode-end / episode-start bits).</param>
/// <param name="SumTreeBytes">float64 sum-tree nodes when prioritized, else 0.</param>
public readonly record struct ReplayMemoryReport(
    long FrameBytes, long ActionBytes, long RewardBytes, long FlagBytes, long SumTreeBytes)
{
    /// <summary>All parts together.</summary>
    public long TotalBytes => FrameBytes + ActionBytes + RewardBytes + FlagBytes + SumTreeBytes;

    /// <summary>Computes the report without allocating anything.</summary>
    /// <exception cref="ArgumentException">An invalid configuration.</exception>
    public static ReplayMemoryReport For(ReplayConfig config, bool prioritized)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        long n = config.Capacity;
        return new ReplayMemoryReport(
            FrameBytes: n * config.FrameBytes,
            ActionBytes: n * sizeof(int),
            RewardBytes: n * sizeof(float),
            FlagBytes: n,
            SumTreeBytes: prioritized ? SumTree.BytesFor(config.Capacity) : 0);
    }

    /// <summary>
    /// Refuses a buffer that would take more than <paramref name="maxFraction"/> of
    /// <paramref name="availableBytes"/> (e.g. MemAvailable from /proc/meminfo), before anything is allocated
    /// (Dopamine's Atari defaults need ~7 GB).
    /// </summary>
    /// <exception cref="InvalidOperationException">The buffer does not fit; the message gives both sizes and the fix.</exception>
    public void EnsureFits(long availableBytes, double maxFraction = 0.9)
    {
        if (!(maxFraction > 0 && maxFraction <= 1))
        {
            throw new ArgumentException($"ReplayMemoryReport.EnsureFits: maxFraction = {maxFraction} must lie in (0, 1].");
        }
        double limit = availableBytes * maxFraction;
        if (TotalBytes > limit)
        {
            throw new InvalidOperationException(
                $"The replay buffer needs {TotalBytes / 1e9:F2} GB but only {limit / 1e9:F2} GB " +
                $"({maxFraction:P0} of {availableBytes / 1e9:F2} GB available) may be used; lower ReplayConfig.Capacity " +
                "or free memory.");
        }
    }

    /// <summary>A one-line summary in decimal GB and binary GiB.</summary>
    public override string ToString() =>
        $"replay memory {TotalBytes / 1e9:F3} GB ({TotalBytes / (double)(1L << 30):F2} GiB): frames {FrameBytes / 1e9:F3} GB, " +
        $"actions {ActionBytes / 1e6:F1} MB, rewards {RewardBytes / 1e6:F1} MB, flags {FlagBytes / 1e6:F1} MB, " +
        $"sum tree {SumTreeBytes / 1e6:F1} MB";
}
