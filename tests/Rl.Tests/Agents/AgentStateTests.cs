using System.Text.Json;
using System.Text.Json.Serialization;
using MoeScratch.Nn.Heads;
using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Agents;

public class AgentStateTests
{
    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("FullRainbow").SetName("Resume_FullRainbow_NoisyPerDoubleC51");
        yield return new TestCaseData("DrqEpsilon").SetName("Resume_DrqEpsilon_Augmentation");
        yield return new TestCaseData("MinAtarDqn").SetName("Resume_MinAtarDqn");
    }

    private static AgentConfig Preset(string name) => name switch
    {
        "FullRainbow" => AgentConfig.FullRainbow,
        "DrqEpsilon" => AgentConfig.DrqEpsilon,
        _ => AgentConfig.MinAtarDqn,
    };

    [TestCaseSource(nameof(Cases))]
    public void SaveAfterK_ContinueM_IsBitIdentical(string preset)
    {
        var config = AgentHarness.Tiny(Preset(preset));
        int[] frame = AgentHarness.AtariFrame;
        using var original = AgentHarness.Create(config, frame, seed: 17);
        var loop = new FakeEnvLoop(36, 23);
        loop.Run(original, 45); // K: well past min replay, mid-episode

        // Checkpoint: tensors copied out, counters through JSON, replay through a stream.
        var state = original.CaptureState();
        var tensors = state.Tensors.ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.ToArray(), kv.Value.Shape));
        string json = JsonSerializer.Serialize(state.Counters, Json);
        using var replay = new MemoryStream();
        original.SaveReplay(replay);

        using var restored = AgentHarness.Create(config, frame, seed: 17);
        restored.RestoreState(new AgentState(tensors, JsonSerializer.Deserialize<AgentCounters>(json, Json)!));
        replay.Position = 0;
        restored.LoadReplay(replay);

        var loopCopy = loop.Clone();
        var a = loop.Run(original, 40); // M
        var b = loopCopy.Run(restored, 40);
        Assert.That(b, Is.EqualTo(a).AsCollection, "per-step losses");
        Assert.That(restored.GradientUpdates, Is.EqualTo(original.GradientUpdates));
        foreach (var (name, t) in original.CaptureState().Tensors)
        {
            var other = restored.CaptureState().Tensors[name];
            Assert.That(other.ToArray().AsSpan().SequenceEqual(t.ToArray()), Is.True, $"tensor {name}");
        }
    }

    [Test]
    public void Restore_RejectsAStateOfAnotherShape()
    {
        using var a = AgentHarness.Create(AgentHarness.Tiny(AgentConfig.MinAtarDqn), AgentHarness.MinAtarFrame);
        using var b = AgentHarness.Create(AgentHarness.Tiny(AgentConfig.MinAtarDqn) with { NetworkFactory = AgentHarness.SmallNetwork(16, HeadOptions.Dqn) }, AgentHarness.MinAtarFrame);
        Assert.Throws<ArgumentException>(() => b.RestoreState(a.CaptureState()));
    }
}
