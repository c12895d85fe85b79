using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Moe;

public class SoftMoeTests
{
    private static Tensor Tokens(int b, int m, int d, ulong seed) => Tensor.Uniform(new Shape(b, m, d), -1, 1, new Rng(seed));

    [TestCase(1, 121)]
    [TestCase(2, 61)]
    [TestCase(4, 31)]
    [TestCase(8, 16)]
    public void SlotsPerExpert_IsCeilOfTokensOverExperts(int n, int p)
    {
        Assert.That(SoftMoe.ResolveSlots(121, new SoftMoeOptions(n)), Is.EqualTo(p)); // dopamine softmoe.py
    }

    [Test]
    public void SlotOverrides_ExplicitAndFraction()
    {
        Assert.That(SoftMoe.ResolveSlots(121, new SoftMoeOptions(4, SlotsPerExpert: 3)), Is.EqualTo(3));
        Assert.That(SoftMoe.ResolveSlots(121, new SoftMoeOptions(1, SlotFraction: 0.1)), Is.EqualTo(12)); // round(12.1)
        Assert.That(SoftMoe.ResolveSlots(121, new SoftMoeOptions(4, SlotFraction: 0.1)), Is.EqualTo(3));  // ceil(12/4)
        Assert.That(SoftMoe.ResolveSlots(121, new SoftMoeOptions(1, SlotFraction: 0.001)), Is.EqualTo(1)); // at least 1
        Assert.That(SoftMoe.ResolveSlots(121, new SoftMoeOptions(2, CapacityFactor: 0.5)), Is.EqualTo(31)); // ceil(30.25)
        Assert.That(() => SoftMoe.ResolveSlots(121, new SoftMoeOptions(2, SlotsPerExpert: 2, SlotFraction: 0.5)),
                    Throws.ArgumentException.With.Message.Contains("at most one"));
        Assert.That(() => SoftMoe.ResolveSlots(121, new SoftMoeOptions(2, SlotFraction: 1.5)),
                    Throws.ArgumentException.With.Message.Contains("(0, 1]"));
    }

    // P1 §4.1: Φ + experts + the always-created scalar, hidden 512, m = 121.
    [TestCase(32, 1, 37_185)]
    [TestCase(32, 2, 70_529)]
    [TestCase(32, 4, 137_217)]
    [TestCase(32, 8, 270_593)]
    [TestCase(64, 1, 73_857)]
    [TestCase(64, 2, 140_033)]
    [TestCase(64, 4, 272_385)]
    [TestCase(64, 8, 537_089)]
    public void ParameterCount_MatchesPaperTable(int d, int n, long expected)
    {
        var moe = new SoftMoe(d, 121, new SoftMoeOptions(n), new Rng(0));
        Assert.That(moe.ParameterCount, Is.EqualTo(expected));
        Assert.That(moe.NamedParameters().Select(p => p.Key).Take(2), Is.EqualTo(new[] { "phi", "scale" }));
    }

    [Test]
    public void PhiInit_IsLecunNormalWithFanInNTimesD()
    {
        var moe = new SoftMoe(32, 121, new SoftMoeOptions(8), new Rng(1));
        Assert.That(moe.Phi.Shape, Is.EqualTo(new Shape(32, 8 * 16)));
        var v = moe.Phi.ToArray();
        double var = v.Select(x => (double)x * x).Average();
        Assert.That(var, Is.EqualTo(1.0 / (8 * 32)).Within(0.1 / (8 * 32)));
        Assert.That(v, Has.All.InRange(-2 / MathF.Sqrt(256) / 0.8796f, 2 / MathF.Sqrt(256) / 0.8796f));
        Assert.That(moe.Scale.ToArray(), Is.EqualTo(new[] { 1f }).AsCollection);
    }

