using MoeScratch.Rl.Analysis;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Analysis;

public class DormantNeuronsTests
{
    // B = 2, H = 4. E|a| = [2, 0, 2, 0.1]; mean 1.025 → ReDo scores [1.951, 0, 1.951, 0.0976];
    // sum 4.1 → MoE-code scores [0.4878, 0, 0.4878, 0.0244].
    private static Tensor Dense() => Tensor.FromArray([1f, 0f, 2f, 0.1f, 3f, 0f, -2f, 0.1f], new Shape(2, 4));

    [Test]
    public void Redo_ScoresAreNormalizedByTheMean()
    {
        Assert.That(DormantNeurons.RedoScores(Dense()),
                    Is.EqualTo(new[] { 2 / 1.025, 0, 2 / 1.025, 0.1 / 1.025 }).Within(1e-6));
    }

    [Test]
    public void Redo_FractionAtSeveralThresholds()
    {
        Assert.That(DormantNeurons.RedoFraction(Dense()), Is.EqualTo(0.25));          // only the all-zero unit
        Assert.That(DormantNeurons.RedoFraction(Dense(), 0.03), Is.EqualTo(0.25));    // 0.0976 > 0.03
        Assert.That(DormantNeurons.RedoFraction(Dense(), 0.1), Is.EqualTo(0.5));      // 0.0976 ≤ 0.1
        Assert.That(DormantNeurons.RedoFraction(Dense(), 2.0), Is.EqualTo(1.0));
    }

    [Test]
    public void MoeCode_NormalizesByTheSum()
    {
        Assert.That(DormantNeurons.MoeCodeFraction(Dense()), Is.EqualTo(0.25));
        // 0.0244 ≤ 0.03 under sum-normalization, where ReDo's mean-normalized 0.0976 is not.
        Assert.That(DormantNeurons.MoeCodeFraction(Dense(), 0.03), Is.EqualTo(0.5));
        Assert.That(DormantNeurons.MoeCodeFraction(Dense(), 0.02), Is.EqualTo(0.25));
    }

    [Test]
    public void AllZeroLayer_IsFullyDormant()
    {
        var z = Tensor.Zeros(new Shape(3, 5));
        Assert.That(DormantNeurons.RedoFraction(z), Is.EqualTo(1.0));
        Assert.That(DormantNeurons.MoeCodeFraction(z), Is.EqualTo(1.0));
    }

    [Test]
    public void Redo_ConvAveragesOverBatchAndSpace()
    {
        // [1, 2, 2, 2]: channel 0 = [1, 0, 0, 0] (E = 0.25), channel 1 = [0, 0, 0, 0.01] (E = 0.0025).
        // Mean score 0.12625 → channel 1 scores 0.0198.
        var x = Tensor.FromArray([1f, 0f, 0f, 0f, 0f, 0f, 0f, 0.01f], new Shape(1, 2, 2, 2));
        Assert.That(DormantNeurons.RedoFraction(x), Is.EqualTo(0.0));
        Assert.That(DormantNeurons.RedoFraction(x, 0.02), Is.EqualTo(0.5));
        Assert.That(DormantNeurons.RedoFraction(x, 0.019), Is.EqualTo(0.0));
    }

    // n = 2 experts, B = 2, p = 2 slots, h = 2 units; rows of [n, B·p, h] are (b0s0, b0s1, b1s0, b1s1).
    private static Tensor Experts() => Tensor.FromArray(
        [1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f,     // expert 0: b0s0 = [1, 0], b1s0 = [1, 0]
         0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f],    // expert 1: b1s0 = [1, 0]
        new Shape(2, 4, 2));

    [Test]
    public void MoeCodeExpert_AveragesOverBatchAndExperts()
    {
        // Scores over (slot, unit): (s0, u0) = 3/4, the other three 0 → 3 of 4 dormant.
        Assert.That(DormantNeurons.MoeCodeExpertFraction(Experts(), batch: 2), Is.EqualTo(0.75));
    }

    [Test]
    public void RedoExpert_CountsEachExpertUnit()
    {
        // (expert, unit) scores before normalization: (0,0) = 0.5, (0,1) = 0, (1,0) = 0.25, (1,1) = 0 → 2 of 4 dormant.
        Assert.That(DormantNeurons.RedoExpertFraction(Experts()), Is.EqualTo(0.5));
        // Mean 0.1875: (1,0) scores 1.333, (0,0) 2.667.
        Assert.That(DormantNeurons.RedoExpertFraction(Experts(), 1.5), Is.EqualTo(0.75));
    }

    [Test]
    public void BadShapesAndThresholds_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => DormantNeurons.RedoFraction(Tensor.Zeros(new Shape(4))));
        Assert.Throws<ArgumentException>(() => DormantNeurons.MoeCodeExpertFraction(Experts(), batch: 3));
        Assert.Throws<ArgumentException>(() => DormantNeurons.RedoFraction(Dense(), -1));
    }
}
