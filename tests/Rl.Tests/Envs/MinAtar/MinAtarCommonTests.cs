using MoeScratch.Rl.Envs;
using MoeScratch.Rl.Envs.MinAtar;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>Behaviour shared by every game: factory, shapes, sticky actions, determinism, state round trips.</summary>
[TestFixture]
public sealed class MinAtarCommonTests
{
    private static readonly string[] Names = ["asterix", "breakout", "freeway", "seaquest", "space_invaders"];

    [TestCase("asterix", 4, 5)]
    [TestCase("breakout", 4, 3)]
    [TestCase("freeway", 7, 3)]
    [TestCase("seaquest", 10, 6)]
    [TestCase("space_invaders", 6, 4)]
    public void Create_ReportsIdShapeAndActionSets(string name, int channels, int minimal)
    {
        using var game = MinAtarGames.Create(name, 1);
        Assert.That(game.Id, Is.EqualTo("minatar:" + name));
        Assert.That(game.ObservationShape, Is.EqualTo(new[] { 10, 10, channels }));
        Assert.That(game.ObservationScale, Is.EqualTo(1f));
        Assert.That(game.ActionCount, Is.EqualTo(6));
        Assert.That(game.Observation.Length, Is.EqualTo(100 * channels));
        using var small = MinAtarGames.Create("MinAtar:" + name, 1, new MinAtarOptions { MinimalActionSet = true });
        Assert.That(small.ActionCount, Is.EqualTo(minimal));
    }

