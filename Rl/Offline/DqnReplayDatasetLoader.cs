using MoeScratch.Rl.Replay;

namespace MoeScratch.Rl.Offline;

/// <summary>
/// Fills a <see cref="ReplayBuffer"/> from DQN Replay Dataset checkpoints (Agarwal et al. 2020) for offline training
/// (CQL, P1 §5.1), reading through <see cref="DqnReplayDatasetReader"/>. Frames are streamed, so a 1 M-frame Atari
/// checkpoint never sits in memory twice.
/// </summary>
/// <remarks>
/// <para>The dataset's shards are dumps of Dopamine's circular buffer (<c>circular_replay_buffer.py</c>), which writes
/// stack_size − 1 all-zero transitions (zero frame, action 0, reward 0, not terminal) before every episode: at the start
/// of an empty buffer and after each terminal. They are padding, not data: the loader drops them (as many as the
/// buffer's StackSize − 1, and only while they are all-zero), and the next real frame starts an episode, whose stacks
/// the buffer pads with zeros itself. A shard that does not begin with padding begins mid-episode: its first
/// StackSize − 1 transitions are added through <see cref="ReplayBuffer.StartWithoutHistory"/>, so they serve as history
/// but are not sampleable as stack ends.</para>
/// <para>Transitions are added in file order. Dopamine's checkpoints are circular buffers whose oldest slot is
/// <c>add_count % capacity</c> (a pickled scalar this reader skips), so for a full, wrapped checkpoint the one episode
/// that straddles the cursor is joined incorrectly; every other transition is exact. Files written by
/// <see cref="TransitionRecorder"/> are in time order, start an episode, carry <c>episode_end</c> flags for time-limit
/// truncations and have no padding; without that file only terminals end episodes. The last transition a Fill adds
/// always ends its episode, so the next Fill starts cleanly.</para>
/// </remarks>
public static class DqnReplayDatasetLoader
{
    /// <summary>Adds up to <paramref name="maxTransitions"/> transitions of one checkpoint to <paramref name="buffer"/>.</summary>
    /// <returns>How many transitions were added (padding excluded).</returns>
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
        if (maxTransitions == 0 || reader.Count == 0) return 0;
        // Dopamine's shards are padded before each episode; TransitionRecorder's (with episode_end) are not.
        int padding = episodeEnds is null ? buffer.Config.StackSize - 1 : 0;
        int toSkip = padding; // padding entries that may still follow (an episode may begin at the shard's start)
        bool first = true;
        long added = 0, t = 0;
        reader.StreamObservations(chunk =>
        {
            for (int off = 0; off < chunk.Length && added < maxTransitions; off += (int)frameBytes, t++)
            {
                ReadOnlySpan<byte> frame = chunk.Slice(off, (int)frameBytes);
                bool terminal = terminals[t] != 0;
                if (toSkip > 0 && actions[t] == 0 && rewards[t] == 0f && !terminal && !frame.ContainsAnyExcept((byte)0))
                {
                    toSkip--;
                    first = false; // the shard begins an episode: its first real frame is a start
                    continue;
                }
                toSkip = 0;
                if (first && padding > 0) buffer.StartWithoutHistory();
                first = false;
                // The last transition we add ends its episode, so the next Fill (another shard) starts cleanly.
                bool end = terminal || (episodeEnds is not null && episodeEnds[t] != 0) || t == reader.Count - 1 || added == maxTransitions - 1;
                buffer.Add(frame, actions[t], rewards[t], terminal, end);
                added++;
                if (terminal) toSkip = padding;
            }
        });
        return added;
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
