using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Moe;

public class TopKMoeTests
{
    /// <summary>
    /// A layer whose router sends tokens by the sign of feature 0 with a wide margin (logit gap 6·|x0|), so small
    /// perturbations never change the routing: x0 &gt; 0 → expert 0, x0 &lt; 0 → expert 1.
    /// </summary>
    private static TopKMoe SignRouted(int m, float[] x0, out Tensor tokens, TopKMoeOptions? options = null, ulong seed = 1)
    {
        var moe = new TopKMoe(3, m, options ?? new TopKMoeOptions(2, ExpertHidden: 5), new Rng(seed));
        var w = moe.Router.Weight.Span;
        for (int i = 0; i < w.Length; i++) w[i] *= 0.1f;
        w[0] = 3f;
        w[1] = -3f;
        tokens = Tensor.Uniform(new Shape(x0.Length / m, m, 3), -0.5f, 0.5f, new Rng(seed + 1));
        for (int t = 0; t < x0.Length; t++) tokens.Span[t * 3] = x0[t];
        return moe;
    }

    /// <summary>Reference: per observation, rank-major then token-order capacity filling, gate-weighted sum.</summary>
    private static double[] Reference(TopKMoe moe, Tensor x)
    {
        int b = x.Shape[0], m = moe.Tokens, d = moe.TokenDim, n = moe.NumExperts, k = moe.Options.K;
        var xs = x.ToArray();
        var w = moe.Router.Weight.ToArray();
        var y = new double[b * m * d];
        for (int o = 0; o < b; o++)
        {
            var used = new int[n];
            var probs = Enumerable.Range(0, m).Select(t => MoeReference.Softmax(MoeReference.Dense(MoeReference.Token(xs, o, t, m, d), w, n))).ToArray();
            var ranked = probs.Select(p => Enumerable.Range(0, n).OrderByDescending(e => p[e]).ThenBy(e => e).ToArray()).ToArray();
            for (int r = 0; r < k; r++)
            {
                for (int t = 0; t < m; t++)
                {
                    int e = ranked[t][r];
                    if (used[e]++ >= moe.Capacity) continue;
                    var ye = MoeReference.Expert(moe.Experts, e, MoeReference.Token(xs, o, t, m, d));
                    for (int i = 0; i < d; i++) y[(o * m + t) * d + i] += probs[t][e] * ye[i];
                }
            }
        }
        return y;
    }

    [TestCase(121, 8, 1.0, 16)]
    [TestCase(121, 8, 2.0, 31)]
    [TestCase(121, 1, 1.0, 121)]
    [TestCase(10, 4, 1.0, 3)]
    public void Capacity_IsCeilPerObservation(int m, int n, double cf, int expected)
    {
        var moe = new TopKMoe(2, m, new TopKMoeOptions(n, ExpertHidden: 2, CapacityFactor: cf), new Rng(0));
        Assert.That(moe.Capacity, Is.EqualTo(expected));
    }

    [Test]
    public void OverflowTokens_AreDroppedInIndexOrder_AndOutputZero()
    {
        // Observation 0: tokens 0,1,2 → expert 0 (capacity 2: token 2 dropped), token 3 → expert 1.
        // Observation 1: tokens 0,2,3 → expert 1 (token 3 dropped), token 1 → expert 0.
        var moe = SignRouted(4, [1f, 0.8f, 0.9f, -1f, -1f, 1f, -0.7f, -0.9f], out var x);
        Assert.That(moe.Capacity, Is.EqualTo(2));
        var output = moe.Forward(x);
        var y = output.Values.ToArray();
        Assert.That(y.Skip(2 * 3).Take(3), Has.All.EqualTo(0f), "obs 0 token 2 dropped");
        Assert.That(y.Skip((4 + 3) * 3).Take(3), Has.All.EqualTo(0f), "obs 1 token 3 dropped");
        Assert.That(output.TopExperts.ToArray(), Is.EqualTo(new[] { 0f, 0, 0, 1, 1, 0, 1, 1 }).AsCollection);
        MoeReference.AssertClose("top-1 output", Reference(moe, x), output.Values, 1e-5);
        Assert.That(output.AuxLoss, Is.Null, "no aux loss by default (losses.py)");
        Assert.That(output.ExpertHidden!.Shape, Is.EqualTo(new Shape(2, 2 * 2, 5)));
    }

    [TestCase(1)]
    [TestCase(2)]
    public void Forward_MatchesNaiveReference_RandomRouting(int k)
    {
        var moe = new TopKMoe(4, 7, new TopKMoeOptions(3, ExpertHidden: 6, K: k), new Rng(3));
        var w = moe.Router.Weight.Span;
        for (int i = 0; i < w.Length; i++) w[i] *= 4f; // sharper routing: capacity 3 of 7 tokens overflows
        var x = Tensor.Uniform(new Shape(3, 7, 4), -1, 1, new Rng(4));
        var output = moe.Forward(x);
        MoeReference.AssertClose($"top-{k} output", Reference(moe, x), output.Values, 1e-5);
        Assert.That(Ops.Sum(output.RouterProbabilities, [2]).ToArray(), Has.All.EqualTo(1f).Within(1e-5));
    }

