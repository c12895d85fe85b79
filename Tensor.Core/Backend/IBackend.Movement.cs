namespace MoeScratch.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// <c>y = x.permute(perm)</c> as a copy: y's dimension d is x's dimension <c>perm[d]</c>.
    /// </summary>
    void Permute(Tensor y, Tensor x, int[] perm);

    /// <summary>
    /// Copies the block <c>x[:, start : start + ny, :]</c> of x viewed as [outer, nx, inner] into y
    /// [outer, ny, inner].
    /// </summary>
    void SliceCopy(Tensor y, Tensor x, int outer, int nx, int inner, int start, int ny);

    /// <summary>
    /// <c>dx[:, start : start + ny, :] += dy</c> with dx viewed as [outer, nx, inner] and dy as [outer, ny, inner]
    /// (the slice backward; also the forward of concatenation into a zeroed output).
    /// </summary>
    void SliceAdd(Tensor dx, Tensor dy, int outer, int nx, int inner, int start, int ny);
}
