using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void TopK(Tensor indices, Tensor x, int outer, int n, int inner, int k) =>
        TopKKernels.TopK(S(indices), S(x), outer, n, inner, k);
}
