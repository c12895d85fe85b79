using System.Runtime.InteropServices;
using System.Text;

namespace MoeScratch.Rl.Replay;

public sealed partial class ReplayBuffer
{
    // "MSRB": MoeScratch replay buffer. Bump the version whenever the layout below changes.
    // Arrays are written in machine byte order through MemoryMarshal; every .NET 10 target is little-endian.
    private const uint Magic = 0x4252534D;
    private const int FormatVersion = 1;

    /// <summary>
    /// Writes the complete state for bit-exact resume: configuration, add count, episode
    /// bookkeeping, the stored slots (frames, actions, rewards, flags) and the sampler (RNG, priorities).
    /// Little-endian binary; the stream is left open. Uncompressed: wrap it in a compressing stream if wanted.
    /// </summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        WriteConfig(w, Config);
        w.Write(AddCount);
        w.Write(_nextIsEpisodeStart);
        int stored = Count;
        foreach (var chunk in StoredFrameChunks(stored)) w.Write(chunk.Span);
        w.Write(MemoryMarshal.AsBytes(_actions.AsSpan(0, stored)));
        w.Write(MemoryMarshal.AsBytes(_rewards.AsSpan(0, stored)));
        w.Write(_flags.AsSpan(0, stored));
        w.Write(Sampler.Kind);
        Sampler.Save(w);
    }

    /// <summary>
    /// Restores a state written by <see cref="Save"/> into this buffer, which must have been built with the same
    /// configuration and the same kind of sampler. The header is checked before anything is overwritten; if the
    /// stream ends or is corrupt later, the buffer is left in an undefined state and must not be used.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a replay checkpoint, another format version, another
    /// configuration or sampler kind, or a truncated/corrupt stream; the message names what differs.</exception>
    public void Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            LoadCore(r);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("ReplayBuffer.Load: the stream ended early; the checkpoint is truncated.", e);
        }
    }

    private void LoadCore(BinaryReader r)
    {
        if (r.ReadUInt32() != Magic)
        {
            throw new InvalidDataException("ReplayBuffer.Load: not a MoeScratch replay checkpoint (bad magic number).");
        }
        int version = r.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException(
                $"ReplayBuffer.Load: checkpoint format version {version}, this build reads version {FormatVersion}.");
        }
        ReplayConfig saved = ReadConfig(r);
        if (saved != Config)
        {
            throw new InvalidDataException(
                $"ReplayBuffer.Load: the checkpoint was written with {saved} but this buffer has {Config}; construct " +
                "the buffer with the saved configuration.");
        }
        long addCount = r.ReadInt64();
        if (addCount < 0)
        {
            throw new InvalidDataException($"ReplayBuffer.Load: add count {addCount} is negative; the checkpoint is corrupt.");
        }
        bool nextIsStart = r.ReadBoolean();
        int stored = (int)Math.Min(addCount, Capacity);
        foreach (var chunk in StoredFrameChunks(stored)) r.BaseStream.ReadExactly(chunk.Span);
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(_actions.AsSpan(0, stored)));
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(_rewards.AsSpan(0, stored)));
        r.BaseStream.ReadExactly(_flags.AsSpan(0, stored));
        Array.Clear(_actions, stored, Capacity - stored);
        Array.Clear(_rewards, stored, Capacity - stored);
        Array.Clear(_flags, stored, Capacity - stored);
        string kind = r.ReadString();
        if (kind != Sampler.Kind)
        {
            throw new InvalidDataException(
                $"ReplayBuffer.Load: the checkpoint holds a '{kind}' sampler but this buffer uses '{Sampler.Kind}'.");
        }
        Sampler.Load(r);
        AddCount = addCount;
        _nextIsEpisodeStart = nextIsStart;
    }

    /// <summary>The frame bytes of slots 0..stored−1, chunk by chunk (slots are contiguous across chunks).</summary>
    private IEnumerable<Memory<byte>> StoredFrameChunks(int stored)
    {
        for (int c = 0, first = 0; first < stored; c++, first += _framesPerChunk)
        {
            yield return _frameChunks[c].AsMemory(0, Math.Min(_framesPerChunk, stored - first) * Config.FrameBytes);
        }
    }

    private static void WriteConfig(BinaryWriter w, ReplayConfig c)
    {
        w.Write(c.Capacity);
        w.Write(c.Height);
        w.Write(c.Width);
        w.Write(c.Channels);
        w.Write(c.StackSize);
        w.Write(c.UpdateHorizon);
        w.Write(c.Gamma);
        w.Write(c.BatchSize);
    }

    private static ReplayConfig ReadConfig(BinaryReader r) => new()
    {
        Capacity = r.ReadInt32(),
        Height = r.ReadInt32(),
        Width = r.ReadInt32(),
        Channels = r.ReadInt32(),
        StackSize = r.ReadInt32(),
        UpdateHorizon = r.ReadInt32(),
        Gamma = r.ReadSingle(),
        BatchSize = r.ReadInt32(),
    };
}
