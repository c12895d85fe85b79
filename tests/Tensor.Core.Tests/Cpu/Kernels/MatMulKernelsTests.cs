using MoeScratch.Tensors.Cpu;
using MoeScratch.Tensors.Cpu.Kernels;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

// Namespace kept flat: a MoeScratch.Tensors.Tests.Cpu namespace would shadow MoeScratch.Tensors.Cpu in other tests.
namespace MoeScratch.Tensors.Tests;

/// <summary>
/// Fast SGEMM (<see cref="MatMulKernels.Gemm"/>) against the naive triple loop. Glossary: C[m×n] (+)= op(A)[m×k] ·
/// op(B)[k×n]; ta/tb transpose flags; acc = accumulate into C; pad = extra floats per stored row (ld = cols + pad).
/// </summary>
[NonParallelizable] // some cases change the process-wide CpuThreads.Max
public class MatMulKernelsTests(bool wide) : VectorWidthFixture(wide)
{
    private const int MR = GemmMicroKernel.MR, NR = GemmMicroKernel.NR;

    /// <summary>m, n, k crossing every remainder of the 6×16 micro-tile, sampled from 1..40, plus block edges.</summary>
    private static IEnumerable<TestCaseData> Shapes()
    {
        var rng = new System.Random(1234);
        var seen = new HashSet<(int, int, int)>();
        // Every m remainder mod 6 and n remainder mod 16 appears at least once, each with a random k in 1..40.
        for (int mRem = 0; mRem < MR; mRem++)
        {
            for (int nRem = 0; nRem < NR; nRem++)
            {
                int m = mRem + MR * rng.Next(1, 6), n = nRem + NR * rng.Next(0, 3);
                if (n == 0) n = NR;
                seen.Add((m, n, rng.Next(1, 41)));
            }
        }

        // Degenerate sizes (single row / column / depth, the skinny path at m ≤ 4 and just above it).
        int[][] fixedShapes =
        [
            [1, 1, 1], [1, 7, 1], [7, 1, 1], [1, 1, 40], [2, 33, 17], [4, 40, 40], [5, 40, 40], [6, 16, 1],
            [40, 40, 40], [65, 129, 257], [1, 512, 3136], [3, 512, 700], [32, 64, 300], [170, 20, 513], [1, 18, 512],
            [3, 20, 100], [1, 200, 64], [1, 400, 50], [7, 48, 30], [13, 16, 21],
            // The in-place path with one 16- or 32-column pair and many rows (MinAtar's Soft MoE per-image products).
            [100, 16, 100], [103, 32, 45], [16, 512, 50],
        ];
        foreach (var s in fixedShapes) seen.Add((s[0], s[1], s[2]));
        foreach (var (m, n, k) in seen) yield return new TestCaseData(m, n, k).SetName($"Gemm_{m}x{n}x{k}");
    }

    [TestCaseSource(nameof(Shapes))]
    public void Gemm_MatchesNaive_AllTransposesAndAccumulate(int m, int n, int k)
    {
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        foreach (bool acc in new[] { false, true })
        {
            CompareWithNaive(m, n, k, ta, tb, acc, pad: 0, seed: m * 7919 + n * 31 + k);
        }
    }

