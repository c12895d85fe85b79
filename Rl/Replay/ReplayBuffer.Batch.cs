namespace MoeScratch.Rl.Replay;

public sealed partial class ReplayBuffer
{
    /// <summary>
    /// Writes the transitions at <paramref name="indices"/> into preallocated batch buffers; nothing is allocated.
    /// </summary>
    /// <param name="indices">B valid indices, e.g. from <see cref="SampleIndices"/>.</param>
    /// <param name="states">[B, H, W, StackSize·C] bytes: HWC with the stack along the channel axis, oldest frame
    /// first (channel k·C + c of a pixel is channel c of frame k). Frames from before the episode start are 0.</param>
    /// <param name="actions">[B] the action a_t.</param>
    /// <param name="returns">[B] Σ_{k&lt;n} γ^k r_{t+k}, cut after a terminal.</param>
    /// <param name="discounts">[B] γ^n for the bootstrap term, or 0 when a terminal lies in the window.</param>
    /// <param name="nextStates">[B, H, W, StackSize·C] the state at t+n; all zeros when the window hit a terminal
    /// (its value is multiplied by a zero discount).</param>
    /// <exception cref="ArgumentException">A span has the wrong length or an index is not valid.</exception>
    public void FillBatch(ReadOnlySpan<int> indices, Span<byte> states, Span<int> actions, Span<float> returns,
        Span<float> discounts, Span<byte> nextStates)
    {
        int b = indices.Length, stateBytes = Config.StateBytes;
        CheckLength(states.Length, (long)b * stateBytes, "states");
        CheckLength(nextStates.Length, (long)b * stateBytes, "nextStates");
        CheckLength(actions.Length, b, "actions");
        CheckLength(returns.Length, b, "returns");
        CheckLength(discounts.Length, b, "discounts");
        for (int i = 0; i < b; i++)
        {
            if (!IsValidIndex(indices[i]))
            {
                throw new ArgumentException(
                    $"ReplayBuffer.FillBatch: index {indices[i]} (row {i}) is not a valid transition now; sample " +
                    "indices with SampleIndices and fill the batch before adding more transitions.");
            }
            long t = GlobalOf(indices[i]);
            WriteStack(t, states.Slice(i * stateBytes, stateBytes));
            actions[i] = _actions[Slot(t)];
            (returns[i], bool cut) = NStepReturn(t);
            discounts[i] = cut ? 0f : _gammaPowers[Config.UpdateHorizon];
            Span<byte> next = nextStates.Slice(i * stateBytes, stateBytes);
            if (cut) next.Clear();
            else WriteStack(t + Config.UpdateHorizon, next);
        }
    }

    /// <summary>
    /// The n-step return from transition t: Σ_{k=0}^{m−1} γ^k r_{t+k}, with m = n, or m = k+1 when transition
    /// t+k is terminal (then <c>cut</c> is true and no bootstrap follows). papers.md §5.1.
    /// </summary>
    private (float Return, bool Cut) NStepReturn(long t)
    {
        float sum = 0f;
        for (int k = 0; k < Config.UpdateHorizon; k++)
        {
            int slot = Slot(t + k);
            sum += _gammaPowers[k] * _rewards[slot];
            if ((_flags[slot] & FlagTerminal) != 0) return (sum, true);
        }
        return (sum, false);
    }

    /// <summary>Assembles the stacked state ending at frame t into <paramref name="dst"/> [H, W, StackSize·C].</summary>
    private void WriteStack(long t, Span<byte> dst)
    {
        int stack = Config.StackSize, c = Config.Channels, pixels = Config.Height * Config.Width;
        // Walk back from t to the first frame of the stack that belongs to t's episode.
        int real = 1;
        while (real < stack && (_flags[Slot(t - real + 1)] & FlagEpisodeStart) == 0) real++;
        int zeros = stack - real;
        if (zeros > 0) dst.Clear();
        for (int k = zeros; k < stack; k++)
        {
            ReadOnlySpan<byte> frame = Frame(Slot(t - (stack - 1) + k));
            if (stack == 1)
            {
                frame.CopyTo(dst);
            }
            else if (c == 1)
            {
                // Grayscale Atari: pixel p of frame k goes to byte p·stack + k.
                for (int p = 0, o = k; p < pixels; p++, o += stack) dst[o] = frame[p];
            }
            else
            {
                int rowStride = stack * c;
                for (int p = 0; p < pixels; p++)
                {
                    frame.Slice(p * c, c).CopyTo(dst.Slice(p * rowStride + k * c, c));
                }
            }
        }
    }

    private static void CheckLength(long actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException(
                $"ReplayBuffer.FillBatch: {name} has length {actual} but the batch needs {expected}.", name);
        }
    }
}