    [Test]
    public void GradCheck_InputsRouterAndExperts_AwayFromTies()
    {
        var moe = SignRouted(4, [1f, 0.8f, 0.9f, -1f, -1f, 1f, -0.7f, -0.9f], out var x);
        GradCheck.Check("topk input", v => moe.Forward(v[0]).Values, [x]);
        GradCheck.Check("topk router", _ => moe.Forward(x).Values, [moe.Router.Weight]);
        GradCheck.Check("topk experts", _ => moe.Forward(x).Values, moe.Experts.Parameters().ToArray(), eps: 1e-3);
    }

    [Test]
    public void BatchIndependence_CapacityIsPerObservation()
    {
        var moe = new TopKMoe(3, 4, new TopKMoeOptions(2, ExpertHidden: 5), new Rng(5));
        var x = Tensor.Uniform(new Shape(2, 4, 3), -1, 1, new Rng(6));
        var y1 = moe.Forward(x).Values.ToArray();
        for (int i = 12; i < 24; i++) x.Span[i] = -2f * x.Span[i];
        var y2 = moe.Forward(x).Values.ToArray();
        Assert.That(y2.Take(12), Is.EqualTo(y1.Take(12)));
    }

    [Test]
    public void RouterNoise_OnlyInTraining()
    {
        var moe = new TopKMoe(3, 4, new TopKMoeOptions(2, ExpertHidden: 5, RouterNoise: true), new Rng(7), new Rng(8));
        var x = Tensor.Uniform(new Shape(2, 4, 3), -1, 1, new Rng(9));
        var p1 = moe.Forward(x).RouterProbabilities.ToArray();
        var p2 = moe.Forward(x).RouterProbabilities.ToArray();
        Assert.That(p2, Is.Not.EqualTo(p1).AsCollection);
        moe.Eval();
        var clean = Ops.Softmax(moe.Router.Forward(x), 2).ToArray();
        Assert.That(moe.Forward(x).RouterProbabilities.ToArray(), Is.EqualTo(clean).AsCollection);
        Assert.That(() => new TopKMoe(3, 4, new TopKMoeOptions(2, RouterNoise: true), new Rng(0)),
                    Throws.ArgumentException.With.Message.Contains("noiseRng"));
    }

    // Issue 16.5: acting and target passes run in training mode under NoGrad; they must not draw router or load-loss
    // noise, or every action would shift the noise the next gradient step sees.
    [Test]
    public void RouterAndLoadNoise_AreDrawnOnlyOnForwardsThatRecordGradients()
    {
        var noise = new Rng(13);
        var options = new TopKMoeOptions(2, ExpertHidden: 5, RouterNoise: true, LoadLoss: true);
        var moe = new TopKMoe(3, 4, options, new Rng(14), noise);
        var x = Tensor.Uniform(new Shape(2, 4, 3), -1, 1, new Rng(15));
        var before = noise.SaveState();
        MoeOutput acting;
        using (Tensor.NoGrad()) acting = moe.Forward(x);
        Assert.That(noise.SaveState(), Is.EqualTo(before), "a NoGrad forward leaves the noise stream untouched");
        Assert.That(acting.RouterProbabilities.ToArray(), Is.EqualTo(Ops.Softmax(moe.Router.Forward(x), 2).ToArray()).AsCollection);
        Assert.That(acting.AuxLoss, Is.Null, "no load loss without its noise");
        var trained = moe.Forward(x);
        Assert.That(noise.SaveState(), Is.Not.EqualTo(before), "a recording training forward draws noise");
        Assert.That(trained.AuxLoss, Is.Not.Null);
    }

    [Test]
    public void AuxLoss_IsWeightedSumOfEnabledLosses()
    {
        var noise = new Rng(10);
        var options = new TopKMoeOptions(3, ExpertHidden: 4, ImportanceLoss: true, ImportanceWeight: 0.3f, LoadLoss: true,
                                         LoadWeight: 2f, EntropyLoss: true, EntropyWeight: 0.5f);
        var moe = new TopKMoe(3, 6, options, new Rng(11), noise);
        var x = Tensor.Uniform(new Shape(2, 6, 3), -1, 1, new Rng(12));
        var state = noise.SaveState();
        var output = moe.Forward(x);

        noise.RestoreState(state);
        var logits = moe.Router.Forward(x);
        var noisy = Ops.Add(logits, Tensor.Normal(logits.Shape, 0f, 1f / 3, noise));
        var probs = Ops.Softmax(logits, 2);
        double expected = 0.3 * MoeAuxLosses.ImportanceLoss(probs).Item()
                        + 2.0 * MoeAuxLosses.LoadLoss(logits, noisy, 1f / 3, 1).Item()
                        + 0.5 * MoeAuxLosses.EntropyLoss(Ops.ArgMax(probs, 2), 3).Item();
        Assert.That(output.AuxLoss!.Item(), Is.EqualTo(expected).Within(1e-5));

        moe.Router.Weight.Grad = null;
        output.AuxLoss.Backward();
        Assert.That(moe.Router.Weight.Grad, Is.Not.Null, "the importance and load losses train the router");
    }
}
