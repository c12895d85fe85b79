using MoeScratch.Rl.Envs;
using MoeScratch.Ale.Tests.TestUtil;

namespace MoeScratch.Ale.Tests;

/// <summary>
/// Against a real ALE through the shim, with the freely licensed Tetris ROM. Run with
/// MOESCRATCH_ALE_LIB=/path/to/libale_c.so; otherwise reported as skipped.
/// </summary>
[Category("Ale")]
public class RealAleTests
{
    private string _tetris = "";

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        NativeUnderTest.RequireRealAle();
        _tetris = NativeUnderTest.FindRom("tetris.bin")
            ?? throw new InconclusiveException("tetris.bin not found: set MOESCRATCH_ROMS to the folder holding it.");
    }

    [Test]
    public void TetrisLoadsWithItsKnownFacts()
    {
        using var ale = new AleInterface();
        ale.SetInt("random_seed", 0);
        var rom = ale.LoadRom(_tetris);
        Assert.That(rom.Id, Is.EqualTo("tetris"));
        Assert.That(ale.MinimalActionSet(), Is.EqualTo(new[] { 0, 1, 3, 4, 5 }));
        Assert.That(ale.LegalActionSet(), Has.Length.EqualTo(18));
        Assert.That((ale.ScreenHeight, ale.ScreenWidth, ale.Lives), Is.EqualTo((210, 160, 0)));
    }

    [Test]
    public void UnknownSettingIsReportedNotFatal()
    {
        using var ale = new AleInterface();
        // ALE's Settings::setInt throws std::runtime_error for an unknown key: the shim catches it (AleException); with a
        // legacy library, which would abort, the binding refuses the key before the native call (ArgumentException).
        Assert.That(() => ale.SetInt("no_such_setting_key", 1),
            ale.IsLegacy
                ? Throws.ArgumentException.With.Message.Contains("no_such_setting_key")
                : Throws.TypeOf<AleException>().With.Message.Contains("no_such_setting_key"));
        Assert.That(() => ale.SetInt("random_seed", 1), Throws.Nothing);
    }

    [Test]
    public void EpisodesAreDeterministicWithSeedAndNoStickyActions()
    {
        float[] Run()
        {
            using var env = new AtariEnvironment(new AtariOptions { RomPath = _tetris, RepeatActionProbability = 0f, Seed = 5 });
            env.Reset();
            var sums = new float[200];
            var rng = new Random(1);
            for (int i = 0; i < sums.Length; i++)
            {
                StepResult r = env.Step(rng.Next(env.ActionCount));
                int total = 0;
                foreach (byte b in env.Observation)
                {
                    total += b;
                }

                sums[i] = total + r.Reward;
                if (r.Done)
                {
                    env.Reset();
                }
            }

            return sums;
        }

        float[] a = Run();
        Assert.That(Run(), Is.EqualTo(a));
        Assert.That(a.Distinct().Count(), Is.GreaterThan(1), "the screen must change as the game runs");
    }

    [Test]
    public void AtariEnvironmentRunsAnEpisodeOnTetris()
    {
        using var env = new AtariEnvironment(new AtariOptions { RomPath = _tetris, Seed = 1 });
        Assert.That(env.Id, Is.EqualTo("atari:tetris"));
        env.Reset();
        var rng = new Random(2);
        StepResult last = default;
        int steps = 0;
        while (!last.Done && steps < 5000)
        {
            last = env.Step(rng.Next(env.ActionCount));
            steps++;
        }

        // ALE tests: a random policy ends a Tetris episode after about 2,200–2,400 agent steps.
        Assert.That(last.Terminated, Is.True, $"no game over after {steps} steps");
        Assert.That(env.Observation.ToArray(), Has.Some.GreaterThan(0));
    }

    [Test]
    public void SavedStateResumesBitExactlyWithStickyActions()
    {
        using var env = new AtariEnvironment(new AtariOptions { RomPath = _tetris, Seed = 3 });
        env.Reset();
        var rng = new Random(4);
        for (int i = 0; i < 50; i++)
        {
            env.Step(rng.Next(env.ActionCount));
        }

        byte[] saved = env.SaveState();
        int[] actions = Enumerable.Range(0, 100).Select(_ => rng.Next(env.ActionCount)).ToArray();
        var first = actions.Select(a => (env.Step(a), env.Observation.ToArray())).ToList();
        env.RestoreState(saved);
        for (int i = 0; i < actions.Length; i++)
        {
            StepResult r = env.Step(actions[i]);
            Assert.That(r, Is.EqualTo(first[i].Item1), $"step {i}");
            Assert.That(env.Observation.ToArray(), Is.EqualTo(first[i].Item2), $"observation {i}");
        }
    }
}
