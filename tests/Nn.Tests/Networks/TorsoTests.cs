using MoeScratch.Nn.Layers;
using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Networks;

public class TorsoTests
{
    [TestCase(Aggregation.Sum)]
    [TestCase(Aggregation.Mean)]
    public void TokenizedAggregation_IsSharedDensePerTokenThenPooled(Aggregation agg)
    {
        var torso = new TokenizedAggregationTorso(3, 4, agg, new Rng(1));
        var x = GradCheck.RandomInputs(2, [2, 2, 3, 3])[0]; // 6 tokens of dim 3
        var y = torso.Forward(x).Features;
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 4 }));
        var lin = (Linear)torso.NamedChildren().Single(c => c.Key == "dense").Value;
        for (int b = 0; b < 2; b++)
        for (int o = 0; o < 4; o++)
        {
            double acc = 0;
            for (int t = 0; t < 6; t++)
            {
                double h = lin.Bias!.At(o);
                for (int c = 0; c < 3; c++) h += x.At(b, t / 3, t % 3, c) * lin.Weight.At(c, o);
                acc += Math.Max(0, h);
            }
            if (agg == Aggregation.Mean) acc /= 6;
            Assert.That(y.At(b, o), Is.EqualTo(acc).Within(1e-5));
        }
        GradCheck.Check($"tokenized {agg} input", i => torso.Forward(i[0]).Features, GradCheck.RandomInputs(3, [2, 2, 3, 3]));
        // A small step keeps the parameter perturbation from crossing a ReLU kink of one of the 12 token activations.
        GradCheck.Check($"tokenized {agg} params", _ => torso.Forward(x).Features, torso.Parameters().ToArray(), eps: 1e-3);
    }

    [Test]
    public void TokenizedAggregation_Noisy_GradChecksWithFixedNoise()
    {
        var noise = new Rng(5);
        var torso = new TokenizedAggregationTorso(3, 4, Aggregation.Sum, new Rng(1), noisy: true, noiseRng: noise);
        var st = noise.SaveState();
        GradCheck.Check("tokenized noisy", i => { noise.RestoreState(st); return torso.Forward(i[0]).Features; },
                        GradCheck.RandomInputs(4, [2, 2, 2, 3]));
    }

    [Test]
    public void GlobalAveragePool_PoolsThenDense()
    {
        var torso = new GlobalAveragePoolTorso(3, 4, new Rng(1));
        var x = GradCheck.RandomInputs(2, [2, 2, 3, 3])[0];
        var y = torso.Forward(x).Features;
        var lin = (Linear)torso.NamedChildren().Single().Value;
        for (int b = 0; b < 2; b++)
        for (int o = 0; o < 4; o++)
        {
            double h = lin.Bias!.At(o);
            for (int c = 0; c < 3; c++)
            {
                double m = 0;
                for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) m += x.At(b, i, j, c);
                h += m / 6 * lin.Weight.At(c, o);
            }
            Assert.That(y.At(b, o), Is.EqualTo(Math.Max(0, h)).Within(1e-5));
        }
        Assert.That(torso.OutputFeatures(x.Shape), Is.EqualTo(4));
        GradCheck.Check("gap input", i => torso.Forward(i[0]).Features, GradCheck.RandomInputs(3, [2, 2, 3, 3]));
        GradCheck.Check("gap params", _ => torso.Forward(x).Features, torso.Parameters().ToArray(), eps: 1e-3);
    }

    /// <summary>
    /// One real expert MLP applied to every token (no routing) standing in for an MoE layer, to test the torso's
    /// tokenize → MoE → flatten wiring on its own.
    /// </summary>
    private sealed class TokenwiseExpert : MoeLayer
    {
        private readonly ExpertMlp _experts;

        public TokenwiseExpert(int d, Rng rng) => _experts = RegisterModule("experts", new ExpertMlp(1, d, 3, rng));

        public override int NumExperts => 1;

        public override ExpertMlp Experts => _experts;

        public override MoeOutput Forward(Tensor tokens)
        {
            int b = tokens.Shape[0], m = tokens.Shape[1], d = tokens.Shape[2];
            var (y, h) = _experts.Forward(tokens.Reshape(1, b * m, d));
            var probs = Tensor.Ones(new Shape(b, m, 1));
            return new MoeOutput(y.Reshape(b, m, d), probs, Tensor.Zeros(new Shape(b, m)), h, null);
        }
    }

    [Test]
    public void MoeTorso_FlattensTheMoeTokens_AndRegistersTheLayer()
    {
        var moe = new TokenwiseExpert(4, new Rng(1)); // PerFeat on [2, 2, 2, 3]: 3 tokens of dim 4
        var torso = new MoeTorso(new PerFeatTokenizer(), moe);
        var x = GradCheck.RandomInputs(2, [2, 2, 2, 3])[0];
        var o = torso.Forward(x);
        Assert.That(o.Features.Shape.ToArray(), Is.EqualTo(new[] { 2, 12 }));
        Assert.That(torso.OutputFeatures(x.Shape), Is.EqualTo(12));
        Assert.That(o.Moe, Is.Not.Null);
        var expected = moe.Forward(new PerFeatTokenizer().Forward(x)).Values.ToArray();
        Assert.That(o.Features.ToArray(), Is.EqualTo(expected));
        Assert.That(torso.NamedParameters().Select(p => p.Key), Has.All.StartWith("moe.experts.fc"));
        // Small step: with hidden width 3 a 1e-2 input step can cross an expert ReLU kink.
        GradCheck.Check("moe torso", i => torso.Forward(i[0]).Features, GradCheck.RandomInputs(3, [2, 2, 2, 3]), eps: 1e-3);

        var extra = new MoeTorso(new PerConvTokenizer(), new TokenwiseExpert(3, new Rng(1)), extraLinear: true, extraInFeatures: 12, rng: new Rng(2), extraWidth: 5);
        Assert.That(extra.Forward(x).Features.Shape.ToArray(), Is.EqualTo(new[] { 2, 5 }));
        Assert.That(extra.OutputFeatures(x.Shape), Is.EqualTo(5));
        Assert.That(extra.Forward(x).Features.ToArray(), Has.All.GreaterThanOrEqualTo(0f), "extra layer ends in ReLU");
    }
}
