using MoeScratch.Rl.Envs.MinAtar;
using static MoeScratch.Rl.Tests.Envs.MinAtar.MinAtarTestUtil;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>Pins the Seaquest rules of MinAtar seaquest.py.</summary>
[TestFixture]
public sealed class SeaquestTests
{
    /// <summary>A submerged sub at (y, x) with spawns pushed far away.</summary>
    private static Seaquest Submerged(int y = 4, int x = 5)
    {
        var g = new Seaquest(1, Exact) { SubY = y, SubX = x, Surface = false, EnemySpawnTimer = 1000, DiverSpawnTimer = 1000 };
        return g;
    }

    [Test]
    public void Reset_SubOnTheSurfaceFacingLeft_FullOxygen()
    {
        using var g = new Seaquest(1, Exact);
        Assert.That((g.SubX, g.SubY, g.FacingRight, g.Oxygen, g.Carried, g.Surface),
            Is.EqualTo((5, 0, false, 200, 0, true)));
        Assert.That((g.EnemySpawnSpeed, g.EnemySpawnTimer, g.DiverSpawnTimer, g.MoveSpeed, g.ShotTimer),
            Is.EqualTo((20, 20, 30, 5, 0)));
        Assert.That(Cells(g, Seaquest.OxygenChannel), Has.Length.EqualTo(10));
        Assert.That(Cells(g, Seaquest.SubBackChannel), Is.EqualTo(new[] { "0,6" }));
    }

