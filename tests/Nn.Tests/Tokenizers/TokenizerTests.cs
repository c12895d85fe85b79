using MoeScratch.Nn.Moe;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;
using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Nn.Tests.Tokenizers;

public class TokenizerTests
{
    private static readonly Shape Impala11 = new(2, 11, 11, 32);

    private static Tokenizer Make(Tokenization kind, Shape s, int patch = 3, int emb = 32, ulong seed = 0) =>
        TokenizerFactory.Create(kind, s, new Rng(seed), patch, emb);

    [TestCase(Tokenization.PerConv, 3, 121, 32)]
    [TestCase(Tokenization.PerFeat, 3, 32, 121)]
    [TestCase(Tokenization.PerSamp, 3, 1, 3872)]
    [TestCase(Tokenization.PerPatch, 3, 9, 32)]
    [TestCase(Tokenization.PerPatch, 4, 4, 32)]
    [TestCase(Tokenization.PerPatchAvgPool, 3, 9, 32)]
    [TestCase(Tokenization.PerPatchAvgPool, 4, 4, 32)]
    [TestCase(Tokenization.Shuffled, 3, 121, 32)]
    public void TokenShapes_For11x11Maps_MatchSections3_1And3_2(Tokenization kind, int patch, int tokens, int dim)
    {
        var t = Make(kind, Impala11, patch);
        Assert.That(t.TokenShape(Impala11), Is.EqualTo((tokens, dim)));
        Assert.That(t.Kind, Is.EqualTo(kind));
        var x = Tensor.Uniform(Impala11, -1f, 1f, new Rng(1));
        using (Tensor.NoGrad())
        {
            Assert.That(t.Forward(x).Shape.ToArray(), Is.EqualTo(new[] { 2, tokens, dim }));
        }
        Assert.That(t.OutputShape(Impala11).ToArray(), Is.EqualTo(new[] { 2, tokens, dim }));
    }

    [Test]
    public void PerPatch_CnnEmbeddingIs64()
    {
        var t = Make(Tokenization.PerPatch, new Shape(1, 11, 11, 64), 3, 64);
        Assert.That(t.TokenShape(new Shape(1, 11, 11, 64)), Is.EqualTo((9, 64)));
    }

    [Test]
    public void PerConvAndPerFeat_PlaceValuesAsSpecified()
    {
        var x = Tensor.Uniform(new Shape(2, 3, 4, 5), -1f, 1f, new Rng(2));
        var conv = Make(Tokenization.PerConv, x.Shape).Forward(x);
        var feat = Make(Tokenization.PerFeat, x.Shape).Forward(x);
        for (int b = 0; b < 2; b++)
        for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
        for (int ch = 0; ch < 5; ch++)
        {
            float v = x.At(b, r, c, ch);
            Assert.That(conv.At(b, r * 4 + c, ch), Is.EqualTo(v), "PerConv token = row·w + col");
            Assert.That(feat.At(b, ch, r * 4 + c), Is.EqualTo(v), "PerFeat token = channel");
        }
        var samp = Make(Tokenization.PerSamp, x.Shape).Forward(x);
        Assert.That(samp.ToArray(), Is.EqualTo(x.ToArray()));
    }

