namespace MoeScratch.Rl.Replay;

/// <summary>
/// A binary sum tree over <see cref="Capacity"/> non-negative leaf values, stored as one array in heap order
/// (node k has children 2k+1 and 2k+2), as in Dopamine's <c>dopamine/jax/replay_memory/sum_tree.py</c>.
/// The number of leaves is rounded up to a power of two; the padding leaves stay zero. For capacity 1M that is
/// 2^21 − 1 doubles = 16.8 MB.
/// </summary>
/// <remarks>
/// Unlike Dopamine, which adds a delta to every ancestor, <see cref="Set"/> recomputes each ancestor as the sum
/// of its two children. The tree is then a pure function of its leaves: no drift from rounding accumulates
/// over millions of updates, and <see cref="Load"/> can rebuild the inner nodes bit-for-bit from the leaves.
/// </remarks>
public sealed class SumTree
{
    private readonly double[] _nodes;
    private readonly int _firstLeaf;

    /// <summary>Creates an all-zero tree.</summary>
    /// <exception cref="ArgumentOutOfRangeException">capacity ≤ 0 or above 2^30.</exception>
    public SumTree(int capacity)
    {
        if (capacity <= 0 || capacity > 1 << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity,
                "SumTree: capacity must be in [1, 2^30].");
        }
        Capacity = capacity;
        int leaves = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _firstLeaf = leaves - 1;
        _nodes = new double[2 * leaves - 1];
    }

    /// <summary>Number of usable leaves.</summary>
    public int Capacity { get; }

    /// <summary>The sum of all leaves (the root).</summary>
    public double Total => _nodes[0];

    /// <summary>
    /// The largest value ever passed to <see cref="Set"/>, starting at 1.0 as in Dopamine; new transitions get
    /// this priority (Schaul et al. 2016).
    /// </summary>
    public double MaxRecorded { get; private set; } = 1.0;

    /// <summary>Bytes the tree's node array occupies for <paramref name="capacity"/> leaves.</summary>
    public static long BytesFor(int capacity) =>
        (2L * (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity) - 1) * sizeof(double);

    /// <summary>The value of leaf <paramref name="index"/>.</summary>
    public double Get(int index)
    {
        CheckIndex(index, "Get");
        return _nodes[_firstLeaf + index];
    }

    /// <summary>Sets leaf <paramref name="index"/> to <paramref name="value"/> and updates its ancestors, O(log n).</summary>
    /// <exception cref="ArgumentException">The value is negative, NaN or infinite.</exception>
    public void Set(int index, double value)
    {
        CheckIndex(index, "Set");
        if (!(value >= 0.0) || double.IsInfinity(value))
        {
            throw new ArgumentException($"SumTree.Set: value {value} at index {index} must be finite and ≥ 0.");
        }
        MaxRecorded = Math.Max(MaxRecorded, value);
        int node = _firstLeaf + index;
        _nodes[node] = value;
        while (node > 0)
        {
            node = (node - 1) / 2;
            _nodes[node] = _nodes[2 * node + 1] + _nodes[2 * node + 2];
        }
    }

    /// <summary>
    /// Inverse-CDF lookup: the leaf i with Σ_{j&lt;i} v_j ≤ target &lt; Σ_{j≤i} v_j. A target in [0, Total) picks
    /// leaf i with probability v_i / Total. Never returns a zero-valued leaf.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tree is empty (Total = 0).</exception>
    /// <exception cref="ArgumentOutOfRangeException">target outside [0, Total].</exception>
    public int Query(double target)
    {
        if (!(Total > 0.0))
        {
            throw new InvalidOperationException("SumTree.Query: the tree is empty (total 0); set a positive value first.");
        }
        if (!(target >= 0.0 && target <= Total))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, $"SumTree.Query: target must lie in [0, {Total}].");
        }
        int node = 0;
        while (node < _firstLeaf)
        {
            int left = 2 * node + 1;
            double leftSum = _nodes[left];
            // Rounding can leave target ≥ left + right at the boundary; never step into an empty subtree.
            if (target < leftSum || _nodes[left + 1] <= 0.0)
            {
                node = left;
            }
            else
            {
                target -= leftSum;
                node = left + 1;
            }
        }
        return node - _firstLeaf;
    }

    /// <summary>Sets every leaf to zero; <see cref="MaxRecorded"/> is kept (as in Dopamine).</summary>
    public void Clear() => Array.Clear(_nodes);

    /// <summary>Writes capacity, <see cref="MaxRecorded"/> and the leaves (inner nodes are rebuilt on load).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Capacity);
        writer.Write(MaxRecorded);
        for (int i = 0; i < Capacity; i++) writer.Write(_nodes[_firstLeaf + i]);
    }

    /// <summary>Restores a state written by <see cref="Save"/> into a tree of the same capacity.</summary>
    /// <exception cref="InvalidDataException">Capacity mismatch or invalid values.</exception>
    public void Load(BinaryReader reader)
    {
        int capacity = reader.ReadInt32();
        if (capacity != Capacity)
        {
            throw new InvalidDataException(
                $"SumTree.Load: the saved tree has capacity {capacity}, this one {Capacity}; construct it with the " +
                "saved capacity.");
        }
        double max = reader.ReadDouble();
        Array.Clear(_nodes);
        for (int i = 0; i < Capacity; i++)
        {
            double v = reader.ReadDouble();
            if (!(v >= 0.0) || double.IsInfinity(v))
            {
                throw new InvalidDataException($"SumTree.Load: leaf {i} holds {v}; the state is corrupt.");
            }
            _nodes[_firstLeaf + i] = v;
        }
        for (int node = _firstLeaf - 1; node >= 0; node--)
        {
            _nodes[node] = _nodes[2 * node + 1] + _nodes[2 * node + 2];
        }
        MaxRecorded = max;
    }

    private void CheckIndex(int index, string op)
    {
        if ((uint)index >= (uint)Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"SumTree.{op}: index must be in [0, {Capacity}).");
        }
    }
}
