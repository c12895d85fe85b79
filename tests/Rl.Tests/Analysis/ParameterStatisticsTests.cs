using MoeScratch.Nn.Moe;
using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Analysis;

public class ParameterStatisticsTests
{
    [Test]
    public void SquaredNorm_SumsOverEveryParameter()
    {
        Tensor[] ps = [Tensor.FromArray([1f, 2f]), Tensor.FromArray([-3f])];
        Assert.That(ParameterStatistics.SquaredNorm(ps), Is.EqualTo(14.0).Within(1e-12));
    }

    private static MoeOutput Constructed()
    {
        // B = 2, m = 2 tokens, n = 3 experts.
        var probs = Tensor.FromArray([0.5f, 0.25f, 0.25f, 0f, 1f, 0f, 0.2f, 0.2f, 0.6f, 1f, 0f, 0f], new Shape(2, 2, 3));
        var top = Tensor.FromArray([0f, 1f, 2f, 0f], new Shape(2, 2));
        return new MoeOutput(Tensor.Zeros(new Shape(2, 2, 4)), probs, top, null, null);
    }

    [Test]
    public void ExpertMass_AveragesOverBatchAndTokens()
    {
        // Column sums 1.7, 1.45, 0.85 over 4 (sample, token) rows.
        Assert.That(ParameterStatistics.ExpertMass(Constructed().RouterProbabilities),
                    Is.EqualTo(new[] { 0.425, 0.3625, 0.2125 }).Within(1e-6));
    }

    [Test]
    public void TopExpertCounts_CountsEveryToken()
    {
        Assert.That(ParameterStatistics.TopExpertCounts(Constructed().TopExperts, 3), Is.EqualTo(new[] { 2.0, 1.0, 1.0 }));
        Assert.Throws<ArgumentException>(() => ParameterStatistics.TopExpertCounts(Constructed().TopExperts, 2));
        Assert.Throws<ArgumentException>(() => ParameterStatistics.ExpertMass(Tensor.Zeros(new Shape(2, 3))));
    }
}