    [Test]
    public void RoutingWeights_AreConvexPerObservation()
    {
        var moe = new SoftMoe(4, 5, new SoftMoeOptions(2, ExpertHidden: 8), new Rng(2));
        var (dispatch, combine) = moe.Route(Tokens(3, 5, 4, 3));
        var dsum = Ops.Sum(dispatch, [1]).ToArray();   // over tokens, per slot
        var csum = Ops.Sum(combine, [2]).ToArray();    // over slots, per token
        Assert.That(dsum, Has.Length.EqualTo(3 * moe.TotalSlots).And.All.EqualTo(1f).Within(1e-5));
        Assert.That(csum, Has.Length.EqualTo(3 * 5).And.All.EqualTo(1f).Within(1e-5));
        var output = moe.Forward(Tokens(3, 5, 4, 3));
        Assert.That(output.RouterProbabilities.Shape, Is.EqualTo(new Shape(3, 5, 2)));
        Assert.That(Ops.Sum(output.RouterProbabilities, [2]).ToArray(), Has.All.EqualTo(1f).Within(1e-5));
        Assert.That(output.TopExperts.Shape, Is.EqualTo(new Shape(3, 5)));
        Assert.That(output.ExpertHidden!.Shape, Is.EqualTo(new Shape(2, 3 * 3, 8)));
        Assert.That(output.AuxLoss, Is.Null);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Forward_MatchesNaiveReference(bool normalize)
    {
        const int b = 2, m = 5, d = 3, n = 2;
        var moe = new SoftMoe(d, m, new SoftMoeOptions(n, ExpertHidden: 6, Normalize: normalize), new Rng(4));
        moe.Scale.Span[0] = 1.7f; // only used with normalization
        var x = Tokens(b, m, d, 5);
        var output = moe.Forward(x);
        var xs = x.ToArray();
        var phi = moe.Phi.ToArray();
        int s = moe.TotalSlots, p = moe.SlotsPerExpert;
        if (normalize)
        {
            for (int j = 0; j < s; j++)
            {
                double norm = Math.Sqrt(Enumerable.Range(0, d).Sum(i => (double)phi[i * s + j] * phi[i * s + j]));
                for (int i = 0; i < d; i++) phi[i * s + j] = (float)(phi[i * s + j] / (norm + 1e-6) * 1.7);
            }
        }
        var expected = new double[b * m * d];
        var top = new double[b * m];
        for (int o = 0; o < b; o++)
        {
            var tok = Enumerable.Range(0, m).Select(t => MoeReference.Token(xs, o, t, m, d)).ToArray();
            var logits = tok.Select(v =>
            {
                var u = v;
                if (normalize)
                {
                    double norm = Math.Sqrt(v.Sum(a => a * a));
                    u = v.Select(a => a / (norm + 1e-6)).ToArray();
                }
                return MoeReference.Dense(u, phi, s);
            }).ToArray();
            var combine = logits.Select(MoeReference.Softmax).ToArray();
            var slotOut = new double[s][];
            for (int j = 0; j < s; j++)
            {
                var disp = MoeReference.Softmax(logits.Select(l => l[j]).ToArray());
                var slot = new double[d];
                for (int t = 0; t < m; t++) for (int i = 0; i < d; i++) slot[i] += disp[t] * tok[t][i];
                slotOut[j] = MoeReference.Expert(moe.Experts, j / p, slot);
            }
            for (int t = 0; t < m; t++)
            {
                for (int j = 0; j < s; j++) for (int i = 0; i < d; i++) expected[(o * m + t) * d + i] += combine[t][j] * slotOut[j][i];
                var perExpert = Enumerable.Range(0, n).Select(e => combine[t].Skip(e * p).Take(p).Sum()).ToList();
                top[o * m + t] = perExpert.IndexOf(perExpert.Max());
            }
        }
        MoeReference.AssertClose("SoftMoe output", expected, output.Values, 1e-5);
        MoeReference.AssertClose("SoftMoe top experts", top, output.TopExperts, 0);
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    public void BatchIndependence_ObservationZeroIgnoresObservationOne(bool normalize, bool randomPhi)
    {
        var noise = new Rng(6);
        var moe = new SoftMoe(3, 4, new SoftMoeOptions(2, ExpertHidden: 5, Normalize: normalize, RandomPhi: randomPhi), new Rng(7), noise);
        var x = Tokens(2, 4, 3, 8);
        var state = noise.SaveState();
        var y1 = moe.Forward(x).Values.ToArray();
        for (int i = 12; i < 24; i++) x.Span[i] = 3f * x.Span[i] + 1f; // change observation 1 only
        noise.RestoreState(state);
        var y2 = moe.Forward(x).Values.ToArray();
        Assert.That(y2.Take(12), Is.EqualTo(y1.Take(12)));
        Assert.That(y2.Skip(12), Is.Not.EqualTo(y1.Skip(12)));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void GradCheck_InputsPhiScaleAndExperts(bool normalize)
    {
        var moe = new SoftMoe(3, 4, new SoftMoeOptions(2, ExpertHidden: 5, Normalize: normalize), new Rng(9));
        var x = GradCheck.RandomInputs(10, [2, 4, 3]);
        GradCheck.Check($"softmoe input (normalize={normalize})", v => moe.Forward(v[0]).Values, x);
        var routerParams = normalize ? new[] { moe.Phi, moe.Scale } : [moe.Phi];
        GradCheck.Check($"softmoe phi/scale (normalize={normalize})", _ => moe.Forward(x[0]).Values, routerParams);
        // Slot inputs are near-averages of the tokens, so some hidden units sit close to the ReLU kink: a smaller
        // finite-difference step keeps the difference quotient on one side of it.
        GradCheck.Check("softmoe experts", _ => moe.Forward(x[0]).Values, moe.Experts.Parameters().ToArray(), eps: 1e-3);
    }

    [Test]
    public void Normalization_ZeroToken_GivesFiniteGradients()
    {
        var moe = new SoftMoe(3, 4, new SoftMoeOptions(2, ExpertHidden: 5, Normalize: true), new Rng(11));
        var x = Tokens(1, 4, 3, 12);
        for (int i = 0; i < 3; i++) x.Span[i] = 0f; // an all-zero token, as after ReLU
        x.RequiresGrad = true;
        Ops.Sum(moe.Forward(x).Values).Backward();
        Assert.That(x.Grad!.ToArray().Concat(moe.Phi.Grad!.ToArray()).Concat(moe.Scale.Grad!.ToArray()),
                    Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void RandomPhi_IsFreshEachCall_NeverLearned()
    {
        var moe = new SoftMoe(3, 4, new SoftMoeOptions(2, ExpertHidden: 5, RandomPhi: true), new Rng(13), new Rng(14));
        var x = Tokens(2, 4, 3, 15);
        var y1 = moe.Forward(x);
        var y2 = moe.Forward(x);
        Assert.That(y2.Values.ToArray(), Is.Not.EqualTo(y1.Values.ToArray()).AsCollection);
        Ops.Sum(y2.Values).Backward();
        Assert.That(moe.Phi.Grad, Is.Null);
        Assert.That(moe.Experts["fc1.weight"].Grad, Is.Not.Null);
        Assert.That(() => new SoftMoe(3, 4, new SoftMoeOptions(2, RandomPhi: true), new Rng(0)),
                    Throws.ArgumentException.With.Message.Contains("noiseRng"));
    }

    [Test]
    public void NoisyExperts_GradCheck_WithFixedNoiseState()
    {
        var noise = new Rng(16);
        var moe = new SoftMoe(3, 4, new SoftMoeOptions(2, ExpertHidden: 5, NoisyExperts: true), new Rng(17), noise);
        var state = noise.SaveState();
        var x = GradCheck.RandomInputs(18, [2, 4, 3]);
        Tensor Run(Tensor input)
        {
            noise.RestoreState(state);
            return moe.Forward(input).Values;
        }
        GradCheck.Check("softmoe noisy input", v => Run(v[0]), x);
        GradCheck.Check("softmoe noisy experts", _ => Run(x[0]), moe.Experts.Parameters().ToArray());
        moe.Eval();
        var e1 = moe.Forward(x[0]).Values.ToArray();
        Assert.That(moe.Forward(x[0]).Values.ToArray(), Is.EqualTo(e1).AsCollection);
    }

    [Test]
    public void WrongTokenShape_NamesTheExpectation()
    {
        var moe = new SoftMoe(3, 4, new SoftMoeOptions(2, ExpertHidden: 5), new Rng(0));
        Assert.That(() => moe.Forward(Tensor.Zeros(new Shape(2, 5, 3))), Throws.ArgumentException.With.Message.Contains("[B, 4, 3]"));
    }

    /// <summary>
    /// A forward without a graph (fused experts) gives the output and, when read, the expert hidden of a forward with
    /// one, so the dormant-neuron probes, which run under NoGrad, see the same activations.
    /// </summary>
    [Test]
    public void Forward_WithoutGrad_MatchesTheGraphForward_IncludingTheExpertHidden()
    {
        var moe = new SoftMoe(4, 6, new SoftMoeOptions(2, ExpertHidden: 8), new Rng(12));
        var tokens = Tensor.Uniform(new Shape(3, 6, 4), -1, 1, new Rng(13));
        var withGraph = moe.Forward(tokens);
        Assert.That(withGraph.Values.RequiresGrad, Is.True);
        using (Tensor.NoGrad())
        {
            var plain = moe.Forward(tokens);
            Assert.That(plain.Values.ToArray(), Is.EqualTo(withGraph.Values.ToArray()).AsCollection.Within(1e-6f));
            var hidden = plain.ExpertHidden!;
            Assert.That(hidden.ToArray(), Is.EqualTo(withGraph.ExpertHidden!.ToArray()).AsCollection.Within(1e-6f));
            Assert.That(plain.ExpertHidden, Is.SameAs(hidden), "made once");
        }
    }
}
