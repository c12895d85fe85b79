using MoeScratch.Nn;
using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Moe;
using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests;

/// <summary>
/// The IMPALA-CNN encoder (P1 §4) and MoE layers (Soft MoE, Top-k MoE; P1
/// §2.2, §4.2) run forward and backward on the GPU backend and match the CPU backend: outputs and every parameter
/// gradient (tiny sizes for the CPU accelerator).
/// </summary>
public abstract class NetworkTests : GpuTestBase
{
    private void CheckModule(string name, Func<Module> create, int[] inputShape, double tol,
                             Func<Module, Tensor, Tensor>? forward = null)
    {
        forward ??= (module, input) => ((Layer)module).Forward(input);
        var cpu = create();
        var gpu = create().MoveTo(Gpu);
        var rng = new Rng(17);
        var x = RandomData(rng, new Shape(inputShape).Count, 0f, 1f);
        var yc = forward(cpu, Tensor.FromArray(x, new Shape(inputShape), CpuBackend.Instance));
        var yg = forward(gpu, Tensor.FromArray(x, new Shape(inputShape), Gpu));
        Assert.That(yg.Backend, Is.SameAs(Gpu));
        AssertClose($"{name} forward", yg.ToArray(), yc.ToArray(), tol);
        var w = RandomData(rng, yc.Count, 0.5f, 1.5f);
        Ops.Sum(Ops.Mul(yc, Tensor.FromArray(w, yc.Shape, CpuBackend.Instance))).Backward();
        Ops.Sum(Ops.Mul(yg, Tensor.FromArray(w, yg.Shape, Gpu))).Backward();
        var pc = cpu.NamedParameters().ToList();
        var pg = gpu.NamedParameters().ToList();
        Assert.That(pg.Select(p => p.Key), Is.EqualTo(pc.Select(p => p.Key)));
        for (int i = 0; i < pc.Count; i++)
        {
            // Unused parameters (Soft MoE's scale without normalization) get no gradient on either backend.
            Assert.That(pg[i].Value.Grad is null, Is.EqualTo(pc[i].Value.Grad is null), $"{name}: {pg[i].Key} gradient");
            if (pc[i].Value.Grad is null) continue;
            AssertClose($"{name} gradient of {pc[i].Key}", pg[i].Value.Grad!.ToArray(), pc[i].Value.Grad!.ToArray(), tol);
        }
    }

    // Nature-CNN is not run here: its 32/64-channel layers take tens of seconds on the CPU emulator even forward
    // only (a barrier per 4-wide tile step); Conv2dKernelsTests covers its 8x8/4 conv shape at small width.
    [Test]
    public void ImpalaEncoder_ForwardAndBackward_MatchCpu() =>
        CheckModule("ImpalaEncoder", () => new ImpalaEncoder(2, new Rng(2), stackChannels: [3, 4], blocksPerStack: 1),
                    [2, 12, 12, 2], 1e-4);

    // Soft MoE: both softmaxes, batched matmuls, the stacked expert MLPs (P1 §2.2, §3).
    [Test]
    public void SoftMoe_ForwardAndBackward_MatchCpu() =>
        CheckModule("SoftMoe", () => new SoftMoe(4, 6, new SoftMoeOptions(NumExperts: 2, ExpertHidden: 8), new Rng(3)),
                    [2, 6, 4], 1e-4, forward: (m, x) => ((SoftMoe)m).Forward(x).Values);

    [Test]
    public void SoftMoe_ForwardAndBackward_StayOnDevice()
    {
        // <on-device>
        var layer = new SoftMoe(4, 6, new SoftMoeOptions(NumExperts: 2, ExpertHidden: 8), new Rng(3));
        layer.MoveTo(Gpu);
        var x = Tensor.FromArray(RandomData(new Rng(1), 2 * 6 * 4), new Shape(2, 6, 4), Gpu);
        long up = Gpu.HostUploads, down = Gpu.HostDownloads;
        var output = layer.Forward(x);
        Ops.Sum(output.Values).Backward();
        Assert.That((Gpu.HostUploads - up, Gpu.HostDownloads - down), Is.EqualTo((0L, 0L)),
                    "Soft MoE forward and backward move nothing between host and device");
        Assert.That(layer.NamedParameters().First().Value.Grad!.Backend, Is.SameAs(Gpu));
        // </on-device>
    }

    // P1 §5.3 "All" layer: normalized PerSamp router, conv copies mixed by a batched matmul.
    [Test]
    public void PerSampleSoftMoe_ForwardAndBackward_MatchCpu() =>
        CheckModule("PerSampleSoftMoe", () =>
        {
            var rng = new Rng(5);
            Layer[] copies = [new Conv2d(2, 3, 3, 1, Padding.Same, rng), new Conv2d(2, 3, 3, 1, Padding.Same, rng)];
            return new PerSampleSoftMoe(copies, new Shape(1, 5, 5, 2), normalize: true, rng);
        }, [2, 5, 5, 2], 1e-4);

    // Top-k MoE: softmax router, top-k, index-select permutation under capacity, gates (dopamine routers.py).
    [TestCase(1)]
    [TestCase(2)]
    public void TopKMoe_ForwardAndBackward_MatchCpu(int k) =>
        CheckModule($"TopKMoe k={k}",
                    () => new TopKMoe(4, 6, new TopKMoeOptions(NumExperts: 3, ExpertHidden: 8, K: k), new Rng(4)),
                    [2, 6, 4], 1e-4, forward: (m, x) => ((TopKMoe)m).Forward(x).Values);
}
