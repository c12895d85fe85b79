using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Moe;

public class ExpertMlpTests
{
    [Test]
    public void Parameters_AreStackedPerExpert_WithDottedNames()
    {
        var mlp = new ExpertMlp(3, 4, 5, new Rng(0));
        var shapes = mlp.NamedParameters().ToDictionary(p => p.Key, p => p.Value.Shape.ToString());
        Assert.That(shapes, Is.EqualTo(new Dictionary<string, string>
        {
            ["fc1.weight"] = new Shape(3, 4, 5).ToString(), ["fc1.bias"] = new Shape(3, 5).ToString(),
            ["fc2.weight"] = new Shape(3, 5, 4).ToString(), ["fc2.bias"] = new Shape(3, 4).ToString(),
        }));
        Assert.That(mlp.ParameterCount, Is.EqualTo(3 * (4 * 5 + 5 + 5 * 4 + 4)));
    }

    [Test]
    public void Init_IsXavierPerExpert_BiasesZero()
    {
        var mlp = new ExpertMlp(2, 64, 512, new Rng(1));
        float bound = MathF.Sqrt(6f / (64 + 512)); // fans of ONE expert's matrix, not of the stack
        var w1 = mlp["fc1.weight"].ToArray();
        Assert.That(w1, Has.All.InRange(-bound, bound));
        Assert.That(w1.Select(v => (double)v * v).Average(), Is.EqualTo(2.0 / 576).Within(0.1 * 2.0 / 576));
        Assert.That(mlp["fc1.bias"].ToArray(), Has.All.EqualTo(0f));
        Assert.That(mlp["fc2.bias"].ToArray(), Has.All.EqualTo(0f));
    }

    [Test]
    public void Forward_EqualsSeparateDenseLayersPerExpert()
    {
        var mlp = new ExpertMlp(3, 4, 6, new Rng(2));
        foreach (var b in new[] { mlp["fc1.bias"], mlp["fc2.bias"] })
        {
            var r = new Rng(9);
            for (int i = 0; i < b.Count; i++) b.Span[i] = r.NextFloat() - 0.5f; // non-zero biases are exercised too
        }
        var x = Tensor.Uniform(new Shape(3, 5, 4), -1, 1, new Rng(3));
        var (y, hidden) = mlp.Forward(x);
        Assert.That(hidden.Shape, Is.EqualTo(new Shape(3, 5, 6)));
        var xs = x.ToArray();
        var expected = new List<double>();
        for (int e = 0; e < 3; e++)
        {
            for (int t = 0; t < 5; t++) expected.AddRange(MoeReference.Expert(mlp, e, MoeReference.Token(xs, e, t, 5, 4)));
        }
        MoeReference.AssertClose("ExpertMlp output", [.. expected], y, 1e-5);
        Assert.That(hidden.ToArray(), Has.All.GreaterThanOrEqualTo(0f));
    }

    [Test]
    public void GradCheck_InputsAndAllWeights()
    {
        var mlp = new ExpertMlp(2, 3, 4, new Rng(4));
        var x = GradCheck.RandomInputs(5, [2, 3, 3]);
        GradCheck.Check("expert-mlp input", v => mlp.Forward(v[0]).Output, x);
        var ps = mlp.Parameters().ToArray();
        GradCheck.Check("expert-mlp weights", _ => mlp.Forward(x[0]).Output, ps);
    }

    [Test]
    public void Reinitialize_RedrawsInPlace_KeepsTensorIdentity()
    {
        var mlp = new ExpertMlp(2, 3, 4, new Rng(6));
        var w = mlp["fc1.weight"];
        var before = w.ToArray();
        mlp["fc2.bias"].Span[0] = 5f;
        mlp.Reinitialize(new Rng(7));
        Assert.That(mlp["fc1.weight"], Is.SameAs(w));
        Assert.That(w.ToArray(), Is.Not.EqualTo(before).AsCollection);
        Assert.That(mlp["fc2.bias"].ToArray(), Has.All.EqualTo(0f));
        var fresh = mlp.FreshInit(new Rng(7));
        Assert.That(fresh[0].Value.ToArray(), Is.EqualTo(w.ToArray()).AsCollection, "same seed, same draw");
    }

    [Test]
    public void ReinitializeExpert_TouchesOnlyThatSlice()
    {
        var mlp = new ExpertMlp(3, 2, 4, new Rng(20));
        foreach (var p in mlp.Parameters()) p.Span.Fill(7f);
        mlp.ReinitializeExpert(1, new Rng(21));
        var fresh = mlp.FreshInit(new Rng(21)).ToDictionary(p => p.Key, p => p.Value.ToArray());
        foreach (var name in new[] { "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" })
        {
            var v = mlp[name].ToArray();
            int per = v.Length / 3;
            Assert.That(v.Take(per), Has.All.EqualTo(7f), $"{name} expert 0");
            Assert.That(v.Skip(per).Take(per), Is.EqualTo(fresh[name].Skip(per).Take(per)), $"{name} expert 1");
            Assert.That(v.Skip(2 * per), Has.All.EqualTo(7f), $"{name} expert 2");
        }
        Assert.That(() => mlp.ReinitializeExpert(3, new Rng(0)), Throws.ArgumentException.With.Message.Contains("[0, 3)"));
    }

