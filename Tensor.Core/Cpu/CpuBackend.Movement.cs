using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Permute(Tensor y, Tensor x, int[] perm) => MovementKernels.Permute(S(y), S(x), x.Shape.Dims, perm);

    /// <inheritdoc/>
    public void SliceCopy(Tensor y, Tensor x, int outer, int nx, int inner, int start, int ny) =>
        MovementKernels.SliceCopy(S(y), S(x), outer, nx, inner, start, ny);

    /// <inheritdoc/>
    public void SliceAdd(Tensor dx, Tensor dy, int outer, int nx, int inner, int start, int ny) =>
        MovementKernels.SliceAdd(S(dx), S(dy), outer, nx, inner, start, ny);
}
