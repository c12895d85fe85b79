using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Analysis;

public class EmpiricalNtkTests
{
    // Linear model ŷ = x·w with ℓ_b = ½(x_b·w − y_b)², so ∂ℓ_b/∂w = (x_b·w − y_b)·x_b.
    // x = [[1, 2], [0, 1], [1, 0]], w = [1, −1], y = [0, 1, 3]: residuals [−1, −2, −2],
    // J = [[−1, −2], [0, −2], [−2, 0]], K = J·Jᵀ = [[5, 4, 2], [4, 4, 0], [2, 0, 4]].
    private static readonly float[] X = [1, 2, 0, 1, 1, 0];
    private static readonly float[] Y = [0, 1, 3];

    private static (Tensor W, Func<int, Tensor> Loss) LinearModel()
    {
        var w = Tensor.FromArray([1f, -1f], new Shape(2, 1));
        w.RequiresGrad = true;
        TensorScope.Persist(w);
        var x = Tensor.FromArray(X, new Shape(3, 2));
        return (w, b =>
        {
            var pred = Ops.MatMul(Ops.Slice(x, 0, b, 1), w);
            var r = Ops.AddScalar(pred, -Y[b]);
            return Ops.Sum(Ops.Scale(Ops.Square(r), 0.5f));
        });
    }

    [Test]
    public void Jacobian_OfLinearModel_IsAnalytic()
    {
        var (w, loss) = LinearModel();
        var j = EmpiricalNtk.Jacobian([w], 3, loss);
        Assert.That(j[0], Is.EqualTo(new[] { -1f, -2f }).Within(1e-6));
        Assert.That(j[1], Is.EqualTo(new[] { 0f, -2f }).Within(1e-6));
        Assert.That(j[2], Is.EqualTo(new[] { -2f, 0f }).Within(1e-6));
        // Gradients are left zero-filled.
        Assert.That(w.Grad!.ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void Gram_AndStatistics_OfLinearModel()
    {
        var (w, loss) = LinearModel();
        var k = EmpiricalNtk.Gram(EmpiricalNtk.Jacobian([w], 3, loss));
        Assert.That(k, Is.EqualTo(new double[,] { { 5, 4, 2 }, { 4, 4, 0 }, { 2, 0, 4 } }).Within(1e-9));

        // Eigenvalues of K = those of JᵀJ = [[5, 2], [2, 8]] (9 and 4) plus 0.
        var sigma = SingularValues.Compute(k);
        Assert.That(sigma[0], Is.EqualTo(9.0).Within(1e-9));
        Assert.That(sigma[1], Is.EqualTo(4.0).Within(1e-9));
        Assert.That(sigma[2], Is.EqualTo(0.0).Within(1e-9));

        var s = EmpiricalNtk.Statistics(k);
        Assert.That(s.RelativeRanks[0.001], Is.EqualTo(2));
        Assert.That(s.RelativeRanks[0.01], Is.EqualTo(2));
        Assert.That(s.DiagonalMean, Is.EqualTo(13.0 / 3).Within(1e-12));
        // E[d²] − E[d]² = 19 − 169/9 = 2/9.
        Assert.That(s.DiagonalStd, Is.EqualTo(Math.Sqrt(2.0 / 9)).Within(1e-12));
        // Off-diagonal sum 2·(4 + 2 + 0) = 12 over 3·2 entries.
        Assert.That(s.OffDiagonalMean, Is.EqualTo(2.0).Within(1e-12));
        Assert.That(s.PositiveFraction, Is.EqualTo(7.0 / 9).Within(1e-12));
        Assert.That(s.NegativeFraction, Is.EqualTo(0.0));
    }

    [Test]
    public void Statistics_CountsNegativeEntries()
    {
        var s = EmpiricalNtk.Statistics(new double[,] { { 1, -1 }, { -1, 1 } });
        Assert.That(s.NegativeFraction, Is.EqualTo(0.5));
        Assert.That(s.OffDiagonalMean, Is.EqualTo(-1.0));
        // Singular values 2 and 0: rank 1.
        Assert.That(s.RelativeRanks[0.01], Is.EqualTo(1));
    }

    [Test]
    public void NonScalarLoss_IsRejected()
    {
        var (w, _) = LinearModel();
        Assert.Throws<ArgumentException>(() => EmpiricalNtk.Jacobian([w], 1, _ => Ops.Square(w)));
    }
}
