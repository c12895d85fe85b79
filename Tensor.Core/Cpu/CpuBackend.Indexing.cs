using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Gather(Tensor y, Tensor x, Tensor index, int outer, int nx, int ni, int inner) =>
        IndexingKernels.Gather(S(y), S(x), S(index), outer, nx, ni, inner);

    /// <inheritdoc/>
    public void ScatterAdd(Tensor dx, Tensor dy, Tensor index, int outer, int nx, int ni, int inner) =>
        IndexingKernels.ScatterAdd(S(dx), S(dy), S(index), outer, nx, ni, inner);
}
