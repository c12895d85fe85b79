using MoeScratch.Rl.Envs.MinAtar;
using static MoeScratch.Rl.Tests.Envs.MinAtar.MinAtarTestUtil;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>Pins the Space Invaders rules of MinAtar space_invaders.py.</summary>
[TestFixture]
public sealed class SpaceInvadersTests
{
    private static int Cell(int y, int x) => y * 10 + x;

    private static SpaceInvaders WithAliens(params (int Y, int X)[] aliens)
    {
        var g = new SpaceInvaders(1, Exact);
        Array.Clear(g.Aliens);
        foreach (var (y, x) in aliens) g.Aliens[Cell(y, x)] = true;
        g.Invalidate();
        return g;
    }

    [Test]
    public void Reset_FillsRows0To3Columns2To7()
    {
        using var g = new SpaceInvaders(1, Exact);
        Assert.That(g.Aliens.Count(a => a), Is.EqualTo(24));
        Assert.That(g.Aliens[Cell(0, 2)] && g.Aliens[Cell(3, 7)] && !g.Aliens[Cell(0, 1)] && !g.Aliens[Cell(4, 2)], Is.True);
        Assert.That((g.Position, g.AlienDirection, g.EnemyMoveInterval, g.AlienMoveTimer, g.AlienShotTimer),
            Is.EqualTo((5, -1, 12, 12, 10)));
    }

    [Test]
    public void Fire_PlacesABulletThatIsOnRow8AfterTheStep_WithCooldown5()
    {
        using var g = WithAliens((0, 0));
        g.StepRules(MinAtarAction.Fire);
        Assert.That(Cells(g, SpaceInvaders.FriendlyBulletChannel), Is.EqualTo(new[] { "8,5" }));
        Repeat(g, MinAtarAction.Fire, 4);
        Assert.That(Cells(g, SpaceInvaders.FriendlyBulletChannel), Is.EqualTo(new[] { "4,5" }), "cooldown");
        g.StepRules(MinAtarAction.Fire);
        Assert.That(Cells(g, SpaceInvaders.FriendlyBulletChannel), Is.EqualTo(new[] { "3,5", "8,5" }));
    }

    [Test]
    public void Cannon_MovesAndClamps()
    {
        using var g = new SpaceInvaders(1, Exact) { Position = 9 };
        g.StepRules(MinAtarAction.Right);
        Assert.That(g.Position, Is.EqualTo(9));
        g.StepRules(MinAtarAction.Left);
        Assert.That(g.Position, Is.EqualTo(8));
    }

