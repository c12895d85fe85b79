using ILGPU;
using MoeScratch.Tensors.Gpu.Kernels;

namespace MoeScratch.Tensors.Gpu;

public sealed partial class GpuBackend
{
    /// <inheritdoc/>
    public void AdamStep(Tensor param, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
                         float c1, float c2, float weightDecay)
    {
        if (param.Count == 0) return;
        var o = new OptimParams
        {
            Lr = lr, Beta1 = beta1, Beta2 = beta2, Eps = eps, InvC1 = 1f / c1, InvC2 = 1f / c2, WeightDecay = weightDecay,
        };
        var s = Bounds(param.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, OptimParams,
            GridStride>(OptimKernels.Adam)(s.Stride, V(param), V(m), V(v), V(grad), o, s);
    }

    /// <inheritdoc/>
    public void RmsPropStep(Tensor param, Tensor v, Tensor? avg, Tensor? mom, Tensor grad, float lr, float rho,
                            float eps, float momentum, bool epsInsideSqrt)
    {
        if (param.Count == 0) return;
        RequireMomentumBuffer("RmsPropStep", momentum, mom);
        var o = new OptimParams
        {
            Lr = lr, Rho = rho, Eps = eps, Momentum = momentum, Centered = avg is null ? 0 : 1,
            EpsInsideSqrt = epsInsideSqrt ? 1 : 0, HasMomentum = momentum != 0f && mom is not null ? 1 : 0,
        };
        var p = V(param);
        var s = Bounds(param.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            OptimParams, GridStride>(OptimKernels.RmsProp)(
            s.Stride, p, V(v), avg is null ? p : V(avg), mom is null ? p : V(mom), V(grad), o, s);
    }

    /// <inheritdoc/>
    public void SgdStep(Tensor param, Tensor? buf, Tensor grad, float lr, float momentum)
    {
        if (param.Count == 0) return;
        RequireMomentumBuffer("SgdStep", momentum, buf);
        var o = new OptimParams { Lr = lr, Momentum = momentum, HasMomentum = momentum != 0f && buf is not null ? 1 : 0 };
        var p = V(param);
        var s = Bounds(param.Count);
        Kernels.Auto<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, OptimParams, GridStride>(
            OptimKernels.Sgd)(s.Stride, p, buf is null ? p : V(buf), V(grad), o, s);
    }

    private static void RequireMomentumBuffer(string op, float momentum, Tensor? buffer)
    {
        if (momentum != 0f && buffer is null)
        {
            throw new ArgumentException($"{op}: momentum is {momentum} but no momentum buffer was given; pass a " +
                                        "zero-initialized buffer of the parameter's shape.");
        }
    }
}
