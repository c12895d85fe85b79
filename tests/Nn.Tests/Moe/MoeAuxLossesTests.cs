using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Moe;

public class MoeAuxLossesTests
{
    /// <summary>erf by its Maclaurin series in double (exact enough for |x| ≤ 3).</summary>
    private static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int k = 0; k < 200; k++)
        {
            sum += term / (2 * k + 1);
            term *= -x * x / (k + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private static double Phi(double z) => 0.5 * (1 + Erf(z / Math.Sqrt(2)));

    [Test]
    public void NormalCdf_MatchesSeries()
    {
        var z = new[] { -4f, -1.96f, -1f, -0.3f, 0f, 0.5f, 1f, 2f, 3.5f };
        var got = MoeAuxLosses.NormalCdf(Tensor.FromArray(z)).ToArray();
        for (int i = 0; i < z.Length; i++) Assert.That(got[i], Is.EqualTo(Phi(z[i])).Within(1e-6), $"Φ({z[i]})");
        Assert.That(got[1], Is.EqualTo(0.0249979).Within(1e-6));
        GradCheck.Check("normal cdf", v => MoeAuxLosses.NormalCdf(v[0]), [Tensor.FromArray([-1.5f, -0.4f, 0.7f, 2f])], eps: 1e-3);
    }

    [Test]
    public void ImportanceLoss_HandValues()
    {
        // Obs 0: importance (1, 1) → CV² 0. Obs 1: importance (2, 0) → mean 1, var 1 → CV² 1. Mean over batch 0.5.
        var probs = Tensor.FromArray([0.75f, 0.25f, 0.25f, 0.75f, 1f, 0f, 1f, 0f], new Shape(2, 2, 2));
        Assert.That(MoeAuxLosses.ImportanceLoss(probs).Item(), Is.EqualTo(0.5f).Within(1e-6));
        var logits = GradCheck.RandomInputs(1, [2, 3, 4]);
        GradCheck.Check("importance", v => MoeAuxLosses.ImportanceLoss(Ops.Softmax(v[0], 2)), logits);
    }

    [Test]
    public void LoadLoss_MatchesReferenceFormula_AndGradChecks()
    {
        const int b = 2, m = 3, n = 4, k = 2;
        const float sigma = 0.25f;
        var logits = Tensor.Uniform(new Shape(b, m, n), -1, 1, new Rng(2));
        var noisy = Ops.Add(logits, Tensor.Normal(logits.Shape, 0f, sigma, new Rng(3)));
        var l = logits.ToArray();
        var nz = noisy.ToArray();
        double expected = 0;
        for (int o = 0; o < b; o++)
        {
            var load = new double[n];
            for (int t = 0; t < m; t++)
            {
                double threshold = nz.Skip((o * m + t) * n).Take(n).OrderByDescending(v => v).ElementAt(k - 1);
                for (int e = 0; e < n; e++) load[e] += (1 - Phi((threshold - l[(o * m + t) * n + e]) / sigma)) / m;
            }
            double mean = load.Average();
            expected += load.Select(v => (v - mean) * (v - mean)).Average() / (mean * mean) / b;
        }
        Assert.That(MoeAuxLosses.LoadLoss(logits, noisy, sigma, k).Item(), Is.EqualTo(expected).Within(1e-5));
        var noise = Ops.Sub(noisy, logits).Detach();
        GradCheck.Check("load", v => MoeAuxLosses.LoadLoss(v[0], Ops.Add(v[0], noise), sigma, k), [logits], eps: 1e-3);
    }

    [Test]
    public void EntropyLoss_HandValues()
    {
        Assert.That(MoeAuxLosses.EntropyLoss(Tensor.FromArray([0f, 0, 1, 1], new Shape(1, 4)), 2).Item(), Is.EqualTo(0f).Within(1e-6));
        Assert.That(MoeAuxLosses.EntropyLoss(Tensor.FromArray([0f, 0, 0, 0], new Shape(1, 4)), 2).Item(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(MoeAuxLosses.EntropyLoss(Tensor.FromArray([0f, 1, 1, 1, 0, 1, 2, 3], new Shape(2, 4)), 4).Item(),
                    Is.EqualTo(0.5 * (1 - (-(0.25 * Math.Log(0.25) + 0.75 * Math.Log(0.75)) / Math.Log(4))))
                      .Within(1e-6));
        Assert.That(() => MoeAuxLosses.EntropyLoss(Tensor.FromArray([0f, 5f], new Shape(1, 2)), 2),
                    Throws.ArgumentException.With.Message.Contains("[0, 2)"));
    }
}
