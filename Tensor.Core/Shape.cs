using System.Collections;
using System.Runtime.CompilerServices;
using MoeScratch.Tensors.Internal;

namespace MoeScratch.Tensors;

/// <summary>
/// An immutable list of dimension sizes (row-major, last dimension contiguous).
/// Images are NHWC throughout MoeScratch: see <c>Ops.Conv2d</c> for why.
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    /// <summary>Creates a shape from dimension sizes; every size must be ≥ 0.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    public Shape(params int[] dims)
    {
        foreach (int d in dims)
        {
            if (d < 0)
            {
                ThrowHelper.Argument($"Shape: dimensions must be >= 0, got {Format(dims)}.");
            }
        }
        _dims = (int[])dims.Clone();
    }

    private Shape(int[] dims, bool noCopy) => _dims = dims;

    internal static Shape Wrap(int[] dims) => new(dims, noCopy: true);

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int Count
    {
        get
        {
            long n = 1;
            if (_dims is null) return 1;
            foreach (int d in _dims) n *= d;
            if (n > int.MaxValue) ThrowHelper.Argument($"Shape {this} has {n} elements, more than int.MaxValue.");
            return (int)n;
        }
    }

    /// <summary>The size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => Dims[NormalizeAxis(axis, Rank, "Shape")];

    int IReadOnlyCollection<int>.Count => Rank;

    /// <summary>The dimensions as a span (no copy).</summary>
    public ReadOnlySpan<int> Dims => _dims ?? [];

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <summary>Row-major strides in elements.</summary>
    public int[] Strides()
    {
        var s = new int[Rank];
        int acc = 1;
        for (int i = Rank - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Dims[i];
        }
        return s;
    }

    /// <summary>Maps a possibly negative axis into [0, rank) or throws an error naming the op.</summary>
    public static int NormalizeAxis(int axis, int rank, string op)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            ThrowHelper.Argument($"{op}: axis {axis} is out of range for a tensor of rank {rank} " +
                                 $"(valid: {-rank}..{rank - 1}).");
        }
        return a;
    }

    /// <summary>NumPy broadcasting of two shapes; throws naming <paramref name="op"/> and both shapes.</summary>
    public static Shape Broadcast(Shape a, Shape b, string op)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a.Dims[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b.Dims[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                ThrowHelper.Argument($"{op}: shapes {a} and {b} cannot be broadcast together " +
                                     $"(dimension {i} of the result: {da} vs {db}).");
            }
            dims[i] = da == 1 ? db : da;
        }
        return Wrap(dims);
    }

    /// <summary>
    /// Strides (in elements) that read a tensor of this shape as if it had <paramref name="target"/>'s shape:
    /// broadcast dimensions get stride 0.
    /// </summary>
    public int[] BroadcastStrides(Shape target)
    {
        var own = Strides();
        var s = new int[target.Rank];
        int off = target.Rank - Rank;
        for (int i = 0; i < target.Rank; i++)
        {
            int j = i - off;
            s[i] = j < 0 || Dims[j] == 1 ? 0 : own[j];
        }
        return s;
    }

    /// <summary>Formats as "[2, 3, 4]".</summary>
    public override string ToString() => Format(Dims);

    internal static string Format(ReadOnlySpan<int> dims)
    {
        var sb = new System.Text.StringBuilder("[");
        for (int i = 0; i < dims.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(dims[i]);
        }
        return sb.Append(']').ToString();
    }

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Shape equality.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Shape inequality.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Implicit conversion from an array of dimensions.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)ToArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int[] Raw() => _dims ?? [];
}
