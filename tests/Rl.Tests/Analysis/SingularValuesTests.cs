using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Analysis;

public class SingularValuesTests
{
    [Test]
    public void Diagonal_GivesAbsoluteValuesSorted()
    {
        var s = SingularValues.Compute(new double[,] { { 3, 0, 0 }, { 0, -5, 0 }, { 0, 0, 0.5 } });
        Assert.That(s, Is.EqualTo(new[] { 5.0, 3.0, 0.5 }).Within(1e-14));
    }

    [Test]
    public void RankOne_OuterProduct()
    {
        // u = [1, 2, 2] (‖u‖ = 3), v = [3, 4] (‖v‖ = 5): u·vᵀ has σ = [15, 0].
        double[] u = [1, 2, 2], v = [3, 4];
        var a = new double[3, 2];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 2; j++) a[i, j] = u[i] * v[j];
        }
        var s = SingularValues.Compute(a);
        Assert.That(s[0], Is.EqualTo(15.0).Within(1e-12));
        Assert.That(s[1], Is.EqualTo(0.0).Within(1e-12));
    }

    [Test]
    public void ThreeByTwo_HandComputed()
    {
        // AᵀA = [[2, 1], [1, 2]] has eigenvalues 3 and 1, so σ = [√3, 1].
        var a = new double[,] { { 1, 1 }, { 0, 1 }, { 1, 0 } };
        Assert.That(SingularValues.Compute(a), Is.EqualTo(new[] { Math.Sqrt(3), 1.0 }).Within(1e-13));
        // The wide transpose has the same singular values (exercises the transposed path).
        var at = new double[,] { { 1, 0, 1 }, { 1, 1, 0 } };
        Assert.That(SingularValues.Compute(at), Is.EqualTo(new[] { Math.Sqrt(3), 1.0 }).Within(1e-13));
    }

    [Test]
    public void OrthogonalInvariance_AndFrobeniusNorm()
    {
        var rng = new Rng(7);
        const int m = 6, n = 4;
        var a = Random(rng, m, n);
        var s = SingularValues.Compute(a);
        // Σσ² = ‖A‖_F².
        double frob = 0;
        foreach (double v in a) frob += v * v;
        Assert.That(s.Sum(x => x * x), Is.EqualTo(frob).Within(1e-10 * frob));
        // σ(Q·A·P) = σ(A) for Householder reflections Q (m × m) and P (n × n).
        var qa = MatMul(Householder(rng, m), a);
        var qap = MatMul(qa, Householder(rng, n));
        Assert.That(SingularValues.Compute(qap), Is.EqualTo(s).Within(1e-12 * s[0]));
    }

    [Test]
    public void WideFeatureMatrix_Converges_WithKnownValues()
    {
        // 3 × 2000: rows 10·1/√n, 1·(±1)/√n alternating (orthogonal, unit norm), and a zero row → σ = [10, 1, 0].
        const int n = 2000;
        var a = new double[3 * n];
        for (int j = 0; j < n; j++)
        {
            a[j] = 10 / Math.Sqrt(n);
            a[n + j] = (j % 2 == 0 ? 1 : -1) / Math.Sqrt(n);
        }
        var s = SingularValues.Compute(a, 3, n, out int sweeps);
        Assert.That(s, Is.EqualTo(new[] { 10.0, 1.0, 0.0 }).Within(1e-12));
        Assert.That(sweeps, Is.LessThan(SingularValues.MaxSweeps));
    }

    [Test]
    public void RandomBatchOfLongFeatures_ConvergesInFewSweeps()
    {
        // The P1 shape: B = 32 rows of 3872 features (121 tokens × 32). Sum of squares must equal ‖A‖_F².
        var rng = new Rng(11);
        var a = new double[32 * 3872];
        for (int i = 0; i < a.Length; i++) a[i] = Math.Max(0, rng.NextNormal());
        var s = SingularValues.Compute(a, 32, 3872, out int sweeps);
        Assert.That(sweeps, Is.LessThan(20));
        double frob = a.Sum(v => v * v);
        Assert.That(s.Sum(x => x * x), Is.EqualTo(frob).Within(1e-10 * frob));
    }

    [Test]
    public void FloatOverload_MatchesDouble()
    {
        float[] data = [1, 1, 0, 1, 1, 0];
        Assert.That(SingularValues.Compute(data, 3, 2), Is.EqualTo(new[] { Math.Sqrt(3), 1.0 }).Within(1e-13));
    }

    [Test]
    public void BadInput_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => SingularValues.Compute(new double[] { 1, 2, 3 }, 2, 2));
        Assert.Throws<ArgumentException>(() => SingularValues.Compute(new double[,] { { double.NaN } }));
    }

    private static double[,] Random(Rng rng, int m, int n)
    {
        var a = new double[m, n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++) a[i, j] = rng.NextNormal();
        }
        return a;
    }

    private static double[,] Householder(Rng rng, int n)
    {
        // H = I − 2vvᵀ/(vᵀv) is orthogonal.
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.NextNormal();
        double vv = v.Sum(x => x * x);
        var h = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) h[i, j] = (i == j ? 1 : 0) - 2 * v[i] * v[j] / vv;
        }
        return h;
    }

    private static double[,] MatMul(double[,] a, double[,] b)
    {
        int m = a.GetLength(0), k = a.GetLength(1), n = b.GetLength(1);
        var c = new double[m, n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                for (int t = 0; t < k; t++) c[i, j] += a[i, t] * b[t, j];
            }
        }
        return c;
    }
}