    [Test]
    public void ShrinkPerturb_MixesWithAFreshDraw()
    {
        var mlp = new ExpertMlp(2, 3, 4, new Rng(22));
        var before = mlp["fc1.weight"].ToArray();
        mlp.ShrinkPerturb(0.5f, 0.1f, new Rng(23));
        var fresh = mlp.FreshInit(new Rng(23))[0].Value.ToArray();
        var expected = before.Select((v, i) => (double)(0.5f * v + 0.1f * fresh[i])).ToArray();
        MoeReference.AssertClose("shrink & perturb", expected, mlp["fc1.weight"], 1e-6);
    }

    [Test]
    public void Noisy_EvalIsMeanPath_TrainDrawsOneSamplePerExpert()
    {
        var mlp = new ExpertMlp(2, 3, 4, new Rng(8), noisy: true, noiseRng: new Rng(9));
        Assert.That(mlp.NamedParameters().Select(p => p.Key), Is.EqualTo(new[]
        {
            "fc1.weight_mu", "fc1.weight_sigma", "fc1.bias_mu", "fc1.bias_sigma", "fc2.weight", "fc2.bias",
        }));
        Assert.That(mlp["fc1.weight_sigma"].ToArray(), Has.All.EqualTo(0.1f / MathF.Sqrt(3)));
        var x = Tensor.Uniform(new Shape(2, 5, 3), -1, 1, new Rng(10));
        mlp.Eval();
        var e1 = mlp.Forward(x).Output.ToArray();
        Assert.That(mlp.Forward(x).Output.ToArray(), Is.EqualTo(e1).AsCollection);
        mlp.Train();
        var t1 = mlp.Forward(x).Output.ToArray();
        var t2 = mlp.Forward(x).Output.ToArray();
        Assert.That(t1, Is.Not.EqualTo(e1).AsCollection);
        Assert.That(t2, Is.Not.EqualTo(t1).AsCollection);

        // Reference: expert e with W = μ + σ⊙f(p_e)f(q_e)ᵀ, b = μ_b + σ_b⊙f(q_e), noise drawn p_e then q_e per expert.
        var state = mlp.NoiseRng!.SaveState();
        var got = mlp.Forward(x).Output.ToArray();
        var rng = new Rng(0);
        rng.RestoreState(state);
        var plain = new ExpertMlp(2, 3, 4, new Rng(0));
        static float F(double v) => (float)(Math.Sign(v) * Math.Sqrt(Math.Abs(v)));
        var mu = mlp["fc1.weight_mu"].ToArray(); var sg = mlp["fc1.weight_sigma"].ToArray();
        var bmu = mlp["fc1.bias_mu"].ToArray(); var bsg = mlp["fc1.bias_sigma"].ToArray();
        for (int e = 0; e < 2; e++)
        {
            var p = Enumerable.Range(0, 3).Select(_ => F(rng.NextNormal())).ToArray();
            var q = Enumerable.Range(0, 4).Select(_ => F(rng.NextNormal())).ToArray();
            for (int i = 0; i < 3; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    int at = (e * 3 + i) * 4 + j;
                    plain["fc1.weight"].Span[at] = mu[at] + sg[at] * p[i] * q[j];
                }
            }
            for (int j = 0; j < 4; j++) plain["fc1.bias"].Span[e * 4 + j] = bmu[e * 4 + j] + bsg[e * 4 + j] * q[j];
        }
        plain["fc2.weight"].Span.Clear();
        mlp["fc2.weight"].Span.CopyTo(plain["fc2.weight"].Span);
        mlp["fc2.bias"].Span.CopyTo(plain["fc2.bias"].Span);
        GradCheck.AssertClose("noisy expert vs explicit noisy weights", plain.Forward(x).Output.ToArray(), got, 1e-5f);
    }

    [Test]
    public void Noisy_GradCheck_WithFixedNoiseState()
    {
        var noise = new Rng(11);
        var mlp = new ExpertMlp(2, 3, 4, new Rng(12), noisy: true, noiseRng: noise);
        var state = noise.SaveState();
        var x = GradCheck.RandomInputs(13, [2, 2, 3]);
        Tensor Run()
        {
            noise.RestoreState(state); // the same noise sample for every finite-difference evaluation
            return mlp.Forward(x[0]).Output;
        }
        GradCheck.Check("noisy expert input", _ => Run(), x);
        GradCheck.Check("noisy expert weights", _ => Run(), mlp.Parameters().ToArray());
    }

    [Test]
    public void BadInput_AndMissingNoiseStream_AreRejected()
    {
        var mlp = new ExpertMlp(2, 3, 4, new Rng(0));
        Assert.That(() => mlp.Forward(Tensor.Zeros(new Shape(3, 2, 3))), Throws.ArgumentException.With.Message.Contains("[2, T, 3]"));
        Assert.That(() => new ExpertMlp(2, 3, 4, new Rng(0), noisy: true), Throws.ArgumentException.With.Message.Contains("noiseRng"));
        Assert.That(() => mlp["fc1.weight_mu"], Throws.ArgumentException.With.Message.Contains("fc1.weight"));
    }

    /// <summary>
    /// Without a graph the deferred forward runs the fused Ops.Mlp: the output is Forward's, and the hidden, made on
    /// demand, is Forward's hidden.
    /// </summary>
    [Test]
    public void ForwardDeferred_WithoutGrad_IsForward_AndRecomputesTheHiddenOnDemand()
    {
        var mlp = new ExpertMlp(2, 4, 6, new Rng(2));
        var b1 = mlp["fc1.bias"];
        for (int i = 0; i < b1.Count; i++) b1.Span[i] = i % 2 == 0 ? 0.3f : -0.3f;
        var x = Tensor.Uniform(new Shape(2, 9, 4), -1, 1, new Rng(3));
        var (y, hidden) = mlp.Forward(x);
        using (Tensor.NoGrad())
        {
            var (fused, makeHidden) = mlp.ForwardDeferred(x);
            Assert.That(fused.ToArray(), Is.EqualTo(y.ToArray()).AsCollection.Within(1e-6f));
            Assert.That(makeHidden().ToArray(), Is.EqualTo(hidden.ToArray()).AsCollection);
            Assert.That(hidden.ToArray().Count(v => v == 0f), Is.InRange(1, hidden.Count - 1), "a ReLU that clips some");
        }
    }

    /// <summary>
    /// With a graph the deferred forward is still the fused op (its backward recomputes the hidden block by block): the
    /// output, the gradients of the input and of every parameter, and the hidden made on demand are Forward's.
    /// </summary>
    [Test]
    public void ForwardDeferred_WithGrad_GivesForwardsOutputGradientsAndHidden()
    {
        (float[] Y, float[][] Grads, float[] Hidden) Run(bool deferred)
        {
            var mlp = new ExpertMlp(2, 3, 5, new Rng(4));
            var x = Tensor.Uniform(new Shape(2, 4, 3), -1, 1, new Rng(5));
            x.RequiresGrad = true;
            Tensor y, hidden;
            if (deferred)
            {
                (y, var makeHidden) = mlp.ForwardDeferred(x);
                Assert.That(y.GradFnName, Is.EqualTo("mlp"), "one fused node");
                hidden = makeHidden();
            }
            else
            {
                (y, hidden) = mlp.Forward(x);
            }
            Ops.Sum(Ops.Mul(y, y)).Backward();
            return (y.ToArray(), [x.Grad!.ToArray(), .. mlp.Parameters().Select(p => p.Grad!.ToArray())], hidden.ToArray());
        }
        var (fy, fGrads, fHidden) = Run(deferred: true);
        var (py, pGrads, pHidden) = Run(deferred: false);
        Assert.That(fy, Is.EqualTo(py).AsCollection.Within(1e-6f));
        Assert.That(fHidden, Is.EqualTo(pHidden).AsCollection.Within(1e-6f));
        Assert.That(fGrads, Has.Length.EqualTo(5), "x and four parameters");
        for (int i = 0; i < fGrads.Length; i++)
        {
            Assert.That(fGrads[i], Is.EqualTo(pGrads[i]).AsCollection.Within(1e-5f), $"gradient {i}");
            Assert.That(fGrads[i].Any(v => v != 0f), $"gradient {i} is not all zero");
        }
    }

    /// <summary>Noisy experts have no fused op: the deferred forward is Forward, and the hidden is its graph's.</summary>
    [Test]
    public void ForwardDeferred_Noisy_KeepsTheGraphsHidden()
    {
        var mlp = new ExpertMlp(2, 3, 5, new Rng(4), noisy: true, noiseRng: new Rng(6));
        var x = Tensor.Uniform(new Shape(2, 4, 3), -1, 1, new Rng(5));
        var (y, makeHidden) = mlp.ForwardDeferred(x);
        var first = makeHidden();
        Assert.That(makeHidden(), Is.SameAs(first), "the graph's hidden, not a recomputation");
        Ops.Sum(y).Backward();
        Assert.That(mlp["fc1.weight_mu"].Grad, Is.Not.Null);
    }
}
