using MoeScratch.Rl.Envs;
using MoeScratch.Ale.Preprocessing;
using MoeScratch.Ale.Roms;
using MoeScratch.Ale.Tests.TestUtil;

namespace MoeScratch.Ale.Tests;

/// <summary>The preprocessing pipeline against the test double's deterministic game (see fake_ale.c).</summary>
public class AtariEnvironmentTests
{
    private const int Fire = 1, Right = 2; // indices into the fake's minimal set {NOOP, FIRE, RIGHT, LEFT}
    private string _dir = "";
    private string _rom = "";
    private RomTable _table = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        NativeUnderTest.RequireFake();
        _dir = Path.Combine(Path.GetTempPath(), $"moescratch-atari-env-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        _rom = NativeUnderTest.WriteRom(_dir, "fakegame.bin", seed: 1);
        _table = NativeUnderTest.TableFor(_rom);
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (_dir.Length > 0)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private AtariEnvironment Create(AtariOptions? options = null) =>
        new((options ?? new AtariOptions { RomPath = _rom }) with { RomPath = _rom, RomTableOverride = _table });

    [Test]
    public void DefaultsFollowDopamineAndAreSentToAle()
    {
        var defaults = new AtariOptions { RomPath = "x.bin" };
        Assert.That((defaults.FrameSkip, defaults.RepeatActionProbability, defaults.MaxEpisodeSteps), Is.EqualTo((4, 0.25f, 27_000)));
        Assert.That((defaults.FullActionSet, defaults.TerminalOnLifeLoss, defaults.NoopMax), Is.EqualTo((false, false, 0)));

        using var env = Create(new AtariOptions { RomPath = _rom, Seed = 42 });
        Assert.That(env.Id, Is.EqualTo("atari:fakegame"));
        Assert.That(env.ObservationShape, Is.EqualTo(new[] { 84, 84, 1 }));
        Assert.That(env.ObservationScale, Is.EqualTo(1f / 255f));
        Assert.That(env.ActionCount, Is.EqualTo(4));
        Assert.That(env.Ale.GetFloat("repeat_action_probability"), Is.EqualTo(0.25f));
        Assert.That(env.Ale.GetInt("random_seed"), Is.EqualTo(42));
        Assert.That(env.Ale.GetInt("frame_skip"), Is.EqualTo(1), "frame skipping is done in C# so frames can be pooled");
    }

    [Test]
    public void FullActionSetOptionExposesAll18Actions()
    {
        using var env = Create(new AtariOptions { RomPath = _rom, FullActionSet = true });
        Assert.That(env.ActionCount, Is.EqualTo(18));
        Assert.That(env.AleActions[17], Is.EqualTo(17));
    }

    [Test]
    public void FrameSkipSumsRewardsAndMaxPoolsTheLastTwoFrames()
    {
        using var env = Create();
        env.Reset();
        StepResult step = env.Step(Fire);
        Assert.That(step.Reward, Is.EqualTo(4f), "FIRE earns 1 per frame over 4 frames");
        Assert.That(env.Ale.EpisodeFrameNumber, Is.EqualTo(4));

        step = env.Step(Right);
        // Frames 7 and 8 of the episode have the block at x = 3 and x = 4: the max covers columns 3..11.
        ReadOnlySpan<byte> pooled = env.PooledFrame;
        Assert.That(step.Reward, Is.Zero);
        Assert.That(pooled[0], Is.EqualTo(8), "max of the frame counters 7 and 8");
        Assert.That(pooled[(105 * 160) + 2], Is.Zero);
        Assert.That(pooled[(105 * 160) + 3], Is.EqualTo(200));
        Assert.That(pooled[(105 * 160) + 11], Is.EqualTo(200));
        Assert.That(pooled[(105 * 160) + 12], Is.Zero);

        var expected = new byte[84 * 84];
        new AreaResizer(210, 160, 84, 84).Resize(pooled, expected);
        Assert.That(env.Observation.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void ResetShowsTheCurrentScreenResized()
    {
        using var env = Create();
        env.Reset();
        // Block at rows 100..109, columns 0..7 → output rows 40..43, columns 0..4 (partially covered edges).
        ReadOnlySpan<byte> obs = env.Observation;
        Assert.That(obs[(41 * 84) + 1], Is.EqualTo(200));
        Assert.That(obs[(60 * 84) + 40], Is.Zero);
        Assert.That(env.PooledFrame[(105 * 160) + 7], Is.EqualTo(200));
    }

    [Test]
    public void LifeLossIsTerminalOnlyWithTheOptionAndTheGameContinues()
    {
        using (var env = Create())
        {
            env.Reset();
            for (int i = 0; i < 25; i++)
            {
                // 100 frames: one life lost, not terminal by default.
                StepResult r = env.Step(0);
                Assert.That((r.Terminated, r.LifeLossTerminal), Is.EqualTo((false, false)), $"step {i}");
            }

            Assert.That(env.Ale.Lives, Is.EqualTo(2));
        }

        // Issue 16.2: a lost life is the agent's terminal, not the end of the game or of the episode.
        using var lifeEnv = Create(new AtariOptions { RomPath = _rom, TerminalOnLifeLoss = true });
        lifeEnv.Reset();
        var lifeLosses = new List<int>();
        StepResult last = default;
        int steps = 0;
        while (!last.Done)
        {
            last = lifeEnv.Step(0);
            steps++;
            if (last.LifeLossTerminal)
            {
                lifeLosses.Add(steps);
                Assert.That((last.Terminated, last.AgentTerminal), Is.EqualTo((false, true)));
            }
        }

        Assert.That(lifeLosses, Is.EqualTo(new[] { 25, 50 }), "no Reset between lives: the game runs on");
        Assert.That((last.Terminated, last.LifeLossTerminal, last.Lives, steps), Is.EqualTo((true, false, 0, 75)));
        Assert.That(lifeEnv.EpisodeSteps, Is.EqualTo(75), "the step cap counts the whole game");
        Assert.That(lifeEnv.Ale.EpisodeFrameNumber, Is.EqualTo(300));
    }

    // Issue 16.2: through the Runner, one logged episode per game; after a lost life the agent begins its next episode
    // with the max-pooled frame pair, as Dopamine passes it, not with the raw screen.
    [Test]
    public void RunnerLogsWholeGames_AndTheAgentRestartsFromThePooledFrameAfterALostLife()
    {
        using var env = Create(new AtariOptions { RomPath = _rom, TerminalOnLifeLoss = true });
        using var agent = new RightMovingAgent(env.ActionCount);
        var sink = new Rl.Running.MemoryMetricsSink();
        var config = new Rl.Running.RunnerConfig { Iterations = 1, TrainingStepsPerIteration = 1, MaxEpisodeSteps = null };
        new Rl.Running.Runner(env, agent, config, sink).Run();

        Assert.That(sink.Episodes.Select(e => (e.Length, e.Truncated)), Is.EqualTo(new[] { (75, false) }), "one episode: the whole game");
        Assert.That(agent.Ends, Is.EqualTo(new[] { true, true, true }), "a terminal transition per life");
        Assert.That(agent.Begins, Has.Count.EqualTo(3));

        // Step 25 covers frames 97..100 with RIGHT moving the block one column per frame: frames 99 and 100 have it at
        // x = 99 and x = 100, so their max covers columns 99..107; the raw screen of frame 100 only 100..107.
        var pooled = new byte[210 * 160];
        for (int r = 100; r < 110; r++) pooled.AsSpan((r * 160) + 99, 9).Fill(200);
        pooled[0] = 100;
        var raw = (byte[])pooled.Clone();
        for (int r = 100; r < 110; r++) raw[(r * 160) + 99] = 0;
        var resizer = new AreaResizer(210, 160, 84, 84);
        var expected = new byte[84 * 84];
        var rawObservation = new byte[84 * 84];
        resizer.Resize(pooled, expected);
        resizer.Resize(raw, rawObservation);
        Assert.That(expected, Is.Not.EqualTo(rawObservation), "the two candidates differ");
        Assert.That(agent.Begins[1], Is.EqualTo(expected));
    }

    /// <summary>Always moves RIGHT; records what each BeginEpisode saw and each EndEpisode's terminal flag.</summary>
    private sealed class RightMovingAgent(int actions) : Rl.Agents.IAgent
    {
        public List<byte[]> Begins { get; } = [];
        public List<bool> Ends { get; } = [];
        public int ActionCount => actions;
        public bool EvalMode { get; set; }
        public Rl.Agents.AgentStats Stats => default;
        public int BeginEpisode(ReadOnlySpan<byte> frame)
        {
            Begins.Add(frame.ToArray());
            return Right;
        }

        public int Step(float reward, ReadOnlySpan<byte> frame) => Right;
        public void EndEpisode(float reward, bool terminal) => Ends.Add(terminal);
        public void Dispose() { }
    }

    [Test]
    public void GameOverIsTerminalAndStepAfterItNeedsReset()
    {
        using var env = Create();
        env.Reset();
        StepResult last = default;
        int steps = 0;
        while (!last.Done)
        {
            last = env.Step(0);
            steps++;
        }

        Assert.That((last.Terminated, last.Truncated, last.Lives, steps), Is.EqualTo((true, false, 0, 75)));
        Assert.That(() => env.Step(0), Throws.InvalidOperationException.With.Message.Contains("Reset"));
        env.Reset();
        Assert.That(env.Ale.EpisodeFrameNumber, Is.Zero);
    }

    [Test]
    public void StepCapIsTruncationNotTermination()
    {
        using var env = Create(new AtariOptions { RomPath = _rom, MaxEpisodeSteps = 3 });
        env.Reset();
        Assert.That(env.Step(0).Done, Is.False);
        Assert.That(env.Step(0).Done, Is.False);
        StepResult capped = env.Step(0);
        Assert.That((capped.Terminated, capped.Truncated), Is.EqualTo((false, true)));
    }

    [Test]
    public void NoopStartsTakeBetweenOneAndNoopMaxFramesAndAreSeeded()
    {
        var seen = new HashSet<int>();
        using var env = Create(new AtariOptions { RomPath = _rom, NoopMax = 5, Seed = 3 });
        for (int i = 0; i < 30; i++)
        {
            env.Reset();
            seen.Add(env.Ale.EpisodeFrameNumber);
        }

        Assert.That(seen, Is.SubsetOf(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(seen, Has.Count.GreaterThan(1));

        env.Reset(seed: 11);
        int first = env.Ale.EpisodeFrameNumber;
        env.Reset(seed: 11);
        Assert.That(env.Ale.EpisodeFrameNumber, Is.EqualTo(first));
    }

    [Test]
    public void ReseedingReloadsTheRomWithTheNewSeed()
    {
        using var env = Create();
        int loads = NativeUnderTest.FakeLoadCount();
        env.Reset(seed: 77);
        Assert.That(NativeUnderTest.FakeLoadCount(), Is.EqualTo(loads + 1));
        Assert.That(env.Ale.GetInt("random_seed"), Is.EqualTo(77));
    }

    [Test]
    public void BadActionsAndOptionsAreRejected()
    {
        using var env = Create();
        env.Reset();
        Assert.That(() => env.Step(4), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("0..3"));
        Assert.That(() => env.Step(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Create(new AtariOptions { RomPath = _rom, FrameSkip = 0 }), Throws.ArgumentException.With.Message.Contains("FrameSkip"));
        Assert.That(() => Create(new AtariOptions { RomPath = _rom, RepeatActionProbability = 1.5f }), Throws.ArgumentException);
    }

    [Test]
    public void MissingRomFailsBeforeNativeCode()
    {
        int loads = NativeUnderTest.FakeLoadCount();
        Assert.That(() => new AtariEnvironment(new AtariOptions { RomPath = Path.Combine(_dir, "pong.bin") }),
            Throws.TypeOf<FileNotFoundException>().With.Message.Contains("pong"));
        Assert.That(NativeUnderTest.FakeLoadCount(), Is.EqualTo(loads));
    }

    [Test]
    public void SavedStateResumesBitExactly()
    {
        using var env = Create(new AtariOptions { RomPath = _rom, NoopMax = 4, Seed = 9 });
        env.Reset();
        env.Step(Right);
        env.Step(Fire);
        byte[] saved = env.SaveState();
        byte[] observation = env.Observation.ToArray();

        var first = new List<(StepResult, byte[])>();
        for (int i = 0; i < 30; i++)
        {
            first.Add((env.Step(i % 3 == 0 ? Fire : Right), env.Observation.ToArray()));
        }

        env.RestoreState(saved);
        Assert.That(env.Observation.ToArray(), Is.EqualTo(observation));
        for (int i = 0; i < 30; i++)
        {
            StepResult r = env.Step(i % 3 == 0 ? Fire : Right);
            Assert.That(r, Is.EqualTo(first[i].Item1), $"step {i}");
            Assert.That(env.Observation.ToArray(), Is.EqualTo(first[i].Item2), $"observation {i}");
        }
    }

    [Test]
    public void ForeignStateIsRejected()
    {
        using var env = Create();
        env.Reset();
        Assert.That(() => env.RestoreState(new byte[] { 1, 2, 3 }), Throws.ArgumentException);
        byte[] saved = env.SaveState();
        Assert.That(() => env.RestoreState(saved.AsSpan(0, saved.Length - 5)), Throws.ArgumentException);
    }
}
