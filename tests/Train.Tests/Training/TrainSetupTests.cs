using MoeScratch.Nn.Networks;
using MoeScratch.Nn.Tokenizers;
using MoeScratch.Train.Config;
using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Training;

public class TrainSetupTests
{
    private const string Pong = "atari:roms/pong.bin";

    [Test]
    public void Network_EveryChoiceBuildsAValidConfig()
    {
        foreach (string name in Choices.Networks)
        {
            var cfg = TrainSetup.Network(new TrainConfig { Network = name, Experts = Choices.IsMoe(name) ? 2 : 1 });
            Assert.DoesNotThrow(cfg.Validate, name);
            Assert.That(cfg.Encoder, Is.EqualTo(EncoderKind.MinAtar), name);
        }
    }

    [TestCase("softmoe-big", ExpertVariant.Big)]
    [TestCase("softmoe-all", ExpertVariant.All)]
    public void Network_ExpertVariantsKeepPerSampRouting_WhateverTheTokenizerFlag(string name, ExpertVariant variant)
    {
        // P1 §5.3: Big and All route PerSamp tokens; --tokenizer applies to the Regular MoE only.
        var cfg = TrainSetup.Network(new TrainConfig { Env = Pong, Network = name, Experts = 4, Tokenizer = "perconv", ExpertHidden = 32 });
        Assert.That(cfg.ExpertVariant, Is.EqualTo(variant));
        Assert.That(cfg.Tokenization, Is.EqualTo(Tokenization.PerSamp));
        Assert.That((cfg.NumExperts, cfg.ExpertHidden), Is.EqualTo((4, 32)));
        Assert.That(TrainSetup.Network(new TrainConfig { Env = Pong, Network = "softmoe", Tokenizer = "perfeat" }).Tokenization,
                    Is.EqualTo(Tokenization.PerFeat));
    }
}
