using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Layers;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Encoders;

public class ConvFactoryTests
{
    /// <summary>A plain factory that also records what each conv was asked for, in call order.</summary>
    private static (ConvFactory Factory, List<ConvSpec> Specs) Recording()
    {
        var specs = new List<ConvSpec>();
        return ((spec, rng) =>
        {
            specs.Add(spec);
            return ConvFactories.Plain(spec, rng);
        }, specs);
    }

    private static int[] In(ConvSpec s) => s.Input!.Value.ToArray();

    [Test]
    public void NatureCnn_AsksForEachConvWithItsInputShape()
    {
        var (factory, specs) = Recording();
        _ = new NatureCnn(ConvInput.FromShape(new Shape(2, 84, 84, 4)), new Rng(0), factory);
        // dopamine NatureDQNNetwork, SAME: 84 → 21 → 11 → 11.
        Assert.That(specs.Select(In), Is.EqualTo(new[] { new[] { 1, 84, 84, 4 }, [1, 21, 21, 32], [1, 11, 11, 64] }));
        Assert.That(specs.Select(s => (s.InChannels, s.OutChannels, s.KernelSize, s.Stride)),
                    Is.EqualTo(new[] { (4, 32, 8, 4), (32, 64, 4, 2), (64, 64, 3, 1) }));

        (factory, specs) = Recording();
        _ = new NatureCnn(ConvInput.FromShape(new Shape(1, 84, 84, 4)), new Rng(0), factory, Padding.Valid);
        Assert.That(specs.Select(In), Is.EqualTo(new[] { new[] { 1, 84, 84, 4 }, [1, 20, 20, 32], [1, 9, 9, 64] }));
    }

    [Test]
    public void Impala_AsksForStackAndResidualConvsInForwardOrder()
    {
        var (factory, specs) = Recording();
        _ = new ImpalaEncoder(ConvInput.FromShape(new Shape(1, 84, 84, 4)), new Rng(0), factory);
        // ImpalaEncoder: per stack, conv (xavier) then 2 blocks × 2 convs (lecun_normal) after the 3×3 s2 max-pool.
        Assert.That(specs, Has.Count.EqualTo(15));
        int[][] stackIn = [[1, 84, 84, 4], [1, 42, 42, 16], [1, 21, 21, 32]];
        int[][] blockIn = [[1, 42, 42, 16], [1, 21, 21, 32], [1, 11, 11, 32]];
        for (int s = 0; s < 3; s++)
        {
            Assert.That(In(specs[5 * s]), Is.EqualTo(stackIn[s]), $"stack{s}.conv");
            Assert.That(specs[5 * s].WeightInit, Is.Null, "stack convs keep Conv2d's xavier_uniform");
            for (int k = 1; k <= 4; k++)
            {
                Assert.That(In(specs[5 * s + k]), Is.EqualTo(blockIn[s]), $"stack{s} residual conv {k}");
                Assert.That(specs[5 * s + k].WeightInit, Is.EqualTo((Initializer)Init.LecunNormal));
            }
        }
    }

    [Test]
    public void MinAtar_AsksForOneConv()
    {
        var (factory, specs) = Recording();
        _ = new MinAtarEncoder(ConvInput.FromShape(new Shape(1, 10, 10, 7)), new Rng(0), factory);
        var spec = specs.Single();
        Assert.That(In(spec), Is.EqualTo(new[] { 1, 10, 10, 7 }));
        Assert.That((spec.OutChannels, spec.KernelSize, spec.Stride), Is.EqualTo((16, 3, 1)));
    }

    [Test]
    public void PlainFactory_BuildsTheSameEncoderAsTheChannelConstructor()
    {
        // Same draws in the same order, same keys: the factory path changes nothing for the baseline encoders.
        var viaChannels = new ImpalaEncoder(4, new Rng(5)).StateDict();
        var viaShape = new ImpalaEncoder(ConvInput.FromShape(new Shape(1, 84, 84, 4)), new Rng(5), ConvFactories.Plain).StateDict();
        Assert.That(viaShape.Keys, Is.EqualTo(viaChannels.Keys));
        foreach (var (name, t) in viaChannels) Assert.That(viaShape[name].ToArray(), Is.EqualTo(t.ToArray()), name);
        Assert.That(new NatureCnn(4, new Rng(0)).Conv1, Is.TypeOf<Conv2d>());
    }

    [Test]
    public void ConvInput_ChannelsOnlyHasNoShape_AndShapeMustBeNhwc()
    {
        var (factory, specs) = Recording();
        _ = new MinAtarEncoder(ConvInput.FromChannels(3), new Rng(0), factory);
        Assert.That(specs.Single().Input, Is.Null);
        Assert.That(specs.Single().InChannels, Is.EqualTo(3));
        Assert.That(() => ConvInput.FromShape(new Shape(10, 10, 3)), Throws.ArgumentException.With.Message.Contains("[10, 10, 3]"));
    }
}