    /// <summary>
    /// One row against many columns (batch-1 acting) alternates which depth half it streams first from call to call;
    /// the halves are added in a fixed order, so repeated calls give the same bits.
    /// </summary>
    [Test]
    public void Gemm_SingleRow_RepeatedCallsAreBitIdentical()
    {
        const int n = 512, k = 3136;
        var rng = new System.Random(11);
        float[] a = [.. Enumerable.Range(0, k).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        float[] first = new float[n], again = new float[n];
        MatMulKernels.Gemm(false, false, 1, n, k, a, k, b, n, first, n, accumulate: false);
        for (int call = 0; call < 3; call++)
        {
            MatMulKernels.Gemm(false, false, 1, n, k, a, k, b, n, again, n, accumulate: false);
            Assert.That(again, Is.EqualTo(first).AsCollection, $"call {call + 2}");
        }
    }

    [TestCase(6, 16, 8, 3)]
    [TestCase(13, 35, 70, 5)]
    [TestCase(3, 21, 9, 2)]
    public void Gemm_LeadingDimensionsLargerThanRows_Respected(int m, int n, int k, int pad)
    {
        foreach (bool ta in new[] { false, true })
        foreach (bool tb in new[] { false, true })
        {
            CompareWithNaive(m, n, k, ta, tb, acc: true, pad, seed: 77);
        }
    }

    /// <summary>
    /// Tall, narrow products (m above one row block, n ≤ 4 panels) read A unpacked
    /// (<see cref="GemmMicroKernel.Kernel6x16RowA"/>); edges in m and n, k over one depth block, with padding.
    /// </summary>
    [TestCase(400, 16, 37, 0)]
    [TestCase(337, 32, 300, 3)]
    [TestCase(203, 18, 5, 0)]
    [TestCase(500, 7, 64, 1)]
    [TestCase(401, 64, 520, 0)] // Nature conv 2/3 width, k over three depth blocks
    [TestCase(359, 50, 77, 2)]  // four panels, the last one an edge
    [TestCase(175, 33, 256, 1)] // three panels, one column in the last
    public void Gemm_TallNarrowDirectA_MatchesNaive(int m, int n, int k, int pad)
    {
        Assert.That(m, Is.GreaterThan(GemmDriver.MC));
        Assert.That(n, Is.LessThanOrEqualTo(GemmDriver.DirectAMaxN));
        foreach (bool tb in new[] { false, true })
        foreach (bool acc in new[] { false, true })
        {
            CompareWithNaive(m, n, k, false, tb, acc, pad, seed: m + n + k);
        }
    }

    /// <summary>
    /// Transposed B packed by 8×8 register transposes (GemmPacking.PackBTransposed8): panels of 8 and 16 columns and
    /// a scalar remainder, depths with and without a tail of 8, one and several depth blocks, a wide product on two
    /// threads (n below <see cref="GemmDriver.SwapMinRatio"/>·m, so not the swapped path).
    /// </summary>
    [TestCase(32, 45, 21, 1)]
    [TestCase(32, 24, 264, 0)]
    [TestCase(7, 16, 8, 3)]
    [TestCase(200, 39, 517, 0)]
    [TestCase(40, 300, 512, 0)]
    [TestCase(32, 512, 64, 1)] // a Soft MoE expert's dX: wide but shallower than SwapMinK, so not swapped
    public void Gemm_TransposedBPack_MatchesNaive(int m, int n, int k, int pad) => TwoThreads(m, n, k, pad);

    /// <summary>
    /// Few rows times a wide transposed B, computed as (B·Aᵀ)ᵀ (<see cref="GemmDriver"/>'s swapped path): the DQN and
    /// IMPALA dense layers' dX shapes on two threads, odd sizes, padded strides, overwrite and accumulate.
    /// </summary>
    [TestCase(32, 3136, 512, 0)]
    [TestCase(32, 3872, 512, 2)]
    [TestCase(5, 41, 300, 2)]
    [TestCase(64, 600, 256, 1)]
    [TestCase(9, 72, 300, 3)]
    public void Gemm_FewRowsTimesWideTransposedB_MatchesNaive(int m, int n, int k, int pad)
    {
        Assert.That(n, Is.GreaterThanOrEqualTo(GemmDriver.SwapMinRatio * m));
        Assert.That(k, Is.GreaterThanOrEqualTo(GemmDriver.SwapMinK));
        TwoThreads(m, n, k, pad);
    }

    /// <summary>
    /// A narrow C from a deep product (<see cref="GemmDriver"/>'s four-row groups reading B in place): the Nature and
    /// Soft MoE DQN heads (18 actions), n below and above 16 (the last B vector overlapping the one before), a short
    /// last group, padded strides, overwrite and accumulate, on two threads.
    /// </summary>
    [TestCase(32, 18, 512, 0)]
    [TestCase(32, 18, 3136, 1)]
    [TestCase(7, 9, 40, 2)]
    [TestCase(5, 23, 100, 0)]
    [TestCase(10, 24, 96, 3)]
    public void Gemm_NarrowDeep_MatchesNaive(int m, int n, int k, int pad) => TwoThreads(m, n, k, pad, transB: false);

    private static void TwoThreads(int m, int n, int k, int pad, bool transB = true)
    {
        int saved = CpuThreads.Max;
        try
        {
            CpuThreads.Max = 2;
            foreach (bool acc in new[] { false, true })
            {
                CompareWithNaive(m, n, k, false, transB, acc, pad, seed: 3 * m + n + k);
            }
        }
        finally
        {
            CpuThreads.Max = saved;
        }
    }

    [TestCase(150, 200, 300)] // split over n
    [TestCase(301, 40, 400)]  // split over m
    [TestCase(1023, 33, 300)] // uneven m split with edge tiles in both threads
    [TestCase(2592, 64, 512)] // Nature conv 2's forward product: split over m, A read unpacked
    [TestCase(1, 517, 3136)]  // acting's dense layer: the skinny path splits B's columns (uneven halves)
    [TestCase(3, 200, 2000)]  // skinny, three rows
    [TestCase(800, 16, 512)]  // one panel read in place: the row tiles split between the threads (512-bit)
    [TestCase(509, 32, 800)]  // one panel pair, uneven row split
    [TestCase(16, 512, 800)]  // in place with transposed A: three row tiles, the panel pairs split
    public void Gemm_MultiThreaded_MatchesNaive(int m, int n, int k)
    {
        Assert.That(2.0 * m * n * k, Is.GreaterThanOrEqualTo(GemmDriver.ParallelMinFlops), "case must take the threaded path");
        int saved = CpuThreads.Max;
        try
        {
            CpuThreads.Max = 2;
            foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                CompareWithNaive(m, n, k, ta, tb, acc: tb, pad: 0, seed: 5);
            }

            CpuThreads.Max = 1;
            CompareWithNaive(m, n, k, false, false, acc: false, pad: 0, seed: 6);
        }
        finally
        {
            CpuThreads.Max = saved;
        }
    }

