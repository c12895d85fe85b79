namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Indices of the <paramref name="k"/> largest elements along the middle axis of x viewed as [outer, n, inner],
    /// written as exact integer floats into <paramref name="indices"/> [outer, k, inner], ordered by descending
    /// value; equal values keep ascending index order and NaN counts as larger than every number.
    /// </summary>
    void TopK(Tensor indices, Tensor x, int outer, int n, int inner, int k);
}
