using MoeScratch.Rl.Envs.MinAtar;
using static MoeScratch.Rl.Tests.Envs.MinAtar.MinAtarTestUtil;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>Pins the Breakout rules of MinAtar breakout.py.</summary>
[TestFixture]
public sealed class BreakoutTests
{
    private static Breakout Ball(int y, int x, int d, int paddle = 4)
    {
        var g = new Breakout(1, Exact);
        (g.BallY, g.BallX, g.Direction, g.Paddle) = (y, x, d, paddle);
        g.Invalidate();
        return g;
    }

    [Test]
    public void Reset_StartsFromEitherCornerOfRow3_WithThreeBrickRows()
    {
        var starts = new HashSet<(int, int)>();
        for (ulong seed = 0; seed < 20; seed++)
        {
            using var g = new Breakout(seed, Exact);
            Assert.That(g.BallY, Is.EqualTo(3));
            starts.Add((g.BallX, g.Direction));
            Assert.That(g.Paddle, Is.EqualTo(4));
            Assert.That(g.Bricks.Count(b => b), Is.EqualTo(30));
            Assert.That(Enumerable.Range(10, 30).All(i => g.Bricks[i]), Is.True);
        }
        Assert.That(starts, Is.EquivalentTo(new[] { (0, 2), (9, 3) }));
    }

    [Test]
    public void PaddleMoves_AndClamps()
    {
        using var g = Ball(5, 5, 2, paddle: 0);
        g.StepRules(MinAtarAction.Left);
        Assert.That(g.Paddle, Is.Zero);
        g.StepRules(MinAtarAction.Right);
        g.StepRules(MinAtarAction.Up);
        Assert.That(g.Paddle, Is.EqualTo(1));
    }

    [Test]
    public void SideWall_ClampsAndReflectsHorizontally()
    {
        using var g = Ball(5, 0, 0);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.BallY, g.BallX, g.Direction), Is.EqualTo((4, 0, 1)));
        using var h = Ball(6, 9, 2);
        h.StepRules(MinAtarAction.NoOp);
        Assert.That((h.BallY, h.BallX, h.Direction), Is.EqualTo((7, 9, 3)));
    }

    [Test]
    public void Ceiling_ReflectsVertically()
    {
        using var g = Ball(0, 5, 1);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.BallY, g.BallX, g.Direction), Is.EqualTo((0, 6, 2)));
    }

    [Test]
    public void BrickHit_Rewards_RemovesBrick_HoldsRow_AndSetsStrike()
    {
        using var g = Ball(4, 5, 0);
        Assert.That(g.StepRules(MinAtarAction.NoOp), Is.EqualTo(1));
        Assert.That(g.Bricks[3 * 10 + 4], Is.False);
        Assert.That((g.BallY, g.BallX, g.Direction, g.Strike), Is.EqualTo((4, 4, 3, true)));
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.BallY, g.BallX, g.Strike), Is.EqualTo((5, 3, false)), "no brick this step clears strike");
    }

    [Test]
    public void WithStrikeSet_BallEntersTheBrickCell_AndTheBrickStays()
    {
        using var g = Ball(4, 5, 0);
        g.Strike = true;
        Assert.That(g.StepRules(MinAtarAction.NoOp), Is.Zero);
        Assert.That((g.BallY, g.BallX, g.Direction, g.Strike), Is.EqualTo((3, 4, 0, true)));
        Assert.That(g.Bricks[3 * 10 + 4], Is.True);
    }

    [Test]
    public void Paddle_UnderOldX_ReflectsVertically()
    {
        using var g = Ball(8, 4, 2, paddle: 4);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.BallY, g.BallX, g.Direction, g.IsTerminal), Is.EqualTo((8, 5, 1, false)));
    }

    [Test]
    public void Paddle_UnderNewX_ReversesBothComponents()
    {
        using var g = Ball(8, 3, 2, paddle: 4);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.BallY, g.BallX, g.Direction, g.IsTerminal), Is.EqualTo((8, 4, 0, false)));
    }

    [Test]
    public void MissingThePaddle_Terminates()
    {
        using var g = Ball(8, 1, 2, paddle: 4);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That((g.BallY, g.BallX, g.IsTerminal), Is.EqualTo((9, 2, true)));
    }

    [Test]
    public void BricksRefill_WhenTheBallReachesRow9WithNoneLeft()
    {
        using var g = Ball(8, 4, 2, paddle: 4);
        Array.Clear(g.Bricks);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Bricks.Count(b => b), Is.EqualTo(30));
    }

    [Test]
    public void Observation_ShowsBallPaddleTrailAndBricks()
    {
        using var g = Ball(6, 5, 2, paddle: 7);
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(Cells(g, Breakout.BallChannel), Is.EqualTo(new[] { "7,6" }));
        Assert.That(Cells(g, Breakout.TrailChannel), Is.EqualTo(new[] { "6,5" }));
        Assert.That(Cells(g, Breakout.PaddleChannel), Is.EqualTo(new[] { "9,7" }));
        Assert.That(Cells(g, Breakout.BrickChannel), Has.Length.EqualTo(30));
        Assert.That(At(g, 1, 0, Breakout.BrickChannel), Is.EqualTo(1));
    }

    [Test]
    public void PaddleTrackingPolicy_ClearsAWallAndGetsRefill()
    {
        // Following the ball with the paddle never misses in this discrete game; 40 bricks means a refill happened.
        using var g = new Breakout(3, Exact);
        int total = 0;
        for (int t = 0; t < 3000 && !g.IsTerminal; t++)
        {
            var a = g.BallX < g.Paddle ? MinAtarAction.Left : g.BallX > g.Paddle ? MinAtarAction.Right : MinAtarAction.NoOp;
            total += g.StepRules(a);
        }
        Assert.That(total, Is.GreaterThanOrEqualTo(31));
    }
}