    [Test]
    public void PatchAvgPool_AveragesEachPatch()
    {
        var x = Tensor.Uniform(new Shape(1, 5, 5, 2), -1f, 1f, new Rng(3));
        var y = Make(Tokenization.PerPatchAvgPool, x.Shape, patch: 2).Forward(x); // VALID: 2×2 patches, last row/col dropped
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 4, 2 }));
        for (int pr = 0; pr < 2; pr++)
        for (int pc = 0; pc < 2; pc++)
        for (int ch = 0; ch < 2; ch++)
        {
            float s = 0;
            for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) s += x.At(0, pr * 2 + i, pc * 2 + j, ch);
            Assert.That(y.At(0, pr * 2 + pc, ch), Is.EqualTo(s / 4).Within(1e-6));
        }
    }

    [Test]
    public void PatchEmbedding_TokenIsTheConvOfItsPatch()
    {
        var x = Tensor.Uniform(new Shape(1, 4, 4, 2), -1f, 1f, new Rng(4));
        var t = (PatchEmbeddingTokenizer)Make(Tokenization.PerPatch, x.Shape, patch: 2, emb: 3);
        var y = t.Forward(x);
        var w = t.Embedding.Weight; // [2, 2, 2, 3]
        for (int pr = 0; pr < 2; pr++)
        for (int pc = 0; pc < 2; pc++)
        for (int o = 0; o < 3; o++)
        {
            float s = t.Embedding.Bias!.At(o);
            for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) for (int c = 0; c < 2; c++)
                s += x.At(0, pr * 2 + i, pc * 2 + j, c) * w.At(i, j, c, o);
            Assert.That(y.At(0, pr * 2 + pc, o), Is.EqualTo(s).Within(1e-5));
        }
    }

    [Test]
    public void Shuffled_IsAFixedPermutationOfAllEntries_KeptInTheStateDict()
    {
        var s = new Shape(2, 3, 3, 4);
        var x = Tensor.Uniform(s, -1f, 1f, new Rng(5));
        var t = (ShuffledTokenizer)Make(Tokenization.Shuffled, s, seed: 7);
        var perm = t.Permutation.ToArray().Select(v => (int)v).ToArray();
        Assert.That(perm.Order(), Is.EqualTo(Enumerable.Range(0, 36)), "a permutation of the h·w·d entries");
        var y1 = t.Forward(x);
        var y2 = t.Forward(x);
        Assert.That(y2.ToArray(), Is.EqualTo(y1.ToArray()), "fixed across calls");
        var xs = x.ToArray();
        for (int b = 0; b < 2; b++) for (int k = 0; k < 9; k++) for (int c = 0; c < 4; c++)
            Assert.That(y1.At(b, k, c), Is.EqualTo(xs[b * 36 + perm[k * 4 + c]]), "entry k·d + c is x's entry perm[k·d + c]");

        var other = (ShuffledTokenizer)Make(Tokenization.Shuffled, s, seed: 8);
        Assert.That(other.Permutation.ToArray(), Is.Not.EqualTo(t.Permutation.ToArray()));
        Assert.That(t.StateDict().Keys, Is.EquivalentTo(new[] { "permutation" }));
        other.LoadStateDict(t.StateDict());
        Assert.That(other.Forward(x).ToArray(), Is.EqualTo(y1.ToArray()), "a loaded permutation takes effect");
    }

    // Issue 16.1: permuting whole tokens left the function class PerConv's; a Shuffled token must mix positions and channels.
    [Test]
    public void Shuffled_TokensMixEntriesOfSeveralPositionsAndChannels()
    {
        var s = new Shape(1, 11, 11, 32); // an Impala encoder output (papers' 84×84 input)
        var t = (ShuffledTokenizer)Make(Tokenization.Shuffled, s, seed: 0);
        var perm = t.Permutation.ToArray().Select(v => (int)v).ToArray();
        int tokensMixingPositions = 0, tokensMixingChannels = 0;
        for (int k = 0; k < 121; k++)
        {
            var sources = perm.Skip(k * 32).Take(32).ToArray();
            if (sources.Select(e => e / 32).Distinct().Count() > 1) tokensMixingPositions++;
            if (sources.Select(e => e % 32).Distinct().Count() > 1) tokensMixingChannels++;
        }
        Assert.That(tokensMixingPositions, Is.EqualTo(121), "every token draws on several positions");
        Assert.That(tokensMixingChannels, Is.EqualTo(121), "every token draws on several channels");
    }

    // Issue 16.1: Soft MoE is equivariant to token order, so a token permutation only permutes its output rows.
    [Test]
    public void Shuffled_SoftMoeOutputIsNotARowPermutationOfPerConvs()
    {
        var s = new Shape(1, 3, 3, 4);
        var x = Tensor.Uniform(s, -1f, 1f, new Rng(21));
        var moe = new SoftMoe(4, 9, new SoftMoeOptions(2, ExpertHidden: 8), new Rng(22));
        var perConv = moe.Forward(Make(Tokenization.PerConv, s).Forward(x)).Values.ToArray();
        var shuffled = moe.Forward(Make(Tokenization.Shuffled, s, seed: 23).Forward(x)).Values.ToArray();
        // The check can see a row permutation: reversed PerConv tokens give PerConv's rows reversed.
        var backwards = Tensor.FromArray(Enumerable.Range(0, 9).Reverse().Select(i => (float)i).ToArray());
        var reversed = moe.Forward(Ops.IndexSelect(Make(Tokenization.PerConv, s).Forward(x), 1, backwards)).Values.ToArray();
        Assert.That(RowsFoundIn(reversed, perConv, 4), Is.EqualTo(9), "token order only permutes output rows");
        Assert.That(RowsFoundIn(shuffled, perConv, 4), Is.Zero, "no Shuffled output row is a PerConv output row");
    }

    /// <summary>How many d-wide rows of <paramref name="rows"/> equal (to 1e-5) some row of <paramref name="pool"/>.</summary>
    private static int RowsFoundIn(float[] rows, float[] pool, int d) =>
        Enumerable.Range(0, rows.Length / d).Count(r => Enumerable.Range(0, pool.Length / d).Any(
            q => Enumerable.Range(0, d).All(i => MathF.Abs(rows[r * d + i] - pool[q * d + i]) < 1e-5f)));

    [Test]
    public void Errors_NameTheProblem()
    {
        Assert.That(() => Make(Tokenization.PerPatch, new Shape(1, 2, 2, 3), patch: 3),
                    Throws.ArgumentException.With.Message.Contains("patch size 3"));
        Assert.That(() => Make(Tokenization.PerConv, new Shape(2, 3)), Throws.ArgumentException.With.Message.Contains("NHWC"));
        var sh = Make(Tokenization.Shuffled, new Shape(1, 3, 3, 2));
        Assert.That(() => sh.Forward(Tensor.Zeros(new Shape(1, 4, 4, 2))), Throws.ArgumentException.With.Message.Contains("3×3×2"));
        Assert.That(() => sh.Forward(Tensor.Zeros(new Shape(1, 3, 3, 4))), Throws.ArgumentException.With.Message.Contains("3×3×2"));
    }

    [TestCase(Tokenization.PerConv)]
    [TestCase(Tokenization.PerFeat)]
    [TestCase(Tokenization.PerSamp)]
    [TestCase(Tokenization.PerPatch)]
    [TestCase(Tokenization.PerPatchAvgPool)]
    [TestCase(Tokenization.Shuffled)]
    public void Gradients_MatchFiniteDifferences(Tokenization kind)
    {
        var s = new Shape(2, 4, 4, 3);
        var t = Make(kind, s, patch: 2, emb: 2, seed: 9);
        GradCheck.Check($"tokenizer {kind}", x => t.Forward(x[0]), GradCheck.RandomInputs(11, [2, 4, 4, 3]));
        if (t is PatchEmbeddingTokenizer pe)
        {
            var x = GradCheck.RandomInputs(12, [2, 4, 4, 3])[0];
            GradCheck.Check("patch embedding weight", w => t.Forward(x), [pe.Embedding.Weight, pe.Embedding.Bias!]);
        }
    }
}
