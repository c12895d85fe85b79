using System.Buffers.Binary;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

/// <summary>
/// A seedable, serialisable PRNG: xoshiro256** (Blackman &amp; Vigna 2018) seeded through SplitMix64.
/// <see cref="System.Random"/> cannot be checkpointed and its seeded stream is not promised across .NET versions
/// (they may change); bit-exact resume needs this. Pass instances explicitly; there is no hidden global.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Size in bytes of <see cref="SaveState"/>'s output.</summary>
    public const int StateSize = 32;

    /// <summary>
    /// A child stream whose seed is derived from this generator's seed and <paramref name="stream"/>
    /// (exploration, replay sampling, noisy nets, augmentation each get their own).
    /// </summary>
    public static Rng ForStream(ulong seed, ulong stream)
    {
        ulong x = seed ^ (0x9E3779B97F4A7C15UL * (stream + 1));
        return new Rng(SplitMix64(ref x));
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias (Lemire's method).</summary>
    /// <exception cref="ArgumentOutOfRangeException">maxExclusive ≤ 0.</exception>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "Rng.NextInt: the bound must be positive.");
        }
        ulong bound = (ulong)maxExclusive;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 m = (UInt128)r * bound;
            if ((ulong)m >= threshold) return (int)(m >> 64);
        }
    }

    /// <summary>Standard normal sample (Box–Muller; both uniforms drawn per call, so no hidden cached state).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Writes the 32-byte state.</summary>
    public byte[] SaveState()
    {
        var b = new byte[StateSize];
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(0), _s0);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), _s1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), _s2);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), _s3);
        return b;
    }

    /// <summary>Restores a state written by <see cref="SaveState"/>; the stream continues exactly.</summary>
    /// <exception cref="ArgumentException">Wrong length, or the all-zero state (invalid for xoshiro).</exception>
    public void RestoreState(ReadOnlySpan<byte> state)
    {
        if (state.Length != StateSize)
        {
            ThrowHelper.Argument($"Rng.RestoreState: expected {StateSize} bytes, got {state.Length}.");
        }
        ulong a = BinaryPrimitives.ReadUInt64LittleEndian(state), b = BinaryPrimitives.ReadUInt64LittleEndian(state[8..]);
        ulong c = BinaryPrimitives.ReadUInt64LittleEndian(state[16..]), d = BinaryPrimitives.ReadUInt64LittleEndian(state[24..]);
        if ((a | b | c | d) == 0) ThrowHelper.Argument("Rng.RestoreState: the all-zero state is not a valid xoshiro256** state.");
        (_s0, _s1, _s2, _s3) = (a, b, c, d);
    }

    /// <summary>A copy with the same state.</summary>
    public Rng Clone()
    {
        var r = new Rng(0);
        r.RestoreState(SaveState());
        return r;
    }
}
