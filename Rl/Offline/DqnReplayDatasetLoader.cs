using MoeScratch.Rl.Replay;

namespace MoeScratch.Rl.Offline;

/// <summary>
/// Fills a <see cref="ReplayBuffer"/> from DQN Replay Dataset checkpoints (Agarwal et al. 2020; P1 §5.1) for
/// offline training (CQL), reading through <see cref="DqnReplayDatasetReader"/>. Frames are streamed, so a 1 M-frame
/// Atari checkpoint never sits in memory twice.
/// </summary>
/// <remarks>
/// Transitions are added in file order; an episode starts after each terminal (or episode end). Dopamine's own
/// checkpoints are circular buffers whose oldest slot is <c>add_count % capacity</c> (a pickled scalar this reader
/// skips), so for a full, wrapped checkpoint the one episode that straddles the cursor is joined incorrectly; every
/// other transition is exact. Files written by <see cref="TransitionRecorder"/> are in time order and also carry
/// <c>episode_end</c> flags for time-limit truncations; without that file only terminals end episodes.
/// </remarks>
public static class DqnReplayDatasetLoader
{
    /// <summary>Adds up to <paramref name="maxTransitions"/> transitions of one checkpoint to <paramref name="buffer"/>.</summary>
    /// <returns>How many transitions were added.</returns>
    /// <exception cref="ArgumentException">The checkpoint's frame size differs from the buffer's.</exception>
    /// <exception cref="FileNotFoundException">A file of the checkpoint is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    public static long Fill(ReplayBuffer buffer, string directory, int checkpoint, long maxTransitions = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTransitions);
        var reader = DqnReplayDatasetReader.Open(directory, checkpoint);
        long frameBytes = reader.ObservationShape.Aggregate(1L, (a, d) => a * d);
        if (frameBytes != buffer.Config.FrameBytes)
        {
            throw new ArgumentException(
                $"DqnReplayDatasetLoader: checkpoint {checkpoint} in '{directory}' holds frames of shape ({string.Join(", ", reader.ObservationShape)}) = " +
                $"{frameBytes} bytes but the replay buffer expects {buffer.Config.Height}×{buffer.Config.Width}×{buffer.Config.Channels} = " +
                $"{buffer.Config.FrameBytes}; build the buffer with the dataset's frame shape.", nameof(buffer));
        }
        int[] actions = reader.ReadActions();
        float[] rewards = reader.ReadRewards();
        byte[] terminals = reader.ReadTerminals();
        byte[]? episodeEnds = ReadEpisodeEnds(directory, checkpoint, reader.Count);
        long limit = Math.Min(maxTransitions, reader.Count);
        long t = 0;
        if (limit == 0) return 0;
        reader.StreamObservations(chunk =>
        {
            for (int off = 0; off < chunk.Length && t < limit; off += (int)frameBytes, t++)
            {
                bool terminal = terminals[t] != 0;
                // The last transition we add ends its episode when we stop early, so the next Fill starts cleanly.
                bool end = terminal || (episodeEnds is not null && episodeEnds[t] != 0) || (t == limit - 1 && limit < reader.Count);
                buffer.Add(chunk.Slice(off, (int)frameBytes), actions[t], rewards[t], terminal, end);
            }
        });
        return limit;
    }

    private static byte[]? ReadEpisodeEnds(string directory, int checkpoint, long count)
    {
        string path = Path.Combine(directory, DqnReplayDatasetReader.FileName(TransitionRecorder.EpisodeEndArray, checkpoint));
        if (!File.Exists(path)) return null;
        var (header, data) = NpyReader.ReadFile(path);
        if (header.DType is not (NpyDType.UInt8 or NpyDType.Bool) || header.Shape.Length != 1 || header.Shape[0] != count)
            throw new InvalidDataException($"DQN replay file '{path}': expected uint8 shape ({count},), found {header.DType} {header.ShapeText}.");
        return data;
    }
}
