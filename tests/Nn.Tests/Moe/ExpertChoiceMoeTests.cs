using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Moe;

public class ExpertChoiceMoeTests
{
    /// <summary>Reference: each expert takes its top-p tokens by score (ties: lower index), output Σ score·expert.</summary>
    private static double[] Reference(ExpertChoiceMoe moe, Tensor x)
    {
        int b = x.Shape[0], m = moe.Tokens, d = moe.TokenDim, n = moe.NumExperts;
        var xs = x.ToArray();
        var w = moe.Router.Weight.ToArray();
        var y = new double[b * m * d];
        for (int o = 0; o < b; o++)
        {
            var scores = Enumerable.Range(0, m).Select(t => MoeReference.Softmax(MoeReference.Dense(MoeReference.Token(xs, o, t, m, d), w, n))).ToArray();
            for (int e = 0; e < n; e++)
            {
                foreach (int t in Enumerable.Range(0, m).OrderByDescending(t => scores[t][e]).ThenBy(t => t).Take(moe.Capacity))
                {
                    var ye = MoeReference.Expert(moe.Experts, e, MoeReference.Token(xs, o, t, m, d));
                    for (int i = 0; i < d; i++) y[(o * m + t) * d + i] += scores[t][e] * ye[i];
                }
            }
        }
        return y;
    }

    /// <summary>Router by the sign of feature 0 with wide score gaps between the tokens (no ties under perturbation).</summary>
    private static ExpertChoiceMoe Separated(out Tensor x, int? capacity = null)
    {
        var moe = new ExpertChoiceMoe(3, 4, new ExpertChoiceOptions(2, ExpertHidden: 5, Capacity: capacity), new Rng(1));
        var w = moe.Router.Weight.Span;
        for (int i = 0; i < w.Length; i++) w[i] *= 0.1f;
        w[0] = 3f;
        w[1] = -3f;
        x = Tensor.Uniform(new Shape(2, 4, 3), -0.3f, 0.3f, new Rng(2));
        float[] x0 = [1f, 0.4f, -0.3f, -1f, -0.2f, 0.9f, 0.3f, -0.8f];
        for (int t = 0; t < x0.Length; t++) x.Span[t * 3] = x0[t];
        return moe;
    }

    [Test]
    public void Capacity_DefaultsToCeilTokensOverExperts()
    {
        Assert.That(new ExpertChoiceMoe(2, 121, new ExpertChoiceOptions(8, ExpertHidden: 2), new Rng(0)).Capacity, Is.EqualTo(16));
        Assert.That(new ExpertChoiceMoe(2, 121, new ExpertChoiceOptions(4, ExpertHidden: 2, Capacity: 121), new Rng(0)).Capacity, Is.EqualTo(121));
        Assert.That(() => new ExpertChoiceMoe(2, 10, new ExpertChoiceOptions(2, Capacity: 11), new Rng(0)),
                    Throws.ArgumentException.With.Message.Contains("[1, m = 10]"));
    }

    [Test]
    public void Forward_MatchesNaiveReference()
    {
        var moe = new ExpertChoiceMoe(4, 7, new ExpertChoiceOptions(3, ExpertHidden: 6), new Rng(3));
        var x = Tensor.Uniform(new Shape(3, 7, 4), -1, 1, new Rng(4));
        var output = moe.Forward(x);
        MoeReference.AssertClose("expert choice output", Reference(moe, x), output.Values, 1e-5);
        Assert.That(Ops.Sum(output.RouterProbabilities, [2]).ToArray(), Has.All.EqualTo(1f).Within(1e-5));
        Assert.That(output.ExpertHidden!.Shape, Is.EqualTo(new Shape(3, 3 * 3, 6)));
    }

    [Test]
    public void TokensPickedByNoExpert_OutputZero()
    {
        // p = 1: expert 0 takes the most positive x0, expert 1 the most negative; the middle tokens get nothing.
        var moe = Separated(out var x, capacity: 1);
        var y = moe.Forward(x).Values.ToArray();
        foreach (int token in new[] { 1, 2, 4, 6 }) Assert.That(y.Skip(token * 3).Take(3), Has.All.EqualTo(0f), $"token {token}");
        foreach (int token in new[] { 0, 3, 5, 7 }) Assert.That(y.Skip(token * 3).Take(3), Has.Some.Not.EqualTo(0f), $"token {token}");
    }

    [Test]
    public void GradCheck_InputsRouterAndExperts_AwayFromTies()
    {
        var moe = Separated(out var x);
        GradCheck.Check("expert choice input", v => moe.Forward(v[0]).Values, [x]);
        GradCheck.Check("expert choice router", _ => moe.Forward(x).Values, [moe.Router.Weight]);
        GradCheck.Check("expert choice experts", _ => moe.Forward(x).Values, moe.Experts.Parameters().ToArray(), eps: 1e-3);
    }

    [Test]
    public void BatchIndependence_ChoicesArePerObservation()
    {
        var moe = new ExpertChoiceMoe(3, 4, new ExpertChoiceOptions(2, ExpertHidden: 5), new Rng(5));
        var x = Tensor.Uniform(new Shape(2, 4, 3), -1, 1, new Rng(6));
        var y1 = moe.Forward(x).Values.ToArray();
        for (int i = 12; i < 24; i++) x.Span[i] = 5f * x.Span[i];
        var y2 = moe.Forward(x).Values.ToArray();
        Assert.That(y2.Take(12), Is.EqualTo(y1.Take(12)));
    }
}
