using MoeScratch.Nn.Encoders;
using MoeScratch.Nn.Heads;
using MoeScratch.Nn.Networks;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Encoders;

public class EncoderTests
{
    private static void AssertShapes(Layer enc, int[] input, int[] expected)
    {
        Assert.That(enc.OutputShape(new Shape(input)).ToArray(), Is.EqualTo(expected));
        var x = Tensor.Uniform(new Shape(input), 0f, 1f, new Rng(3));
        using (Tensor.NoGrad())
        {
            Assert.That(enc.Forward(x).Shape.ToArray(), Is.EqualTo(expected), "a real forward must agree with OutputShape");
        }
    }

    [Test]
    public void NatureCnn_Same_84x84x4_Gives11x11x64() =>
        AssertShapes(new NatureCnn(4, new Rng(0)), [2, 84, 84, 4], [2, 11, 11, 64]);

    [Test]
    public void NatureCnn_Valid_84x84x4_Gives7x7x64() =>
        AssertShapes(new NatureCnn(4, new Rng(0), Padding.Valid), [2, 84, 84, 4], [2, 7, 7, 64]);

    [Test]
    public void Impala_84x84x4_Gives11x11x32() =>
        AssertShapes(new ImpalaEncoder(4, new Rng(0)), [2, 84, 84, 4], [2, 11, 11, 32]);

    [Test]
    public void MinAtar_10x10_SameAndValid()
    {
        AssertShapes(new MinAtarEncoder(7, new Rng(0)), [2, 10, 10, 7], [2, 10, 10, 16]);
        AssertShapes(new MinAtarEncoder(4, new Rng(0), Padding.Valid), [2, 10, 10, 4], [2, 8, 8, 16]);
    }

    [Test]
    public void ParameterCounts_MatchPapersSection4_3()
    {
        // P1 Table 4: Impala (16, 32, 32) with 4 input channels has 97,744 parameters; the Nature CNN 77,984.
        Assert.That(new ImpalaEncoder(4, new Rng(0)).ParameterCount, Is.EqualTo(97_744));
        Assert.That(new NatureCnn(4, new Rng(0)).ParameterCount, Is.EqualTo(77_984));
    }

    [Test]
    public void AnchorNetwork_NatureDqnValid_Has1693362Parameters()
    {
        // TorchSharp anchor network: Nature-DQN, VALID padding, Dense 512, 18 actions.
        var cfg = NetworkConfig.Baseline() with { Encoder = EncoderKind.NatureCnn, EncoderPadding = EncoderPadding.Valid, Head = HeadOptions.Dqn };
        var net = NetworkBuilder.Build(cfg, [84, 84, 4], 18, new Rng(0), new Rng(1));
        Assert.That(net.ParameterCount, Is.EqualTo(1_693_362));
    }

    [Test]
    public void AnchorNetwork_ImpalaDqn_Has2089954Parameters()
    {
        // TorchSharp anchor network: IMPALA-CNN DQN, flatten 3872 → Linear 512 → ReLU → Linear 18.
        var net = NetworkBuilder.Build(NetworkConfig.Baseline(), [84, 84, 4], 18, new Rng(0), new Rng(1));
        Assert.That(net.ParameterCount, Is.EqualTo(2_089_954));
    }

    [Test]
    public void IdentityEncoder_ReturnsInput()
    {
        var x = Tensor.Ones(new Shape(1, 2, 2, 1));
        Assert.That(new IdentityEncoder().Forward(x), Is.SameAs(x));
    }
}
