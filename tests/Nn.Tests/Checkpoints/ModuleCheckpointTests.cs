using MoeScratch.Nn.Checkpoints;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Optim;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Checkpoints;

public class ModuleCheckpointTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("moescratch-ckpt-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly NetworkConfig Cfg = NetworkConfig.TokenizedSum(1) with { Encoder = EncoderKind.MinAtar, Head = HeadOptions.FullRainbow };

    private static QNetwork Net(NetworkConfig cfg, ulong seed) => Net(cfg, seed, new Rng(seed + 100));

    private static QNetwork Net(NetworkConfig cfg, ulong seed, Rng noise) => NetworkBuilder.Build(cfg, [10, 10, 4], 3, new Rng(seed), noise);

    private static void TrainSteps(QNetwork net, Adam opt, int steps)
    {
        var x = Tensor.Uniform(new Shape(2, 10, 10, 4), 0f, 1f, new Rng(9));
        for (int i = 0; i < steps; i++)
        {
            opt.ZeroGrad();
            Ops.Sum(Ops.Square(net.Forward(x).Q)).Backward();
            opt.Step();
        }
    }

    private static IEnumerable<TestCaseData> RoundTripConfigs()
    {
        yield return new TestCaseData(Cfg).SetName("TokenizedSumRainbow");
        yield return new TestCaseData(NetworkConfig.SoftMoe(2) with { Encoder = EncoderKind.MinAtar, Head = HeadOptions.FullRainbow, Tokenization = Tokenization.Shuffled })
            .SetName("ShuffledSoftMoeRainbow");
        yield return new TestCaseData(NetworkConfig.Top1Moe(2) with { Encoder = EncoderKind.MinAtar }).SetName("Top1MoeDqn");
    }

    [TestCaseSource(nameof(RoundTripConfigs))]
    public void RoundTrip_BuiltQNetworkAndAdam_RestoresEverything(NetworkConfig cfg)
    {
        var noise = new Rng(50);
        var net = Net(cfg, 1, noise);
        var opt = new Adam(net.NamedParameters(), 1e-3f);
        TrainSteps(net, opt, 2);
        string path = Path.Combine(_dir, "model.safetensors");
        ModuleCheckpoint.Save(path, net, opt, step: 1234);

        var noise2 = new Rng(51);
        var net2 = Net(cfg, 2, noise2);
        var opt2 = new Adam(net2.NamedParameters(), 1e-3f);
        var info = ModuleCheckpoint.Load(path, net2, opt2);
        Assert.That(info.Step, Is.EqualTo(1234));
        Assert.That(info.Metadata["format"], Is.EqualTo("pt"));
        Assert.That(opt2.StepCount, Is.EqualTo(2));
        foreach (var (name, t) in net.StateDict()) Assert.That(net2.StateDict()[name].ToArray(), Is.EqualTo(t.ToArray()), name);
        foreach (var (name, t) in opt.StateDict()) Assert.That(opt2.StateDict()[name].ToArray(), Is.EqualTo(t.ToArray()), name);

        // Training on from the restored state matches training on from the original. The noise stream is not part
        // of a module checkpoint (the agent saves its Rng states), so it is synchronized here by hand.
        noise2.RestoreState(noise.SaveState());
        TrainSteps(net, opt, 1);
        TrainSteps(net2, opt2, 1);
        net.Eval(); net2.Eval();
        var x = Tensor.Uniform(new Shape(1, 10, 10, 4), 0f, 1f, new Rng(3));
        Assert.That(net2.Forward(x).Q.ToArray(), Is.EqualTo(net.Forward(x).Q.ToArray()));
    }

    [Test]
    public void File_IsPlainSafetensorsWithDottedF32Names()
    {
        var net = Net(Cfg, 1);
        string path = Path.Combine(_dir, "m.safetensors");
        ModuleCheckpoint.Save(path, net);
        var file = SafeTensors.Load(path);
        Assert.That(file.Entries.Select(e => e.Name), Is.EquivalentTo(net.StateDict().Keys));
        Assert.That(file.Entries.Select(e => e.DType), Has.All.EqualTo(SafeTensorDType.F32));
        Assert.That(file.Entries.Select(e => e.Name), Has.Some.EqualTo("encoder.conv1.weight"));
        Assert.That(file.Metadata!["step"], Is.EqualTo("0"));
        // A module-only load of a file that also has optimizer slots is allowed (evaluation).
        var opt = new Adam(net.NamedParameters(), 1e-3f);
        ModuleCheckpoint.Save(path, net, opt);
        Assert.That(() => ModuleCheckpoint.Load(path, Net(Cfg, 5)), Throws.Nothing);
    }

    [Test]
    public void Mismatches_AreReportedByName()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        ModuleCheckpoint.Save(path, Net(Cfg, 1));

        Assert.That(() => ModuleCheckpoint.Load(path, Net(Cfg with { WidthMultiplier = 2 }, 1)),
                    Throws.TypeOf<InvalidDataException>().With.Message.Contains("'torso.dense.weight_mu' has shape [16, 512] in the file"));
        Assert.That(() => ModuleCheckpoint.Load(path, Net(Cfg with { Torso = TorsoKind.Baseline }, 1)),
                    Throws.TypeOf<InvalidDataException>().With.Message.Contains("'torso.dense.weight_mu' has shape [16, 512] in the file but [1600, 512]"));
        Assert.That(() => ModuleCheckpoint.Load(path, Net(Cfg with { Encoder = EncoderKind.Impala }, 1)),
                    Throws.TypeOf<InvalidDataException>().With.Message.Contains("'encoder.stack0.conv.weight'").And.Message.Contains("is missing"));
        var noisyless = Cfg with { Head = HeadOptions.RainbowLite };
        Assert.That(() => ModuleCheckpoint.Load(path, Net(noisyless, 1)),
                    Throws.TypeOf<InvalidDataException>().With.Message.Contains("missing"));
        var net = Net(Cfg, 1);
        Assert.That(() => ModuleCheckpoint.Load(path, net, new Adam(net.NamedParameters(), 1e-3f)),
                    Throws.TypeOf<InvalidDataException>().With.Message.Contains("'optimizer.adam.m.encoder.conv1.weight'"));

        // Unexpected: a file with one extra tensor.
        var entries = SafeTensors.Load(path).Entries.ToList();
        entries.Add(SafeTensorEntry.FromFloats("torso.extra", [1], [1f]));
        SafeTensors.Save(path, entries, new Dictionary<string, string> { ["format"] = "pt", ["step"] = "0" });
        Assert.That(() => ModuleCheckpoint.Load(path, Net(Cfg, 1)),
                    Throws.TypeOf<InvalidDataException>().With.Message.Contains("'torso.extra'"));

        // Dtype: the same name stored as F16.
        entries = SafeTensors.Load(path).Entries.Where(e => e.Name != "torso.extra" && e.Name != "head.value.bias_mu").ToList();
        entries.Add(new SafeTensorEntry("head.value.bias_mu", SafeTensorDType.F16, [51], new byte[102]));
        SafeTensors.Save(path, entries, new Dictionary<string, string> { ["format"] = "pt", ["step"] = "0" });
        Assert.That(() => ModuleCheckpoint.Load(path, Net(Cfg, 1)),
                    Throws.TypeOf<InvalidDataException>().With.Message.Contains("'head.value.bias_mu' is F16"));
    }

    [Test]
    public void FailedLoad_LeavesTheModelUntouched()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        ModuleCheckpoint.Save(path, Net(Cfg, 1));
        var other = Net(Cfg with { WidthMultiplier = 2 }, 7);
        var before = other.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        Assert.That(() => ModuleCheckpoint.Load(path, other), Throws.TypeOf<InvalidDataException>());
        foreach (var (name, t) in other.StateDict()) Assert.That(t.ToArray(), Is.EqualTo(before[name]), name);
    }
}
