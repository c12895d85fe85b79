namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// <c>y[o, j, i] = x[o, index[o, j, i], i]</c> with x viewed as [outer, nx, inner] and index and y as
    /// [outer, ni, inner]. Index values are exact integer floats in [0, nx); others throw.
    /// </summary>
    void Gather(Tensor y, Tensor x, Tensor index, int outer, int nx, int ni, int inner);

    /// <summary>
    /// <c>dx[o, index[o, j, i], i] += dy[o, j, i]</c> (the gather backward): repeated indices accumulate.
    /// </summary>
    void ScatterAdd(Tensor dx, Tensor dy, Tensor index, int outer, int nx, int ni, int inner);
}