    [Test]
    public void MinimalActionSet_MapsToFullSetIndices()
    {
        using var si = MinAtarGames.Create("space_invaders", 1, new MinAtarOptions { MinimalActionSet = true });
        Assert.That(Enumerable.Range(0, 4).Select(si.ToGameAction), Is.EqualTo(new[]
        {
            MinAtarAction.NoOp, MinAtarAction.Left, MinAtarAction.Right, MinAtarAction.Fire,
        }));
        using var fw = MinAtarGames.Create("freeway", 1, new MinAtarOptions { MinimalActionSet = true });
        Assert.That(fw.ToGameAction(1), Is.EqualTo(MinAtarAction.Up));
        Assert.That(() => fw.Step(3), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Create_UnknownName_ListsValidNames()
    {
        var e = Assert.Throws<ArgumentException>(() => MinAtarGames.Create("pong", 0));
        Assert.That(e!.Message, Does.Contain("pong").And.Contain("asterix, breakout, freeway, seaquest, space_invaders"));
    }

    [Test]
    public void Create_RejectsBadStickyProbability() =>
        Assert.That(() => MinAtarGames.Create("breakout", 0, new MinAtarOptions { StickyActionProbability = 1.5 }),
            Throws.ArgumentException.With.Message.Contain("StickyActionProbability"));

    [TestCaseSource(nameof(Names))]
    public void RandomPolicy_EpisodesTerminate_ObservationsAreBinary(string name)
    {
        using var game = MinAtarGames.Create(name, 7);
        var rng = new Rng(3);
        for (int episode = 0; episode < 3; episode++)
        {
            game.Reset();
            int steps = 0;
            bool binary = true, valid = true;
            StepResult r;
            do
            {
                r = game.Step(rng.NextInt(game.ActionCount));
                steps++;
                foreach (byte b in game.Observation) binary &= b <= 1;
                valid &= r.Lives == 0 && !r.Truncated && r.Reward >= 0;
            }
            while (!r.Terminated && steps < 50_000);
            Assert.That(binary, Is.True, "observation bytes are 0/1");
            Assert.That(valid, Is.True, "no lives, no truncation, non-negative rewards");
            Assert.That(r.Terminated, Is.True, $"{name} episode {episode} did not end in 50,000 random steps");
            if (name == "freeway") Assert.That(steps, Is.EqualTo(2501));
        }
    }

    [TestCaseSource(nameof(Names))]
    public void SaveRestore_ReproducesTrajectory(string name)
    {
        using var game = MinAtarGames.Create(name, 11);
        var rng = new Rng(5);
        Run(game, rng, 150, resetOnTerminal: true);
        byte[] state = game.SaveState();
        byte[] actionState = rng.SaveState();
        string first = Run(game, rng, 400, resetOnTerminal: true);
        Run(game, rng, 37, resetOnTerminal: true); // move away from the saved state
        game.RestoreState(state);
        rng.RestoreState(actionState);
        Assert.That(Run(game, rng, 400, resetOnTerminal: true), Is.EqualTo(first));
        using var other = MinAtarGames.Create(name, 999);
        other.RestoreState(state);
        rng.RestoreState(actionState);
        Assert.That(Run(other, rng, 400, resetOnTerminal: true), Is.EqualTo(first), "a fresh game restored from bytes");
    }

    [TestCaseSource(nameof(Names))]
    public void SameSeed_SameTrajectory_ResetWithSeedRestarts(string name)
    {
        using var a = MinAtarGames.Create(name, 42);
        using var b = MinAtarGames.Create(name, 42);
        string ta = Run(a, new Rng(1), 600, resetOnTerminal: true);
        Assert.That(Run(b, new Rng(1), 600, resetOnTerminal: true), Is.EqualTo(ta));
        a.Reset(42);
        Assert.That(Run(a, new Rng(1), 600, resetOnTerminal: true), Is.EqualTo(ta));
    }

    [Test]
    public void SeaquestAndAsterix_DifferentSeedsDiffer()
    {
        foreach (string name in new[] { "asterix", "seaquest" })
        {
            using var a = MinAtarGames.Create(name, 1);
            using var b = MinAtarGames.Create(name, 2);
            Assert.That(Run(a, new Rng(1), 300, true), Is.Not.EqualTo(Run(b, new Rng(1), 300, true)), name);
        }
    }

    [TestCaseSource(nameof(Names))]
    public void RestoreState_RejectsForeignOrCorruptBytes_AndKeepsState(string name)
    {
        using var game = MinAtarGames.Create(name, 3);
        Run(game, new Rng(2), 50, resetOnTerminal: true);
        byte[] before = game.SaveState();
        string otherName = name == "breakout" ? "freeway" : "breakout";
        using var other = MinAtarGames.Create(otherName, 3);
        Assert.That(() => game.RestoreState(other.SaveState()),
            Throws.ArgumentException.With.Message.Contain("minatar:" + otherName));
        byte[] wrongVersion = (byte[])before.Clone();
        wrongVersion[4] = 99;
        Assert.That(() => game.RestoreState(wrongVersion), Throws.ArgumentException.With.Message.Contain("version 99"));
        Assert.That(() => game.RestoreState(before.AsSpan(0, before.Length - 3)), Throws.ArgumentException);
        Assert.That(() => game.RestoreState([1, 2, 3]), Throws.ArgumentException.With.Message.Contain("not a MinAtar"));
        using var noRamp = MinAtarGames.Create(name, 3, MinAtarTestUtil.ExactNoRamp);
        Assert.That(() => noRamp.RestoreState(before), Throws.ArgumentException.With.Message.Contain("options"));
        Assert.That(game.SaveState(), Is.EqualTo(before), "a failed restore leaves the state unchanged");
    }

    [Test]
    public void StickyActions_RepeatPreviousExecutedActionWithProbabilityP()
    {
        // Space Invaders has no randomness of its own, so the shared RNG is used only by the sticky draw here.
        using var game = new SpaceInvaders(5, new MinAtarOptions { StickyActionProbability = 0.1 });
        var oracle = game.Rng.Clone();
        var actions = new Rng(8);
        int expectedLast = 0, repeats = 0;
        for (int t = 0; t < 5000; t++)
        {
            if (game.IsTerminal) game.Reset(); // unseeded reset: sticky memory is kept
            int a = actions.NextInt(6);
            bool sticky = oracle.NextDouble() < 0.1;
            if (sticky && a != expectedLast) repeats++;
            expectedLast = sticky ? expectedLast : a;
            game.Step(a);
            Assert.That(game.LastAction, Is.EqualTo(expectedLast), $"step {t}");
        }
        Assert.That(repeats, Is.InRange(300, 600), "about 10% × 5/6 of 5000 steps override the chosen action");
    }

    [Test]
    public void StickyActions_DrawHappensOnTerminalSteps_ResetWithSeedClearsMemory()
    {
        using var game = new Breakout(5, new MinAtarOptions { StickyActionProbability = 0.5 });
        game.Terminal = true;
        game.LastAction = 3;
        var oracle = game.Rng.Clone();
        var r = game.Step(1);
        Assert.That(r, Is.EqualTo(new StepResult(0, true, false, 0)));
        Assert.That(game.LastAction, Is.EqualTo(oracle.NextDouble() < 0.5 ? 3 : 1));
        Assert.That(game.Rng.SaveState(), Is.EqualTo(oracle.SaveState()), "exactly one draw on a terminal step");
        game.LastAction = 4;
        game.Reset();
        Assert.That(game.LastAction, Is.EqualTo(4), "unseeded reset keeps the sticky memory (MinAtar environment.py)");
        game.Reset(9);
        Assert.That(game.LastAction, Is.Zero);
    }

    [Test]
    public void StickyProbabilityOne_AlwaysRepeatsTheInitialNoOp()
    {
        using var game = new SpaceInvaders(1, new MinAtarOptions { StickyActionProbability = 1 });
        for (int t = 0; t < 20; t++) game.Step(t % 2 == 0 ? 1 : 5);
        Assert.That(game.Position, Is.EqualTo(5));
        Assert.That(game.FriendlyBullets, Has.None.True);
    }

    /// <summary>Steps with random actions and returns a fingerprint of rewards, flags and observations.</summary>
    private static string Run(MinAtarGame game, Rng actions, int steps, bool resetOnTerminal)
    {
        var sb = new System.Text.StringBuilder();
        for (int t = 0; t < steps; t++)
        {
            var r = game.Step(actions.NextInt(game.ActionCount));
            sb.Append(r.Reward).Append(r.Terminated ? 'T' : '.');
            sb.Append(Convert.ToHexString(game.Observation)).Append('|');
            if (r.Terminated && resetOnTerminal) game.Reset();
        }
        return sb.ToString();
    }
}
