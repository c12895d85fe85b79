using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void MaxPool2dForward(Tensor y, Tensor? argmax, Tensor x, in Conv2dGeometry g) =>
        PoolKernels.MaxForward(S(y), argmax is null ? default : S(argmax), S(x), g);

    /// <inheritdoc/>
    public void MaxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax, in Conv2dGeometry g) =>
        PoolKernels.MaxBackward(S(dx), S(dy), S(argmax), g);

    /// <inheritdoc/>
    public void AvgPool2dForward(Tensor y, Tensor x, in Conv2dGeometry g, bool countIncludePad) =>
        PoolKernels.AvgForward(S(y), S(x), g, countIncludePad);

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor dx, Tensor dy, in Conv2dGeometry g, bool countIncludePad) =>
        PoolKernels.AvgBackward(S(dx), S(dy), g, countIncludePad);
}
