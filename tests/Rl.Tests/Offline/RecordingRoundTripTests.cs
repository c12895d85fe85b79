using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Offline;
using MoeScratch.Rl.Replay;
using MoeScratch.Rl.Running;
using MoeScratch.Rl.Tests.Running;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Offline;

public class RecordingRoundTripTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "moe-rec-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static byte[] Saved(ReplayBuffer buffer)
    {
        using var ms = new MemoryStream();
        buffer.Save(ms);
        return ms.ToArray();
    }

    /// <summary>Records a short Breakout run (with truncations from a step cap) through a RecordingAgent.</summary>
    private ScriptedAgent Record(int checkpoint, out TransitionRecorder recorder)
    {
        using var env = MinAtarGames.Create("breakout", 4);
        var agent = new ScriptedAgent(env.ActionCount, env.ObservationShape, 4, replayCapacity: 2048) { RecordCalls = false, Learn = false };
        recorder = new TransitionRecorder(env.ObservationShape);
        var recording = new RecordingAgent(agent, recorder);
        var config = RunnerConfig.MinAtar() with { Iterations = 2, TrainingStepsPerIteration = 300, MaxEpisodeSteps = 25, EvaluationEpisodes = 2 };
        new Runner(env, recording, config).Run();
        Assert.That(recorder.Count, Is.EqualTo(agent.Replay.AddCount), "evaluation episodes are not recorded");
        recorder.WriteCheckpoint(_dir, checkpoint);
        return agent;
    }

    [Test]
    public void ARecordedRunReadsBackThroughTheDatasetReader()
    {
        var agent = Record(3, out var recorder);
        Assert.That(recorder.Count, Is.Zero, "writing clears the recorder");
        Assert.That(DqnReplayDatasetReader.AvailableCheckpoints(_dir), Is.EqualTo(new[] { 3 }));
        var reader = DqnReplayDatasetReader.Open(_dir, 3);
        Assert.That(reader.Count, Is.EqualTo(agent.Replay.AddCount));
        Assert.That(reader.ObservationShape, Is.EqualTo(new long[] { 10, 10, 4 }));
        byte[] terminals = reader.ReadTerminals();
        Assert.That(terminals.Count(t => t == 1), Is.GreaterThan(0), "Breakout episodes under a 25-step cap still end in the game sometimes");
        Assert.That(reader.ReadActions(), Is.All.InRange(0, 5));
        using var s = NpyReader.Open(Path.Combine(_dir, DqnReplayDatasetReader.FileName("observation", 3)));
        Assert.That(s, Is.InstanceOf<System.IO.Compression.GZipStream>());
    }

    [Test]
    public void LoadingARecordingRebuildsTheAgentsReplayBufferExactly()
    {
        var agent = Record(0, out _);
        // Same config and the same sampler seed as the agent's buffer (ScriptedAgent: Rng.ForStream(seed, 8)).
        var offline = new ReplayBuffer(agent.Replay.Config, new UniformSampler(Rng.ForStream(4, 8)));
        long added = DqnReplayDatasetLoader.Fill(offline, _dir, 0);
        Assert.That(added, Is.EqualTo(agent.Replay.AddCount));
        Assert.That(Saved(offline), Is.EqualTo(Saved(agent.Replay)));
    }

    [Test]
    public void WithoutEpisodeEndFlagsOnlyTerminalsEndEpisodes()
    {
        var agent = Record(0, out _);
        File.Delete(Path.Combine(_dir, DqnReplayDatasetReader.FileName(TransitionRecorder.EpisodeEndArray, 0)));
        var offline = new ReplayBuffer(agent.Replay.Config, new UniformSampler(Rng.ForStream(4, 8)));
        DqnReplayDatasetLoader.Fill(offline, _dir, 0);
        Assert.That(Saved(offline), Is.Not.EqualTo(Saved(agent.Replay)), "truncations are lost without the episode_end file");
    }

    [Test]
    public void APartialFillEndsTheLastEpisode()
    {
        var agent = Record(0, out _);
        var offline = new ReplayBuffer(agent.Replay.Config, new UniformSampler(new Rng(1)));
        Assert.That(DqnReplayDatasetLoader.Fill(offline, _dir, 0, maxTransitions: 100), Is.EqualTo(100));
        Assert.That(offline.AddCount, Is.EqualTo(100));
    }

    [Test]
    public void AMismatchedFrameShapeIsRejected()
    {
        Record(0, out _);
        var atari = new ReplayBuffer(new ReplayConfig { Capacity = 100, BatchSize = 8 }, new UniformSampler(new Rng(1)));
        Assert.That(() => DqnReplayDatasetLoader.Fill(atari, _dir, 0), Throws.ArgumentException.With.Message.Contains("(10, 10, 4)"));
    }

    [Test]
    public void NpyWriterHeadersAreNumpyCompatible()
    {
        byte[] h = NpyWriter.Header(NpyDType.UInt8, [5, 84, 84]);
        Assert.That(h.Length % 64, Is.Zero);
        Assert.That(h[^1], Is.EqualTo((byte)'\n'));
        // numpy.save(np.zeros((5, 84, 84), np.uint8)) writes exactly this dict before the padding.
        string text = System.Text.Encoding.ASCII.GetString(h, 10, h.Length - 10).TrimEnd();
        Assert.That(text, Is.EqualTo("{'descr': '|u1', 'fortran_order': False, 'shape': (5, 84, 84), }"));
        Assert.That(System.Text.Encoding.ASCII.GetString(NpyWriter.Header(NpyDType.Float32, [7]), 10, 60).TrimEnd(),
            Is.EqualTo("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }"));
        using var ms = new MemoryStream();
        NpyWriter.Write(ms, NpyDType.Int32, [2], [1, 0, 0, 0, 2, 0, 0, 0]);
        ms.Position = 0;
        Assert.That(NpyReader.ReadHeader(ms, "mem"), Is.EqualTo(new NpyHeader(NpyDType.Int32, [2])).Using<NpyHeader>((a, b) => a.DType == b.DType && a.Shape.SequenceEqual(b.Shape)));
        Assert.That(() => NpyWriter.Write(new MemoryStream(), NpyDType.Int32, [3], new byte[8]), Throws.ArgumentException.With.Message.Contains("12 bytes"));
    }
}
