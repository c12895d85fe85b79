using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Gpu.Tests.TestUtil;

namespace MoeScratch.Tensors.Gpu.Tests.Kernels;

/// <summary>The tiled batched matmul against the CPU backend and against the naive GPU kernel.</summary>
public abstract class MatMulKernelsTests : GpuTestBase
{
    // MatMulKernels.Tiled through Ops.MatMul: every transpose combination; sizes not multiples of any tile.
    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void MatMul_2d_AllTransposes_ForwardAndBackward_MatchCpu(bool transA, bool transB)
    {
        int m = 5, k = 7, n = 6;
        int[] sa = transA ? [k, m] : [m, k];
        int[] sb = transB ? [n, k] : [k, n];
        CheckAgainstCpu($"MatMul tA={transA} tB={transB}", t => Ops.MatMul(t[0], t[1], transA, transB), [sa, sb],
                        tol: 1e-5);
    }

    // Batched: per-item products, a shared right operand (its gradient sums over the batch: BatchC = 1).
    [TestCase(new[] { 3, 4, 5 }, new[] { 3, 5, 2 })]
    [TestCase(new[] { 3, 4, 5 }, new[] { 5, 2 })]
    [TestCase(new[] { 4, 5 }, new[] { 2, 5, 3 })]
    public void MatMul_Batched_ForwardAndBackward_MatchCpu(int[] sa, int[] sb) =>
        CheckAgainstCpu("MatMul batched", t => Ops.MatMul(t[0], t[1]), [sa, sb], tol: 1e-5);

    [Test]
    public void MatMul_LargerThanSeveralTiles_MatchesCpu() =>
        CheckAgainstCpu("MatMul 33x20x18", t => Ops.MatMul(t[0], t[1]), [[33, 20], [20, 18]], backward: false, tol: 1e-5);

    // Ops.Mlp runs IBackend's default Mlp and MlpBackward here (MatMulBias, MatMul and MatMulBiasBackward through
    // temporaries): batched weights and biases; x shared by the products, whose gradient sums over them.
    [TestCase(new[] { 2, 5, 3 }, new[] { 2, 3, 4 }, new[] { 2, 4 }, new[] { 2, 4, 3 }, new[] { 2, 3 })]
    [TestCase(new[] { 5, 3 }, new[] { 2, 3, 4 }, new[] { 4 }, new[] { 2, 4, 3 }, new[] { 3 })]
    public void Mlp_ForwardAndBackward_MatchCpu(int[] sx, int[] sw1, int[] sb1, int[] sw2, int[] sb2) =>
        CheckAgainstCpu("Mlp", t => Ops.Mlp(t[0], t[1], t[2], t[3], t[4]), [sx, sw1, sb1, sw2, sb2], tol: 1e-5);

    // MatMulKernels.Naive is the reference for MatMulKernels.Tiled, including accumulate and BatchC = 1.
    [TestCase(false, false, false, 2)]
    [TestCase(true, true, true, 2)]
    [TestCase(false, true, true, 1)]
    public void Tiled_MatchesNaiveKernel(bool transA, bool transB, bool accumulate, int batchC)
    {
        int batch = 2, m = 9, n = 5, k = 6;
        var rng = new Rng(11);
        var a = Tensor.FromArray(RandomData(rng, batch * m * k), new Shape(batch, m * k), Gpu);
        var b = Tensor.FromArray(RandomData(rng, batch * k * n), new Shape(batch, k * n), Gpu);
        var init = RandomData(rng, batchC * m * n);
        var tiled = Tensor.FromArray(init, new Shape(batchC, m * n), Gpu);
        var naive = Tensor.FromArray(init, new Shape(batchC, m * n), Gpu);
        Gpu.MatMul(tiled, a, transA, b, transB, batch, batch, batchC, m, n, k, accumulate);
        Gpu.MatMulNaive(naive, a, transA, b, transB, batch, batch, batchC, m, n, k, accumulate);
        var cpu = Tensor.FromArray(init, new Shape(batchC, m * n), CpuBackend.Instance);
        CpuBackend.Instance.MatMul(cpu, a.To(CpuBackend.Instance), transA, b.To(CpuBackend.Instance), transB,
                                   batch, batch, batchC, m, n, k, accumulate);
        AssertClose("naive vs cpu", naive.ToArray(), cpu.ToArray(), 1e-5);
        AssertClose("tiled vs naive", tiled.ToArray(), naive.ToArray(), 1e-5);
    }
}
