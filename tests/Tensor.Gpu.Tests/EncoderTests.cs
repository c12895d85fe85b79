using MoeScratch.Nn;
using MoeScratch.Nn.Encoders;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>
/// The paper's encoders (Nature-CNN, IMPALA-CNN; papers.md §4) run forward and backward on the GPU backend and
/// match the CPU backend: outputs and every parameter gradient (tiny inputs for the CPU accelerator).
/// </summary>
public abstract class EncoderTests : GpuTestBase
{
    private void CheckModule(string name, Func<Module> create, int[] inputShape, double tol, bool backward = true)
    {
        var cpu = create();
        var gpu = create().MoveTo(Gpu);
        var rng = new Rng(17);
        var x = RandomData(rng, new Shape(inputShape).Count, 0f, 1f);
        var yc = ((Layer)cpu).Forward(Tensor.FromArray(x, new Shape(inputShape), CpuBackend.Instance));
        var yg = ((Layer)gpu).Forward(Tensor.FromArray(x, new Shape(inputShape), Gpu));
        AssertClose($"{name} forward", yg.ToArray(), yc.ToArray(), tol);
        if (!backward) return;
        var w = RandomData(rng, yc.Count, 0.5f, 1.5f);
        Ops.Sum(Ops.Mul(yc, Tensor.FromArray(w, yc.Shape, CpuBackend.Instance))).Backward();
        Ops.Sum(Ops.Mul(yg, Tensor.FromArray(w, yg.Shape, Gpu))).Backward();
        var pc = cpu.NamedParameters().ToList();
        var pg = gpu.NamedParameters().ToList();
        Assert.That(pg.Select(p => p.Key), Is.EqualTo(pc.Select(p => p.Key)));
        for (int i = 0; i < pc.Count; i++)
        {
            Assert.That(pg[i].Value.Grad, Is.Not.Null, $"{name}: {pg[i].Key} got no gradient");
            AssertClose($"{name} gradient of {pc[i].Key}", pg[i].Value.Grad!.ToArray(), pc[i].Value.Grad!.ToArray(), tol);
        }
    }

    // Forward only: its backward (long K = 4·4·64 GEMMs with a barrier per 4-wide tile step) takes minutes on the
    // CPU emulator; the same kernels' backward passes are covered by the IMPALA test and Conv2dKernelsTests.
    [Test]
    public void NatureCnn_Forward_MatchesCpu() =>
        CheckModule("NatureCnn", () => new NatureCnn(2, new Rng(1)), [1, 36, 36, 2], 1e-4, backward: false);

    [Test]
    public void ImpalaEncoder_ForwardAndBackward_MatchCpu() =>
        CheckModule("ImpalaEncoder", () => new ImpalaEncoder(2, new Rng(2), stackChannels: [3, 4], blocksPerStack: 1),
                    [2, 12, 12, 2], 1e-4);
}