    [Test]
    public void FirstEnemySpawnsOnStep21_FirstDiverOnStep31()
    {
        using var g = new Seaquest(3, Exact);
        Repeat(g, MinAtarAction.NoOp, 20);
        Assert.That(g.Fish.Count + g.Subs.Count, Is.Zero);
        var oracle = g.Rng.Clone();
        bool right = oracle.NextDouble() < 0.5;
        bool isSub = oracle.NextDouble() < 1.0 / 3.0;
        int row = 1 + oracle.NextInt(8);
        g.StepRules(MinAtarAction.NoOp);
        SeaObjectList list = isSub ? g.Subs : g.Fish;
        Assert.That(list.Count, Is.EqualTo(1));
        Assert.That((list[0].X, list[0].Y, list[0].Right, list[0].MoveTimer), Is.EqualTo((right ? 0 : 9, row, right, 4)));
        Repeat(g, MinAtarAction.NoOp, 9);
        Assert.That(g.Divers.Count, Is.Zero);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Divers.Count, Is.EqualTo(1));
        Assert.That(g.Divers[0].X, Is.EqualTo(g.Divers[0].Right ? 0 : 9));
    }

    [Test]
    public void EnemySpawn_IsSkipped_WhenItsRowHoldsAnEnemyMovingTheOtherWay()
    {
        using var g = Submerged(8, 0);
        var oracle = g.Rng.Clone();
        bool right = oracle.NextDouble() < 0.5;
        for (int row = 1; row <= 8; row++) g.Fish.Add(new SeaObject(5, row, !right, 100));
        g.EnemySpawnTimer = 0;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.Fish.Count, g.Subs.Count), Is.EqualTo((8, 0)));
        Assert.That(g.EnemySpawnTimer, Is.EqualTo(19), "the timer restarts even when the spawn is skipped");
    }

    [Test]
    public void Fire_AddsABulletInTheFacingDirection_WithCooldown5()
    {
        using var g = Submerged();
        g.StepRules(MinAtarAction.Fire);
        Assert.That(g.FriendlyBullets.Count, Is.EqualTo(1));
        Assert.That((g.FriendlyBullets[0].X, g.FriendlyBullets[0].Y), Is.EqualTo((4, 4)), "moved once, leftward");
        Assert.That(g.SubX, Is.EqualTo(5), "firing does not move");
        g.StepRules(MinAtarAction.Fire);
        Assert.That(g.FriendlyBullets.Count, Is.EqualTo(1), "cooldown");
        Repeat(g, MinAtarAction.Fire, 3);
        Assert.That((g.ShotTimer, g.FriendlyBullets.Count, g.FriendlyBullets[0].X), Is.EqualTo((0, 1, 0)));
        g.StepRules(MinAtarAction.Fire);
        Assert.That(g.ShotTimer, Is.EqualTo(4), "the sixth step fires again");
        Assert.That((g.FriendlyBullets.Count, g.FriendlyBullets[0].X), Is.EqualTo((1, 4)), "old bullet left the board");
    }

    [Test]
    public void Movement_ClampsAndTurnsTheSub()
    {
        using var g = Submerged(8, 9);
        g.StepRules(MinAtarAction.Down);
        g.StepRules(MinAtarAction.Right);
        Assert.That((g.SubY, g.SubX, g.FacingRight), Is.EqualTo((8, 9, true)));
        Assert.That(Cells(g, Seaquest.SubBackChannel), Is.EqualTo(new[] { "8,8" }));
    }

    [Test]
    public void Bullet_KillsFishBeforeSub_AtPreMovePositions()
    {
        using var g = Submerged(4, 5);
        g.Subs.Add(new SeaObject(4, 4, true, 3, 7));
        g.Fish.Add(new SeaObject(4, 4, true, 3));
        g.FriendlyBullets.Add(new SeaObject(5, 4, false));
        Assert.That(g.StepRules(MinAtarAction.NoOp), Is.EqualTo(1));
        Assert.That((g.Fish.Count, g.Subs.Count, g.FriendlyBullets.Count), Is.EqualTo((0, 1, 0)));
    }

    [Test]
    public void EnemyMovingIntoABullet_DiesWithReward()
    {
        using var g = Submerged(7, 9);
        g.Fish.Add(new SeaObject(2, 4, true, 0));
        g.FriendlyBullets.Add(new SeaObject(4, 4, false)); // moves to x 3, then the fish moves onto it
        Assert.That(g.StepRules(MinAtarAction.NoOp), Is.EqualTo(1));
        Assert.That((g.Fish.Count, g.FriendlyBullets.Count), Is.EqualTo((0, 0)));
    }

    [Test]
    public void Divers_ArePickedUpUpToSix_ThenPassThrough()
    {
        using var g = Submerged(3, 5);
        g.Divers.Add(new SeaObject(5, 3, true, 4));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.Carried, g.Divers.Count), Is.EqualTo((1, 0)));
        g.Carried = 6;
        g.Divers.Add(new SeaObject(4, 3, true, 0));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.Carried, g.Divers.Count, g.Divers[0].X), Is.EqualTo((6, 1, 5)));
        Assert.That(Cells(g, Seaquest.DiverGaugeChannel), Is.EqualTo(new[] { "9,3", "9,4", "9,5", "9,6", "9,7", "9,8" }));
    }

    [Test]
    public void EnemySub_FiresEvery10Steps_BulletMovesAtOnce_AndKillsTheSub()
    {
        using var g = Submerged(6, 5);
        g.Subs.Add(new SeaObject(1, 6, true, 100, 0));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.EnemyBullets.Count, Is.EqualTo(1));
        Assert.That((g.EnemyBullets[0].X, g.Subs[0].ShotTimer), Is.EqualTo((2, 10)));
        Repeat(g, MinAtarAction.NoOp, 2);
        Assert.That((g.IsTerminal, g.EnemyBullets[0].X), Is.EqualTo((false, 4)));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.IsTerminal, Is.True, "the bullet reaches the sub's x 5 on the fourth step");
    }

    [Test]
    public void EnemySubKilledThisStep_StillFiresOnce()
    {
        using var g = Submerged(8, 9);
        g.Subs.Add(new SeaObject(2, 4, true, 0, 0));
        g.FriendlyBullets.Add(new SeaObject(4, 4, false));
        Assert.That(g.StepRules(MinAtarAction.NoOp), Is.EqualTo(1));
        Assert.That(g.Subs.Count, Is.Zero);
        Assert.That((g.EnemyBullets.Count, g.EnemyBullets[0].X), Is.EqualTo((1, 4)));
    }

    [Test]
    public void TouchingAnEnemy_Terminates()
    {
        using var g = Submerged(5, 5);
        g.Fish.Add(new SeaObject(6, 5, false, 0));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.IsTerminal, Is.True);
    }

    [Test]
    public void Oxygen_DecreasesUnderwater_DeathComesOneStepAfterZero()
    {
        using var g = Submerged();
        g.Oxygen = 2;
        g.StepRules(MinAtarAction.NoOp);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.Oxygen, g.IsTerminal), Is.EqualTo((0, false)));
        Assert.That(Cells(g, Seaquest.OxygenChannel), Is.Empty);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.IsTerminal, Is.True);
    }

    [Test]
    public void SurfacingWithoutDivers_Terminates()
    {
        using var g = Submerged(1, 5);
        g.StepRules(MinAtarAction.Up);
        Assert.That(g.IsTerminal, Is.True);
    }

    [Test]
    public void SurfacingWithSomeDivers_RefillsOxygen_DropsOneDiver_AndRamps()
    {
        using var g = Submerged(1, 5);
        (g.Carried, g.Oxygen) = (3, 50);
        Assert.That(g.StepRules(MinAtarAction.Up), Is.Zero);
        Assert.That((g.Oxygen, g.Carried, g.Surface, g.IsTerminal), Is.EqualTo((200, 2, true, false)));
        Assert.That((g.EnemySpawnSpeed, g.MoveSpeed, g.RampIndex), Is.EqualTo((19, 5, 1)));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Oxygen, Is.EqualTo(200), "no oxygen use on the surface");
    }

    [Test]
    public void SurfacingWithSixDivers_PaysOxygenBonus_AndLeavesMinusOne()
    {
        using var g = Submerged(1, 5);
        (g.Carried, g.Oxygen, g.RampIndex) = (6, 130, 1);
        Assert.That(g.StepRules(MinAtarAction.Up), Is.EqualTo(130 * 10 / 200));
        Assert.That(g.Carried, Is.EqualTo(-1), "MinAtar quirk");
        Assert.That((g.EnemySpawnSpeed, g.MoveSpeed, g.RampIndex), Is.EqualTo((19, 4, 2)));
        Assert.That(Cells(g, Seaquest.DiverGaugeChannel), Is.Empty);
        // With −1 carried, surfacing again does not terminate and keeps counting down.
        g.StepRules(MinAtarAction.Down);
        g.StepRules(MinAtarAction.Up);
        Assert.That((g.Carried, g.IsTerminal), Is.EqualTo((-2, false)));
    }

    [Test]
    public void RampingOff_KeepsSpeedsWhenSurfacing()
    {
        using var g = new Seaquest(1, ExactNoRamp) { SubY = 1, Surface = false, Carried = 2, EnemySpawnTimer = 1000 };
        g.StepRules(MinAtarAction.Up);
        Assert.That((g.EnemySpawnSpeed, g.MoveSpeed, g.RampIndex), Is.EqualTo((20, 5, 0)));
    }

    [Test]
    public void Observation_ObjectsAndTrails()
    {
        using var g = Submerged(4, 5);
        g.Fish.Add(new SeaObject(0, 2, true, 3));   // trail off the board
        g.Subs.Add(new SeaObject(7, 3, false, 3, 5)); // trail at x 8
        g.Divers.Add(new SeaObject(2, 6, true, 3)); // trail at x 1
        g.EnemyBullets.Add(new SeaObject(3, 7, true));
        g.FriendlyBullets.Add(new SeaObject(1, 1, false));
        g.Oxygen = 75;
        g.Carried = 2;
        g.Invalidate();
        Assert.That(Cells(g, Seaquest.SubFrontChannel), Is.EqualTo(new[] { "4,5" }));
        Assert.That(Cells(g, Seaquest.SubBackChannel), Is.EqualTo(new[] { "4,6" }));
        Assert.That(Cells(g, Seaquest.FishChannel), Is.EqualTo(new[] { "2,0" }));
        Assert.That(Cells(g, Seaquest.EnemySubChannel), Is.EqualTo(new[] { "3,7" }));
        Assert.That(Cells(g, Seaquest.DiverChannel), Is.EqualTo(new[] { "6,2" }));
        Assert.That(Cells(g, Seaquest.TrailChannel), Is.EqualTo(new[] { "3,8", "6,1" }));
        Assert.That(Cells(g, Seaquest.EnemyBulletChannel), Is.EqualTo(new[] { "7,3" }));
        Assert.That(Cells(g, Seaquest.FriendlyBulletChannel), Is.EqualTo(new[] { "1,1" }));
        Assert.That(Cells(g, Seaquest.OxygenChannel), Is.EqualTo(new[] { "9,0", "9,1", "9,2" }));
        Assert.That(Cells(g, Seaquest.DiverGaugeChannel), Is.EqualTo(new[] { "9,7", "9,8" }));
    }

    [Test]
    public void SaveRestore_KeepsEveryObjectList()
    {
        using var g = Submerged(4, 5);
        g.Fish.Add(new SeaObject(0, 2, true, 3));
        g.Subs.Add(new SeaObject(7, 3, false, 1, 2));
        g.Divers.Add(new SeaObject(2, 6, true, 0));
        g.EnemyBullets.Add(new SeaObject(3, 7, true));
        g.FriendlyBullets.Add(new SeaObject(1, 1, false));
        (g.Carried, g.Oxygen, g.MoveSpeed, g.EnemySpawnTimer) = (4, 77, 3, 2);
        byte[] state = g.SaveState();
        using var copy = new Seaquest(99, Exact);
        copy.RestoreState(state);
        Assert.That(copy.SaveState(), Is.EqualTo(state));
        Assert.That(copy.Observation.ToArray(), Is.EqualTo(g.Observation.ToArray()));
        var actions = new MoeScratch.Tensors.Rng(4);
        for (int t = 0; t < 60; t++)
        {
            var a = (MinAtarAction)actions.NextInt(6);
            Assert.That(copy.StepRules(a), Is.EqualTo(g.StepRules(a)), $"step {t}");
            Assert.That(copy.SaveState(), Is.EqualTo(g.SaveState()), $"step {t}");
        }
    }
}
