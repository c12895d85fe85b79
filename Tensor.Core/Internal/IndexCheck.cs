namespace MoeScratch.Tensors.Internal;

/// <summary>
/// Validation of index values, which are float32 holding exact integers (see <see cref="Ops"/> remarks); shared by
/// the ops layer (OneHot) and the CPU gather/scatter kernels.
/// </summary>
internal static class IndexCheck
{
    /// <summary>Converts an index float, rejecting fractions, NaN and values outside [0, n).</summary>
    public static int ToIndex(float v, int n, string op)
    {
        int k = (int)v;
        if (k != v || k < 0 || k >= n)
        {
            ThrowHelper.Argument($"{op}: index value {v} is not an integer in [0, {n}) (the size of the indexed axis).");
        }
        return k;
    }
}
