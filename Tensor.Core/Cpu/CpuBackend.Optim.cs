using MoeScratch.Tensors.Cpu.Kernels;

namespace MoeScratch.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void AdamStep(Tensor param, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
                         float c1, float c2, float weightDecay) =>
        OptimKernels.Adam(S(param), S(m), S(v), S(grad), lr, beta1, beta2, eps, c1, c2, weightDecay);

    /// <inheritdoc/>
    public void RmsPropStep(Tensor param, Tensor v, Tensor? avg, Tensor? mom, Tensor grad, float lr, float rho,
                            float eps, float momentum, bool epsInsideSqrt) =>
        OptimKernels.RmsProp(S(param), S(v), avg is null ? default : S(avg), mom is null ? default : S(mom), S(grad),
                             lr, rho, eps, momentum, avg is not null, epsInsideSqrt);

    /// <inheritdoc/>
    public void SgdStep(Tensor param, Tensor? buf, Tensor grad, float lr, float momentum) =>
        OptimKernels.Sgd(S(param), buf is null ? default : S(buf), S(grad), lr, momentum);
}
