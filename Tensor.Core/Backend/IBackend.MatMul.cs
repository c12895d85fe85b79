namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Batched matrix product <c>c[i] (+)= op(a[i]) · op(b[i])</c> on row-major matrices, op = transpose when the
    /// flag is set. a is [Ba, rows, cols], b is [Bb, rows, cols], c is [Bc, M, N], given as <paramref name="batchA"/>
    /// etc. Ba and Bb are 1 (shared) or B = max(Ba, Bb); Bc is B, or 1 to sum all B products into one matrix
    /// (the gradient of a shared weight). <paramref name="accumulate"/> adds into c instead of overwriting.
    /// </summary>
    void MatMul(Tensor c, Tensor a, bool transA, Tensor b, bool transB, int batchA, int batchB, int batchC,
                int m, int n, int k, bool accumulate);
}