    [Test]
    public void Gemm_ZeroDepth_ClearsOrKeepsC()
    {
        var c = new float[] { 1, 2, 3, 4, 5, 6 };
        MatMulKernels.Gemm(false, false, 2, 3, 0, [], 0, [], 3, c, 3, accumulate: true);
        Assert.That(c, Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
        MatMulKernels.Gemm(false, false, 2, 3, 0, [], 0, [], 3, c, 3, accumulate: false);
        Assert.That(c, Is.All.EqualTo(0f));
    }

    [Test]
    public void Gemm_EmptyOutput_TouchesNothing()
    {
        var c = new float[] { 9 };
        MatMulKernels.Gemm(false, false, 0, 1, 5, [], 5, new float[5], 1, c, 1, accumulate: false);
        MatMulKernels.Gemm(false, false, 1, 0, 5, new float[5], 5, [], 0, c, 0, accumulate: false);
        Assert.That(c[0], Is.EqualTo(9f));
    }

    [Test]
    public void Gemm_UndersizedSpan_ThrowsNamingTheOperand()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            MatMulKernels.Gemm(false, false, 4, 4, 4, new float[15], 4, new float[16], 4, new float[16], 4, false));
        Assert.That(ex!.Message, Does.Contain("'a'"));
    }

    /// <summary>
    /// The bias and ReLU epilogue on every driver path (skinny, narrow, in place with one pair and several, blocked with
    /// a DirectA strip and packed tiles, several depth blocks, edge tiles), on 1 and 2 threads, against the naive product
    /// followed by <see cref="MatMulKernels.BiasNaive"/>.
    /// </summary>
    [TestCase(3, 40, 30)]     // skinny
    [TestCase(20, 18, 90)]    // narrow columns
    [TestCase(50, 32, 20)]    // in place, one panel pair
    [TestCase(40, 64, 20)]    // in place, two pairs
    [TestCase(200, 48, 600)]  // blocked: DirectA strips, three depth blocks
    [TestCase(37, 40, 19)]    // blocked, one row block, edge tiles
    [TestCase(400, 100, 16)]  // blocked, several row blocks, a 4-column edge panel
    public void Gemm_BiasAndRelu_MatchNaive(int m, int n, int k)
    {
        int saved = CpuThreads.Max;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            foreach (bool relu in new[] { false, true })
            foreach (bool withBias in new[] { false, true })
            {
                CpuThreads.Max = threads;
                var rng = new System.Random(m + n + k);
                var a = RandomArray(rng, m * k);
                var b = RandomArray(rng, k * n);
                var bias = withBias ? RandomArray(rng, n) : [];
                var expected = new float[m * n];
                var actual = RandomArray(rng, m * n); // overwritten
                MatMulKernels.GemmNaive(false, false, m, n, k, a, k, b, n, expected, n, false);
                MatMulKernels.BiasNaive(expected, n, m, n, bias, relu);
                MatMulKernels.Gemm(false, false, m, n, k, a, k, b, n, actual, n, false, bias, relu);
                float tol = 1e-6f * k + 1e-5f;
                for (int i = 0; i < expected.Length; i++)
                {
                    if (Math.Abs(actual[i] - expected[i]) > tol)
                    {
                        Assert.Fail($"m={m} n={n} k={k} threads={threads} relu={relu} bias={withBias}: C[{i / n},{i % n}] = " +
                                    $"{actual[i]}, naive {expected[i]}");
                    }
                }
                if (relu) Assert.That(expected.Count(v => v == 0f), Is.InRange(1, expected.Length - 1), "a ReLU that clips some");
            }
        }
        finally
        {
            CpuThreads.Max = saved;
        }
    }

    /// <summary>The fused backward (ReLU mask and bias sums) against loops, per product and shared, 1 and 2 threads.</summary>
    [TestCase(1, 1, 7, 5)]
    [TestCase(3, 3, 50, 37)]
    [TestCase(4, 1, 200, 512)]
    [TestCase(2, 2, 300, 16)]
    public void BiasReluBackward_MatchesLoops(int batch, int batchBias, int m, int n)
    {
        int saved = CpuThreads.Max;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            foreach (bool relu in new[] { false, true })
            foreach (bool accumulate in new[] { false, true })
            {
                CpuThreads.Max = threads;
                var rng = new System.Random(batch * 7 + m + n);
                var dy = RandomArray(rng, batch * m * n);
                var y = RandomArray(rng, batch * m * n).Select(v => Math.Max(v, 0f)).ToArray();
                var db0 = RandomArray(rng, batchBias * n);
                var dz = new float[relu ? dy.Length : 0];
                var db = (float[])db0.Clone();
                MatMulKernels.BiasReluBackward(dz, db, dy, y, batch, batchBias, m, n, relu, accumulate);
                var wantDz = dy.Select((g, i) => y[i] > 0 ? g : 0f).ToArray();
                var wantDb = accumulate ? db0.Select(v => (double)v).ToArray() : new double[db0.Length];
                for (int i = 0; i < dy.Length; i++) wantDb[(batchBias == 1 ? 0 : i / (m * n)) * n + i % n] += relu ? wantDz[i] : dy[i];
                if (relu) Assert.That(dz, Is.EqualTo(wantDz).AsCollection, $"dz, {threads} threads");
                Assert.That(db, Is.EqualTo(wantDb.Select(v => (float)v).ToArray()).AsCollection.Within(1e-4f),
                            $"dbias, {threads} threads, relu={relu}, accumulate={accumulate}");
            }
        }
        finally
        {
            CpuThreads.Max = saved;
        }
    }

    [Test]
    public void CpuThreads_Max_RejectsZero() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuThreads.Max = 0);

    private static void CompareWithNaive(int m, int n, int k, bool ta, bool tb, bool acc, int pad, int seed)
    {
        var rng = new System.Random(seed);
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        var a = RandomArray(rng, ((ta ? k : m) - 1) * lda + (ta ? m : k));
        var b = RandomArray(rng, ((tb ? n : k) - 1) * ldb + (tb ? k : n));
        var c0 = RandomArray(rng, (m - 1) * ldc + n);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        MatMulKernels.GemmNaive(ta, tb, m, n, k, a, lda, b, ldb, expected, ldc, acc);
        MatMulKernels.Gemm(ta, tb, m, n, k, a, lda, b, ldb, actual, ldc, acc);
        // Both sum k products of values in [-1, 1] in different orders: float error grows ~linearly in k at worst.
        float tol = 1e-6f * k + 1e-5f;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc && i * ldc + j < actual.Length; j++)
            {
                int idx = i * ldc + j;
                // Padding columns (j ≥ n) must be untouched: both kernels leave them equal to c0.
                if (Math.Abs(actual[idx] - expected[idx]) > tol)
                {
                    Assert.Fail($"m={m} n={n} k={k} ta={ta} tb={tb} acc={acc} pad={pad}: C[{i},{j}] = {actual[idx]}, " +
                                $"naive {expected[idx]} (tol {tol})");
                }
            }
        }
    }

    private static float[] RandomArray(System.Random rng, int count)
    {
        var x = new float[Math.Max(count, 0)];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
