namespace MoeScratch.Tensors;

/// <summary>Reductions over axes.</summary>
public enum ReduceOp
{
    /// <summary>Σ.</summary>
    Sum,
    /// <summary>max (NaN propagates).</summary>
    Max,
    /// <summary>min (NaN propagates).</summary>
    Min,
}

public partial interface IBackend
{
    /// <summary>
    /// Reduces <paramref name="x"/> over the axes where y's (keep-dims) shape has size 1 and x's does not.
    /// y has x's rank.
    /// </summary>
    void Reduce(ReduceOp op, Tensor y, Tensor x);
}
