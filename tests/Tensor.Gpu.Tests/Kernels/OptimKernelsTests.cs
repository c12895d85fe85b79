using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>The fused optimizer kernels against the CPU backend over three steps (state carried across).</summary>
public abstract class OptimKernelsTests : GpuTestBase
{
    private (Tensor[] Cpu, Tensor[] Gpu) Pair(int count, int n, ulong seed)
    {
        var rng = new Rng(seed);
        var cpu = new Tensor[count];
        var gpu = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            // Slot 0 is the parameter, the last slot the gradient; state buffers start at zero as optimizers do.
            var d = i == 0 || i == count - 1 ? RandomData(rng, n) : new float[n];
            cpu[i] = Tensor.FromArray(d, new Shape(n), CpuBackend.Instance);
            gpu[i] = Tensor.FromArray(d, new Shape(n), Gpu);
        }
        return (cpu, gpu);
    }

    private static void AssertAll(string what, Tensor[] gpu, Tensor[] cpu)
    {
        for (int i = 0; i < cpu.Length; i++) AssertClose($"{what} tensor {i}", gpu[i].ToArray(), cpu[i].ToArray(), 1e-5);
    }

    // OptimKernels.Adam (with and without decoupled weight decay).
    [TestCase(0f)]
    [TestCase(0.01f)]
    public void Adam_ThreeSteps_MatchCpu(float weightDecay)
    {
        var (c, g) = Pair(4, 23, 1);
        for (int t = 1; t <= 3; t++)
        {
            float c1 = 1f - MathF.Pow(0.9f, t), c2 = 1f - MathF.Pow(0.999f, t);
            CpuBackend.Instance.AdamStep(c[0], c[1], c[2], c[3], 1e-2f, 0.9f, 0.999f, 1e-8f, c1, c2, weightDecay);
            Gpu.AdamStep(g[0], g[1], g[2], g[3], 1e-2f, 0.9f, 0.999f, 1e-8f, c1, c2, weightDecay);
        }
        AssertAll("Adam", g, c);
    }

    // OptimKernels.RmsProp: plain, centered with momentum, eps inside/outside the root.
    [TestCase(false, 0f, true)]
    [TestCase(true, 0.9f, false)]
    public void RmsProp_ThreeSteps_MatchCpu(bool centered, float momentum, bool epsInside)
    {
        var (c, g) = Pair(5, 19, 2);
        for (int t = 0; t < 3; t++)
        {
            CpuBackend.Instance.RmsPropStep(c[0], c[1], centered ? c[2] : null, momentum != 0 ? c[3] : null, c[4],
                                            1e-2f, 0.95f, 1e-5f, momentum, epsInside);
            Gpu.RmsPropStep(g[0], g[1], centered ? g[2] : null, momentum != 0 ? g[3] : null, g[4],
                            1e-2f, 0.95f, 1e-5f, momentum, epsInside);
        }
        AssertAll("RmsProp", g, c);
    }

    // OptimKernels.Sgd.
    [TestCase(0f)]
    [TestCase(0.9f)]
    public void Sgd_ThreeSteps_MatchCpu(float momentum)
    {
        var (c, g) = Pair(3, 17, 3);
        for (int t = 0; t < 3; t++)
        {
            CpuBackend.Instance.SgdStep(c[0], momentum != 0 ? c[1] : null, c[2], 0.1f, momentum);
            Gpu.SgdStep(g[0], momentum != 0 ? g[1] : null, g[2], 0.1f, momentum);
        }
        AssertAll("Sgd", g, c);
    }

    [Test]
    public void Sgd_MomentumWithoutBuffer_Throws()
    {
        using var p = Tensor.Zeros(new Shape(3), Gpu);
        Assert.That(() => Gpu.SgdStep(p, null, p, 0.1f, 0.9f), Throws.ArgumentException.With.Message.Contains("SgdStep"));
    }
}
