using MoeScratch.Rl.Checkpointing;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Rl.Running;
using MoeScratch.Rl.Tests.Running;

namespace MoeScratch.Rl.Tests.Checkpointing;

public class RunCheckpointerTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "moe-ckpt-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static RunnerConfig Config(int iterations) =>
        RunnerConfig.MinAtar() with { Iterations = iterations, TrainingStepsPerIteration = 150, Seed = 5, KeepCheckpoints = 2 };

    private static (MinAtarGame Env, ScriptedAgent Agent) Make(ulong seed)
    {
        var env = MinAtarGames.Create("breakout", seed);
        return (env, new ScriptedAgent(env.ActionCount, env.ObservationShape, seed) { RecordCalls = false });
    }

    /// <summary>The uninterrupted reference run: episodes and the final parameter hash.</summary>
    private static (List<EpisodeRecord> Episodes, ulong Hash) Reference(int iterations)
    {
        var (env, agent) = Make(21);
        using (env)
        using (agent)
        {
            var sink = new MemoryMetricsSink();
            new Runner(env, agent, Config(iterations), sink).Run();
            return (sink.Episodes, agent.ParameterHash());
        }
    }

    [Test]
    public void ResumingFromACheckpointEqualsAnUninterruptedRunBitForBit()
    {
        var reference = Reference(4);
        var sink = new MemoryMetricsSink();
        var (env1, agent1) = Make(21);
        using (env1)
        using (agent1)
        {
            var runner = new Runner(env1, agent1, Config(2), sink) { Checkpointer = new RunCheckpointer(_dir, agent1) };
            Assert.That(runner.Run().LastCheckpoint, Is.Not.Null);
        }
        // Fresh objects built with another seed: everything that matters must come from the checkpoint.
        var (env2, agent2) = Make(999);
        using (env2)
        using (agent2)
        {
            var loaded = new RunCheckpointer(_dir, agent2).Load(env2);
            Assert.That(loaded.State.Iteration, Is.EqualTo(2));
            Assert.That(loaded.State.NeedsEnvironmentReseed, Is.False);
            new Runner(env2, agent2, Config(4), sink, loaded.State).Run();
            Assert.That(sink.Episodes, Is.EqualTo(reference.Episodes));
            Assert.That(agent2.ParameterHash(), Is.EqualTo(reference.Hash));
        }
    }

    [Test]
    public void ACancelledRunCheckpointsMidIterationAndResumesExactly()
    {
        var reference = Reference(3);
        var sink = new MemoryMetricsSink();
        var (env1, agent1) = Make(21);
        string? saved;
        using (env1)
        using (agent1)
        {
            using var cts = new CancellationTokenSource();
            agent1.OnStep = a => { if (a.Stats.EnvSteps == 222) cts.Cancel(); };
            var result = new Runner(env1, agent1, Config(3), sink) { Checkpointer = new RunCheckpointer(_dir, agent1) }.Run(cts.Token);
            Assert.That(result.Reason, Is.EqualTo(StopReason.Cancelled));
            saved = result.LastCheckpoint;
        }
        Assert.That(saved, Is.EqualTo(RunCheckpointer.Latest(_dir)));
        var (env2, agent2) = Make(3);
        using (env2)
        using (agent2)
        {
            var loaded = new RunCheckpointer(_dir, agent2).Load(env2);
            Assert.That(loaded.State.Iteration, Is.EqualTo(1));
            Assert.That(loaded.State.TrainEpisodes, Is.Not.Empty, "the checkpoint should carry the partial iteration");
            new Runner(env2, agent2, Config(3), sink, loaded.State).Run();
            Assert.That(sink.Episodes, Is.EqualTo(reference.Episodes));
            Assert.That(agent2.ParameterHash(), Is.EqualTo(reference.Hash));
        }
    }

    private string SaveOne()
    {
        var (env, agent) = Make(21);
        using (env)
        using (agent)
        {
            return new Runner(env, agent, Config(1)) { Checkpointer = new RunCheckpointer(_dir, agent) }.Run().LastCheckpoint!;
        }
    }

    private void AssertLoadFails(string fileName)
    {
        var (env, agent) = Make(1);
        using (env)
        using (agent)
        {
            Assert.That(() => new RunCheckpointer(_dir, agent).Load(env),
                Throws.TypeOf<InvalidDataException>().With.Message.Contains(fileName));
        }
    }

    [TestCase("replay.bin")]
    [TestCase("agent.safetensors")]
    [TestCase(RunCheckpointer.EnvironmentFileName)]
    [TestCase(RunCheckpointer.RunnerFileName)]
    public void AFlippedByteIsRefusedNamingTheFile(string file)
    {
        string path = Path.Combine(SaveOne(), file);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        AssertLoadFails(file);
    }

    [TestCase("replay.bin")]
    [TestCase("agent.bin")]
    public void ATruncatedFileIsRefusedNamingTheFile(string file)
    {
        string path = Path.Combine(SaveOne(), file);
        using (var fs = new FileStream(path, FileMode.Open)) fs.SetLength(fs.Length - 3);
        AssertLoadFails(file);
    }

    [Test]
    public void ACheckpointWithoutManifestIsRefused()
    {
        File.Delete(Path.Combine(SaveOne(), "manifest.json"));
        AssertLoadFails("manifest.json");
    }

    [Test]
    public void ACheckpointOfAnotherEnvironmentIsRefused()
    {
        SaveOne();
        using var env = MinAtarGames.Create("asterix", 1);
        using var agent = new ScriptedAgent(env.ActionCount, env.ObservationShape, 1);
        Assert.That(() => new RunCheckpointer(_dir, agent).Load(env),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("minatar:breakout"));
    }

    [Test]
    public void OnlyTheLastKCheckpointsAreKeptAndLatestPointsToTheNewest()
    {
        var (env, agent) = Make(21);
        using (env)
        using (agent)
        {
            var runner = new Runner(env, agent, Config(5)) { Checkpointer = new RunCheckpointer(_dir, agent, keep: 2) };
            string last = runner.Run().LastCheckpoint!;
            var kept = RunCheckpointer.List(_dir);
            Assert.That(kept, Has.Count.EqualTo(2));
            Assert.That(kept[^1], Is.EqualTo(last));
            Assert.That(Path.GetFileName(kept[0]), Does.StartWith("ckpt-000004-"));
            Assert.That(RunCheckpointer.Latest(_dir), Is.EqualTo(last));
        }
    }

    [Test]
    public void CheckpointEveryKIterationsPlusTheLast()
    {
        var (env, agent) = Make(21);
        using (env)
        using (agent)
        {
            var runner = new Runner(env, agent, Config(5) with { CheckpointEvery = 2 }) { Checkpointer = new RunCheckpointer(_dir, agent, keep: 10) };
            runner.Run();
            var names = RunCheckpointer.List(_dir).Select(d => Path.GetFileName(d)[..11]);
            Assert.That(names, Is.EqualTo(new[] { "ckpt-000002", "ckpt-000004", "ckpt-000005" }));
        }
    }

    [Test]
    public void LeftoverTempDirectoriesAreRemoved()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "ckpt-000001-000000000010.tmp-abc"));
        using var agent = new ScriptedAgent(3, [2, 2, 1], 1);
        _ = new RunCheckpointer(_dir, agent);
        Assert.That(Directory.EnumerateDirectories(_dir), Is.Empty);
    }

    [Test]
    public void AStatelessEnvironmentResumesWithADeterministicReseed()
    {
        var config = new RunnerConfig { Iterations = 3, TrainingStepsPerIteration = 10, MaxEpisodeSteps = null, Seed = 9 };
        using (var env = new ScriptedEnvironment([4], [1f]))
        using (var agent = new ScriptedAgent(3, env.ObservationShape, 1))
            new Runner(env, agent, config with { Iterations = 1 }) { Checkpointer = new RunCheckpointer(_dir, agent) }.Run();

        ulong? Resume()
        {
            using var env = new ScriptedEnvironment([4], [1f]);
            using var agent = new ScriptedAgent(3, env.ObservationShape, 2);
            var loaded = new RunCheckpointer(_dir, agent).Load(env);
            Assert.That(loaded.State.NeedsEnvironmentReseed, Is.True);
            new Runner(env, agent, config, resumeFrom: loaded.State).Run();
            Assert.That(env.ResetSeeds.Skip(1), Is.All.Null, "only the first episode after a resume is reseeded");
            return env.ResetSeeds[0];
        }

        ulong? first = Resume(), second = Resume();
        Assert.That(first, Is.Not.Null);
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void TheManifestRecordsConfigCountersAndEveryFile()
    {
        var manifest = Nn.Checkpoints.CheckpointManifest.LoadAndVerify(SaveOne());
        Assert.That(manifest.Files.Select(f => f.Name),
            Is.EquivalentTo(new[] { "agent.safetensors", "agent.bin", "replay.bin", RunCheckpointer.EnvironmentFileName, RunCheckpointer.RunnerFileName }));
        Assert.That(manifest.Extra!["iteration"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(manifest.Extra!["runner_config"]!["training_steps_per_iteration"]!.GetValue<long>(), Is.EqualTo(150));
        Assert.That(manifest.Extra!["environment"]!.GetValue<string>(), Is.EqualTo("minatar:breakout"));
    }

    [Test]
    public void LoadNewestValidFallsBackPastACorruptedCheckpoint()
    {
        var (env, agent) = Make(21);
        using (env)
        using (agent)
            new Runner(env, agent, Config(3)) { Checkpointer = new RunCheckpointer(_dir, agent, keep: 3) }.Run();
        var all = RunCheckpointer.List(_dir);
        File.AppendAllText(Path.Combine(all[^1], "replay.bin"), "x");

        var (env2, agent2) = Make(5);
        using (env2)
        using (agent2)
        {
            var loaded = new RunCheckpointer(_dir, agent2).LoadNewestValid(env2, out var skipped);
            Assert.That(loaded!.Path, Is.EqualTo(all[^2]));
            Assert.That(loaded.State.Iteration, Is.EqualTo(2));
            Assert.That(skipped.Single(), Does.Contain("replay.bin"));
        }
    }

    [Test]
    public void PeekNewest_FindsTheNewestCompleteCheckpointWithoutTheLatestFile()
    {
        var (env, agent) = Make(21);
        using (env)
        using (agent)
            new Runner(env, agent, Config(3)) { Checkpointer = new RunCheckpointer(_dir, agent, keep: 3) }.Run();
        var all = RunCheckpointer.List(_dir);
        File.Delete(Path.Combine(_dir, RunCheckpointer.LatestFileName));
        // A newer directory without a manifest (a write cut short) is not complete.
        Directory.CreateDirectory(Path.Combine(_dir, "ckpt-000009-000000009999"));
        CheckpointSummary newest = RunCheckpointer.PeekNewest(_dir)!;
        Assert.That(newest.Path, Is.EqualTo(all[^1]));
        Assert.That(newest.Iteration, Is.EqualTo(3));
        Assert.That(newest.TotalSteps, Is.GreaterThanOrEqualTo(450));
        Assert.That(RunCheckpointer.PeekNewest(Path.Combine(_dir, "absent")), Is.Null);

        var (env2, agent2) = Make(5);
        using (env2)
        using (agent2)
        {
            var loaded = new RunCheckpointer(_dir, agent2).LoadNewestValid(env2, out var skipped);
            Assert.That(loaded!.Path, Is.EqualTo(all[^1]));
            Assert.That(skipped.Single(), Does.Contain("ckpt-000009").And.Contain("manifest.json"));
        }
    }

    [Test]
    public void UnusedFilesAreCheckedForLengthOnly()
    {
        string dir = SaveOne();
        string replay = Path.Combine(dir, "replay.bin");
        byte[] bytes = File.ReadAllBytes(replay);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(replay, bytes);
        var (env, agent) = Make(1);
        using (env)
        using (agent)
        {
            var checkpointer = new RunCheckpointer(_dir, agent);
            Assert.That(() => checkpointer.Load(env, dir, unusedFiles: ["replay.bin"]), Throws.Nothing);
            using (var fs = new FileStream(replay, FileMode.Open)) fs.SetLength(fs.Length - 1);
            Assert.That(() => checkpointer.Load(env, dir, unusedFiles: ["replay.bin"]),
                Throws.TypeOf<InvalidDataException>().With.Message.Contains("replay.bin").And.Message.Contains("bytes"));
        }
    }

    [Test]
    public void AReaderLeavesAnotherProcesssWriteInProgressAlone()
    {
        string inProgress = Path.Combine(_dir, "ckpt-000001-000000000010.tmp-abc");
        Directory.CreateDirectory(inProgress);
        using var agent = new ScriptedAgent(3, [2, 2, 1], 1);
        _ = new RunCheckpointer(_dir, agent, cleanupLeftovers: false);
        Assert.That(Directory.Exists(inProgress), Is.True);
    }

    [Test]
    public void ARunnerFileOfAnotherFormatVersionIsRefused()
    {
        string dir = SaveOne();
        string runner = Path.Combine(dir, RunCheckpointer.RunnerFileName);
        File.WriteAllText(runner, File.ReadAllText(runner).Replace("\"format_version\": 1", "\"format_version\": 99", StringComparison.Ordinal));
        // Re-seal the manifest so only the version check can object.
        var m = Nn.Checkpoints.CheckpointManifest.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")), "manifest");
        var files = m.Files.Select(f => f.Name == RunCheckpointer.RunnerFileName
            ? new Nn.Checkpoints.ManifestFile(f.Name, new FileInfo(runner).Length, Nn.Checkpoints.CheckpointManifest.HashFile(runner)) : f).ToList();
        File.WriteAllText(Path.Combine(dir, "manifest.json"), new Nn.Checkpoints.CheckpointManifest { Files = files, Extra = m.Extra }.ToJson());
        AssertLoadFails("version 99");
    }
}