    [Test]
    public void AliensFirstMoveOnStep13_OneColumnLeft()
    {
        using var g = new SpaceInvaders(1, Exact) { Position = 0 };
        Repeat(g, MinAtarAction.NoOp, 12);
        Assert.That(g.Aliens[Cell(0, 2)], Is.True);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Aliens[Cell(0, 1)] && g.Aliens[Cell(3, 6)] && !g.Aliens[Cell(0, 7)], Is.True);
        Assert.That(g.AlienMoveTimer, Is.EqualTo(11), "reset to min(24, 12), then decremented");
    }

    [Test]
    public void AtTheEdge_BlockFlipsAndDescends()
    {
        using var g = WithAliens((2, 0), (2, 1));
        g.AlienMoveTimer = 0;
        g.Position = 9;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.AlienDirection, Is.EqualTo(1));
        Assert.That(g.Aliens.Select((a, i) => a ? i : -1).Where(i => i >= 0), Is.EqualTo(new[] { Cell(3, 0), Cell(3, 1) }));
        Assert.That(g.AlienMoveTimer, Is.EqualTo(1), "min(2 aliens, 12) − 1");
        Assert.That(Cells(g, SpaceInvaders.AlienRightChannel), Has.Length.EqualTo(2));
        Assert.That(Cells(g, SpaceInvaders.AlienLeftChannel), Is.Empty);
    }

    [Test]
    public void LoneAlien_MovesEveryStep()
    {
        using var g = WithAliens((1, 5));
        g.AlienMoveTimer = 0;
        g.Position = 0;
        for (int t = 0; t < 3; t++) g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Aliens[Cell(1, 2)], Is.True);
    }

    [Test]
    public void AlienOnRow9AtTheEdge_Terminates()
    {
        using var g = WithAliens((9, 0));
        g.AlienMoveTimer = 0;
        g.Position = 5;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.IsTerminal, Is.True);
    }

    [Test]
    public void AlienMovingOntoTheCannon_Terminates()
    {
        using var g = WithAliens((9, 6));
        g.AlienMoveTimer = 0;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.IsTerminal, Is.True);
    }

    [Test]
    public void EnemyShot_ComesFromTheLowestAlienOfTheNearestColumn_TiesGoLeft()
    {
        using var g = WithAliens((0, 3), (2, 3), (1, 7), (4, 0));
        g.Position = 5;
        g.AlienShotTimer = 0;
        g.AlienMoveTimer = 5;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.EnemyBullets[Cell(2, 3)], Is.True, "columns 3 and 7 are both 2 away; the lower wins");
        Assert.That(g.EnemyBullets.Count(b => b), Is.EqualTo(1));
        Assert.That(g.AlienShotTimer, Is.EqualTo(9));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.EnemyBullets[Cell(3, 3)], Is.True, "the bullet starts moving the next step");
    }

    [Test]
    public void EnemyBulletReachingTheCannon_Terminates()
    {
        using var g = WithAliens((0, 0));
        g.EnemyBullets[Cell(8, 5)] = true;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.IsTerminal, Is.True);
        using var h = WithAliens((0, 0));
        h.EnemyBullets[Cell(8, 5)] = true;
        h.StepRules(MinAtarAction.Left);
        Assert.That((h.IsTerminal, h.EnemyBullets[Cell(9, 5)]), Is.EqualTo((false, true)));
        h.StepRules(MinAtarAction.NoOp);
        Assert.That(h.EnemyBullets, Has.None.True, "bullets leave at the bottom");
    }

    [Test]
    public void BulletOnAlien_KillsIt_WithReward1()
    {
        using var g = WithAliens((3, 5), (0, 0));
        g.FriendlyBullets[Cell(4, 5)] = true;
        Assert.That(g.StepRules(MinAtarAction.NoOp), Is.EqualTo(1));
        Assert.That((g.Aliens[Cell(3, 5)], g.FriendlyBullets[Cell(3, 5)]), Is.EqualTo((false, false)));
    }

    [Test]
    public void ClearingTheWave_RefillsAndRamps_KeepingDirectionAndTimers()
    {
        using var g = WithAliens((3, 5));
        g.FriendlyBullets[Cell(4, 5)] = true;
        g.AlienDirection = 1;
        g.AlienMoveTimer = 7;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Aliens.Count(a => a), Is.EqualTo(24));
        Assert.That((g.EnemyMoveInterval, g.RampIndex, g.AlienDirection, g.AlienMoveTimer), Is.EqualTo((11, 1, 1, 6)));
        g.EnemyMoveInterval = 6;
        Array.Clear(g.Aliens);
        g.Aliens[Cell(3, 5)] = true;
        g.FriendlyBullets[Cell(4, 5)] = true;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.EnemyMoveInterval, Is.EqualTo(6), "the interval stops at 6");

        using var noRamp = new SpaceInvaders(1, ExactNoRamp);
        Array.Clear(noRamp.Aliens);
        noRamp.Aliens[Cell(3, 5)] = true;
        noRamp.FriendlyBullets[Cell(4, 5)] = true;
        noRamp.StepRules(MinAtarAction.NoOp);
        Assert.That(noRamp.EnemyMoveInterval, Is.EqualTo(12));
    }

    [Test]
    public void Observation_CannonAliensDirectionAndBullets()
    {
        using var g = WithAliens((1, 2), (1, 3));
        g.FriendlyBullets[Cell(5, 5)] = true;
        g.EnemyBullets[Cell(6, 6)] = true;
        g.Position = 4;
        g.Invalidate();
        Assert.That(Cells(g, SpaceInvaders.CannonChannel), Is.EqualTo(new[] { "9,4" }));
        Assert.That(Cells(g, SpaceInvaders.AlienChannel), Is.EqualTo(new[] { "1,2", "1,3" }));
        Assert.That(Cells(g, SpaceInvaders.AlienLeftChannel), Is.EqualTo(new[] { "1,2", "1,3" }));
        Assert.That(Cells(g, SpaceInvaders.AlienRightChannel), Is.Empty);
        Assert.That(Cells(g, SpaceInvaders.FriendlyBulletChannel), Is.EqualTo(new[] { "5,5" }));
        Assert.That(Cells(g, SpaceInvaders.EnemyBulletChannel), Is.EqualTo(new[] { "6,6" }));
    }
}
