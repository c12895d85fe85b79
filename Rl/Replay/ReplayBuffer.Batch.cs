using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// t+k is terminal (then <c>cut</c> is true and no bootstrap follows).
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
        int stack = Config.StackSize;
        // Walk back from t to the first frame of the stack that belongs to t's episode.
        int real = 1;
        while (real < stack && (_flags[Slot(t - real + 1)] & FlagEpisodeStart) == 0) real++;
        int zeros = stack - real;
        if (stack == 1)
        {
            Frame(Slot(t)).CopyTo(dst);
        }
        else if (zeros == 0 && stack == 4 && Config.Channels == 1 && BitConverter.IsLittleEndian)
        {
            Interleave4(Frame(Slot(t - 3)), Frame(Slot(t - 2)), Frame(Slot(t - 1)), Frame(Slot(t)), dst);
        }
        else
        {
            dst.Clear();
            for (int k = zeros; k < stack; k++) ScatterFrame(Frame(Slot(t - (stack - 1) + k)), k, dst);
        }
    }

    /// <summary>Reference path: frame k of the stack goes to channels k·C … k·C + C − 1 of every pixel.</summary>
    private void ScatterFrame(ReadOnlySpan<byte> frame, int k, Span<byte> dst)
    {
        int stack = Config.StackSize, c = Config.Channels, pixels = Config.Height * Config.Width;
        if (c == 1)
        {
            for (int p = 0, o = k; p < pixels; p++, o += stack) dst[o] = frame[p];
            return;
        }
        int pixelStride = stack * c;
        for (int p = 0; p < pixels; p++) frame.Slice(p * c, c).CopyTo(dst.Slice(p * pixelStride + k * c, c));
    }

    /// <summary>
    /// Fast path for the Atari case (4 grayscale frames, no padding): pixel p becomes the 4 bytes f0[p], f1[p],
    /// f2[p], f3[p]. SSE2 interleaves 16 pixels per step with two rounds of unpacks; the scalar loop does one
    /// 32-bit little-endian store per pixel. Tests compare both with <see cref="ScatterFrame"/>.
    /// </summary>
    private static void Interleave4(ReadOnlySpan<byte> f0, ReadOnlySpan<byte> f1, ReadOnlySpan<byte> f2,
        ReadOnlySpan<byte> f3, Span<byte> dst)
    {
        int n = dst.Length / 4, p = 0;
        if (Sse2.IsSupported)
        {
            ref byte d = ref MemoryMarshal.GetReference(dst);
            for (; p + 16 <= n; p += 16)
            {
                var a = Vector128.Create(f0.Slice(p, 16));
                var b = Vector128.Create(f1.Slice(p, 16));
                var c = Vector128.Create(f2.Slice(p, 16));
                var e = Vector128.Create(f3.Slice(p, 16));
                // Round 1: byte pairs (f0 f1) and (f2 f3); round 2: 16-bit pairs give f0 f1 f2 f3 per pixel.
                Vector128<ushort> ab0 = Sse2.UnpackLow(a, b).AsUInt16(), ab1 = Sse2.UnpackHigh(a, b).AsUInt16();
                Vector128<ushort> ce0 = Sse2.UnpackLow(c, e).AsUInt16(), ce1 = Sse2.UnpackHigh(c, e).AsUInt16();
                int o = 4 * p;
                Sse2.UnpackLow(ab0, ce0).AsByte().StoreUnsafe(ref d, (nuint)o);
                Sse2.UnpackHigh(ab0, ce0).AsByte().StoreUnsafe(ref d, (nuint)(o + 16));
                Sse2.UnpackLow(ab1, ce1).AsByte().StoreUnsafe(ref d, (nuint)(o + 32));
                Sse2.UnpackHigh(ab1, ce1).AsByte().StoreUnsafe(ref d, (nuint)(o + 48));
            }
        }
        Span<uint> words = MemoryMarshal.Cast<byte, uint>(dst);
        for (; p < n; p++)
        {
            words[p] = f0[p] | ((uint)f1[p] << 8) | ((uint)f2[p] << 16) | ((uint)f3[p] << 24);
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
