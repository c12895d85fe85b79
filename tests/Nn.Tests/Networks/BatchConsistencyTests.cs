using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Networks;

/// <summary>
/// An agent acts on one observation and trains on batches of 32: every network variant must give each observation
/// the same Q-values (and distribution) at batch 1 as inside a batch (P1 §3: nothing mixes across the
/// batch). A CPU permute bug on size-1 axes once broke exactly this for every MoE torso at batch 1 while all
/// gradient checks (which ran at batch ≥ 2) passed, so MoE agents learned a different network than the one they
/// acted with.
/// </summary>
public class BatchConsistencyTests
{
    private static IEnumerable<TestCaseData> Variants()
    {
        var minAtar = (NetworkConfig c) => c with { Encoder = EncoderKind.MinAtar };
        yield return Case("baseline", minAtar(NetworkConfig.Baseline()));
        yield return Case("softmoe-4 perconv", minAtar(NetworkConfig.SoftMoe(4)));
        yield return Case("softmoe-4 persamp", minAtar(NetworkConfig.SoftMoe(4) with { Tokenization = Tokenization.PerSamp }));
        yield return Case("softmoe-2 normalized", minAtar(NetworkConfig.SoftMoe(2) with { SoftMoeNormalize = true }));
        yield return Case("softmoe-1", minAtar(NetworkConfig.SoftMoe(1)));
        yield return Case("top1-4", minAtar(NetworkConfig.Top1Moe(4)));
        yield return Case("expertchoice-4", minAtar(NetworkConfig.ExpertChoice(4)));
        yield return Case("tokenized-sum", minAtar(NetworkConfig.TokenizedSum(1)));
        yield return Case("tokenized-avg", minAtar(NetworkConfig.TokenizedAvg(1)));
        yield return Case("gap", minAtar(NetworkConfig.Gap(1)));
        yield return Case("softmoe-big-2", minAtar(NetworkConfig.SoftMoeBig(2)));
        yield return Case("softmoe-all-2", minAtar(NetworkConfig.SoftMoeAll(2)));
        yield return Case("softmoe-all-2 normalized rainbow", minAtar(NetworkConfig.SoftMoeAll(2, normalize: true)) with { Head = HeadOptions.FullRainbow });
        yield return Case("softmoe-4 c51 dueling", minAtar(NetworkConfig.SoftMoe(4)) with { Head = new HeadOptions(Atoms: 51, Dueling: true) });
    }

    private static TestCaseData Case(string name, NetworkConfig cfg) => new TestCaseData(name, cfg).SetArgDisplayNames(name);

    [TestCaseSource(nameof(Variants))]
    public void QAtBatchOne_EqualsQInsideABatch(string name, NetworkConfig cfg)
    {
        const int batch = 5, actions = 3;
        int[] obs = [10, 10, 4];
        var net = NetworkBuilder.Build(cfg, obs, actions, new Rng(1), new Rng(2));
        net.Eval(); // noisy layers off: the same function on both passes
        var x = Tensor.Uniform(new Shape(batch, 10, 10, 4), 0f, 1f, new Rng(3));
        var xs = x.ToArray();
        using var _ = Tensor.NoGrad();
        var all = net.Forward(x).Q.ToArray();
        int per = obs[0] * obs[1] * obs[2];
        for (int i = 0; i < batch; i++)
        {
            var one = net.Forward(Tensor.FromArray(xs.AsSpan(i * per, per).ToArray(), new Shape(1, 10, 10, 4))).Q.ToArray();
            for (int a = 0; a < actions; a++)
            {
                Assert.That(one[a], Is.EqualTo(all[(i * actions) + a]).Within(1e-4f),
                            $"{name}: observation {i}, action {a} at batch 1 vs inside a batch of {batch}");
            }
        }
    }
}
