using MoeScratch.Rl.Envs;
using MoeScratch.Rl.Envs.MinAtar;
using static MoeScratch.Rl.Tests.Envs.MinAtar.MinAtarTestUtil;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>Pins the Asterix rules of MinAtar asterix.py.</summary>
[TestFixture]
public sealed class AsterixTests
{
    [Test]
    public void Reset_StartsWithPlayerInTheMiddleAndNoEntities()
    {
        using var g = new Asterix(1, Exact);
        Assert.That((g.PlayerX, g.PlayerY), Is.EqualTo((5, 5)));
        Assert.That(g.Active, Has.None.True);
        Assert.That((g.SpawnSpeed, g.SpawnTimer, g.MoveSpeed, g.MoveTimer, g.RampTimer), Is.EqualTo((10, 10, 5, 5, 100)));
        Assert.That(Cells(g, Asterix.PlayerChannel), Is.EqualTo(new[] { "5,5" }));
    }

    [Test]
    public void FirstSpawnOnStep11_MovesAtOnceBecauseItIsAMoveStep()
    {
        using var g = new Asterix(4, Exact);
        Repeat(g, MinAtarAction.NoOp, 10);
        Assert.That(g.Active, Has.None.True);
        var oracle = g.Rng.Clone();
        bool right = oracle.NextDouble() < 0.5;
        bool gold = oracle.NextDouble() < 1.0 / 3.0;
        int slot = oracle.NextInt(8);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Active.Count(a => a), Is.EqualTo(1));
        Assert.That(g.Active[slot], Is.True);
        Assert.That((g.MovingRight[slot], g.Gold[slot]), Is.EqualTo((right, gold)));
        Assert.That(g.EntityX[slot], Is.EqualTo(right ? 1 : 8), "spawned at the edge, then moved on step 11");
        Assert.That(g.SpawnTimer, Is.EqualTo(9));
    }

    [Test]
    public void Spawn_WithNoFreeSlot_StillDrawsBothUniforms()
    {
        using var g = new Asterix(2, Exact);
        for (int i = 0; i < 8; i++) g.PlaceEntity(i, 3, right: true, gold: true);
        g.PlayerX = 9;
        g.SpawnTimer = 0;
        var oracle = g.Rng.Clone();
        oracle.NextDouble();
        oracle.NextDouble();
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Rng.SaveState(), Is.EqualTo(oracle.SaveState()));
        Assert.That(g.SpawnTimer, Is.EqualTo(9), "timer reset to spawn_speed, then decremented");
    }

    [Test]
    public void Spawn_PicksOnlyFreeSlots()
    {
        using var g = new Asterix(2, Exact);
        for (int i = 0; i < 8; i++)
        {
            if (i != 6) g.PlaceEntity(i, 5, right: true, gold: true);
        }
        g.PlayerX = 0;
        g.SpawnTimer = 0;
        g.MoveTimer = 3;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Active, Has.All.True);
        Assert.That(g.EntityX[6], Is.EqualTo(g.MovingRight[6] ? 0 : 9));
    }

    [TestCase(MinAtarAction.Left, 0, 4, 0, 4)]
    [TestCase(MinAtarAction.Right, 9, 4, 9, 4)]
    [TestCase(MinAtarAction.Up, 3, 1, 3, 1)]
    [TestCase(MinAtarAction.Down, 3, 8, 3, 8)]
    [TestCase(MinAtarAction.Up, 3, 5, 3, 4)]
    [TestCase(MinAtarAction.Fire, 3, 5, 3, 5)]
    public void PlayerMovement_IsClampedToRows1To8(MinAtarAction a, int x, int y, int ex, int ey)
    {
        using var g = new Asterix(1, Exact);
        (g.PlayerX, g.PlayerY) = (x, y);
        g.StepRules(a);
        Assert.That((g.PlayerX, g.PlayerY), Is.EqualTo((ex, ey)));
    }

    [Test]
    public void WalkingIntoGold_Rewards_WalkingIntoEnemy_Terminates()
    {
        using var g = new Asterix(1, Exact);
        g.PlaceEntity(4, 6, right: false, gold: true); // row 5
        Assert.That(g.StepRules(MinAtarAction.Right), Is.EqualTo(1));
        Assert.That(g.Active[4], Is.False);
        g.PlaceEntity(4, 7, right: false, gold: false);
        Assert.That(g.StepRules(MinAtarAction.Right), Is.Zero);
        Assert.That(g.IsTerminal, Is.True);
        Assert.That(g.Step(0), Is.EqualTo(new StepResult(0, true, false, 0)));
    }

    [Test]
    public void EntitiesMoveEveryMoveSpeedSteps_AndCollideWhenLandingOnThePlayer()
    {
        using var g = new Asterix(1, Exact);
        g.PlaceEntity(4, 3, right: true, gold: true); // row 5, two cells left of the player
        Repeat(g, MinAtarAction.NoOp, 5);
        Assert.That(g.EntityX[4], Is.EqualTo(3), "no move in steps 1-5");
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.EntityX[4], Is.EqualTo(4), "first move on step 6");
        Assert.That(Repeat(g, MinAtarAction.NoOp, 4), Is.Zero);
        Assert.That(g.EntityX[4], Is.EqualTo(4));
        Assert.That(g.StepRules(MinAtarAction.NoOp), Is.EqualTo(1), "step 11: the gold lands on the player");
        Assert.That(g.Active[4], Is.False);
    }

    [Test]
    public void EntityLeavingTheBoard_IsRemoved()
    {
        using var g = new Asterix(1, Exact);
        g.PlaceEntity(0, 9, right: true, gold: false);
        g.MoveTimer = 0;
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Active[0], Is.False);
        Assert.That(g.IsTerminal, Is.False);
    }

    [Test]
    public void DifficultyRamp_Every102Steps_FollowsThePublishedSchedule()
    {
        using var g = new Asterix(1, Exact);
        g.PlayerY = 1;
        var seen = new List<(int Step, int Spawn, int Move)>();
        (int, int) prev = (10, 5);
        for (int t = 1; t <= 1200; t++)
        {
            g.SpawnTimer = 1000; // no spawns, so the episode lasts (as in the spec's own check)
            g.StepRules(MinAtarAction.NoOp);
            if ((g.SpawnSpeed, g.MoveSpeed) != prev)
            {
                prev = (g.SpawnSpeed, g.MoveSpeed);
                seen.Add((t, g.SpawnSpeed, g.MoveSpeed));
            }
        }
        Assert.That(seen, Is.EqualTo(new[]
        {
            (102, 9, 5), (204, 8, 4), (306, 7, 4), (408, 6, 3), (510, 5, 3), (612, 4, 2), (714, 3, 2), (816, 2, 1),
            (918, 1, 1),
        }));
    }

    [Test]
    public void RampingOff_KeepsSpeeds()
    {
        using var g = new Asterix(1, ExactNoRamp);
        for (int t = 0; t < 500; t++)
        {
            g.SpawnTimer = 1000;
            g.StepRules(MinAtarAction.NoOp);
        }
        Assert.That((g.SpawnSpeed, g.MoveSpeed), Is.EqualTo((10, 5)));
    }

    [Test]
    public void Observation_DrawsPlayerEntitiesAndTrailsBehindThem()
    {
        using var g = new Asterix(1, Exact);
        g.PlaceEntity(0, 3, right: true, gold: false); // row 1, trail at x 2
        g.PlaceEntity(1, 0, right: false, gold: true); // row 2, trail at x 1
        g.PlaceEntity(2, 0, right: true, gold: false); // row 3, trail off the board
        Assert.That(Cells(g, Asterix.PlayerChannel), Is.EqualTo(new[] { "5,5" }));
        Assert.That(Cells(g, Asterix.EnemyChannel), Is.EqualTo(new[] { "1,3", "3,0" }));
        Assert.That(Cells(g, Asterix.GoldChannel), Is.EqualTo(new[] { "2,0" }));
        Assert.That(Cells(g, Asterix.TrailChannel), Is.EqualTo(new[] { "1,2", "2,1" }));
    }
}
