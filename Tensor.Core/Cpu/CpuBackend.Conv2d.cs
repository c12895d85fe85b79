using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Conv2dForward(Tensor y, Tensor x, Tensor w, Tensor? bias, in Conv2dGeometry g) =>
        Conv2dKernels.Forward(S(y), S(x), S(w), bias is null ? default : S(bias), g);

    /// <inheritdoc/>
    public void Conv2dReluForward(Tensor y, Tensor x, Tensor w, Tensor? bias, in Conv2dGeometry g) =>
        Conv2dKernels.Forward(S(y), S(x), S(w), bias is null ? default : S(bias), g, relu: true);

    /// <inheritdoc/>
    public void Conv2dBackwardInput(Tensor dx, Tensor dy, Tensor w, in Conv2dGeometry g) =>
        Conv2dKernels.BackwardInput(S(dx), S(dy), S(w), g);

    /// <inheritdoc/>
    public void Conv2dBackwardWeight(Tensor? dw, Tensor? dBias, Tensor dy, Tensor x, in Conv2dGeometry g) =>
        Conv2dKernels.BackwardWeight(dw is null ? default : S(dw), dBias is null ? default : S(dBias), S(dy), S(x), g);
}
