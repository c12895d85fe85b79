using MoeScratch.Rl.Envs.MinAtar;
using static MoeScratch.Rl.Tests.Envs.MinAtar.MinAtarTestUtil;

namespace MoeScratch.Rl.Tests.Envs.MinAtar;

/// <summary>Pins the Freeway rules of MinAtar freeway.py.</summary>
[TestFixture]
public sealed class FreewayTests
{
    /// <summary>A game whose cars all sit at column 0 and never move, so the chicken's column 4 is safe.</summary>
    private static Freeway ParkedCars()
    {
        var g = new Freeway(1, Exact);
        for (int i = 0; i < Freeway.Cars; i++) g.SetCar(i, 0, 5, 1_000_000);
        return g;
    }

    [Test]
    public void Reset_CarsStartAtColumn0_WithSpeeds1To5AndCountdownEqualToSpeed()
    {
        var mags = new HashSet<int>();
        var signs = new HashSet<int>();
        for (ulong seed = 0; seed < 10; seed++)
        {
            using var g = new Freeway(seed, Exact);
            Assert.That((g.Position, g.MoveTimer, g.TerminateTimer), Is.EqualTo((9, 3, 2500)));
            for (int i = 0; i < Freeway.Cars; i++)
            {
                Assert.That(g.CarX[i], Is.Zero);
                Assert.That(Math.Abs(g.Speed[i]), Is.InRange(1, 5));
                Assert.That(g.Countdown[i], Is.EqualTo(Math.Abs(g.Speed[i])));
                mags.Add(Math.Abs(g.Speed[i]));
                signs.Add(Math.Sign(g.Speed[i]));
            }
        }
        Assert.That(mags, Is.EquivalentTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(signs, Is.EquivalentTo(new[] { -1, 1 }));
    }

    [Test]
    public void Chicken_FirstMovesOnStep4_ThenEveryThirdStep()
    {
        using var g = ParkedCars();
        var rows = new List<int>();
        for (int t = 0; t < 10; t++)
        {
            g.StepRules(MinAtarAction.Up);
            rows.Add(g.Position);
        }
        Assert.That(rows, Is.EqualTo(new[] { 9, 9, 9, 8, 8, 8, 7, 7, 7, 6 }));
        g.Position = 9;
        g.MoveTimer = 0;
        g.StepRules(MinAtarAction.Down);
        Assert.That(g.Position, Is.EqualTo(9), "down is clamped at row 9");
        Assert.That(g.MoveTimer, Is.EqualTo(2), "a clamped move still starts the cooldown");
    }

    [Test]
    public void Crossing_Rewards_ResetsToBottom_AndRerandomisesOnlySpeeds()
    {
        using var g = ParkedCars();
        g.SetCar(3, 7, 5, 1_000_000);
        g.Position = 1;
        g.MoveTimer = 0;
        var oracle = g.Rng.Clone();
        Assert.That(g.StepRules(MinAtarAction.Up), Is.EqualTo(1));
        Assert.That(g.Position, Is.EqualTo(9));
        Assert.That(g.CarX[3], Is.EqualTo(7), "positions are kept");
        int[] mags = Enumerable.Range(0, 8).Select(_ => 1 + oracle.NextInt(5)).ToArray();
        int[] expected = mags.Select(m => oracle.NextDouble() < 0.5 ? -m : m).ToArray();
        Assert.That(g.Speed, Is.EqualTo(expected));
    }

    [Test]
    public void CarWithSpeedMinus4_MovesOnStep5_ThenEvery5Steps_WithWrap()
    {
        using var g = ParkedCars();
        g.SetCar(7, 1, -4, 4); // row 8
        var moves = new List<(int Step, int X)>();
        for (int t = 1; t <= 16; t++)
        {
            int before = g.CarX[7];
            g.StepRules(MinAtarAction.NoOp);
            if (g.CarX[7] != before) moves.Add((t, g.CarX[7]));
        }
        Assert.That(moves, Is.EqualTo(new[] { (5, 0), (10, 9), (15, 8) }));
    }

    [Test]
    public void CarOnTheChicken_OrMovingOntoIt_SendsItToTheBottom()
    {
        using var g = ParkedCars();
        g.Position = 5;
        g.SetCar(4, 4, 2, 50); // row 5, already on the chicken's cell
        g.StepRules(MinAtarAction.NoOp);
        Assert.That(g.Position, Is.EqualTo(9));
        Assert.That(g.IsTerminal, Is.False);

        using var h = ParkedCars();
        h.Position = 3;
        h.SetCar(2, 3, 1, 0); // row 3, moves onto column 4 this step
        Assert.That(h.StepRules(MinAtarAction.NoOp), Is.Zero);
        Assert.That((h.Position, h.CarX[2], h.Countdown[2]), Is.EqualTo((9, 4, 1)));
    }

    [Test]
    public void Episode_IsExactly2501Steps()
    {
        using var g = new Freeway(2, Exact);
        int steps = 0;
        while (!g.IsTerminal)
        {
            g.StepRules(MinAtarAction.Up);
            steps++;
        }
        Assert.That(steps, Is.EqualTo(2501));
    }

    [Test]
    public void Observation_ChickenCarsAndSpeedTrailsWithWrap()
    {
        using var g = ParkedCars();
        g.SetCar(0, 0, 3, 5);  // row 1, moving right: trail wraps to column 9, channel speed-3 = 4
        g.SetCar(1, 6, -2, 5); // row 2, moving left: trail at column 7, channel 3
        Assert.That(Cells(g, Freeway.ChickenChannel), Is.EqualTo(new[] { "9,4" }));
        Assert.That(Cells(g, Freeway.CarChannel), Does.Contain("1,0").And.Contain("2,6"));
        Assert.That(Cells(g, Freeway.FirstTrailChannel + 2), Is.EqualTo(new[] { "1,9" }));
        Assert.That(Cells(g, Freeway.FirstTrailChannel + 1), Is.EqualTo(new[] { "2,7" }));
        Assert.That(Cells(g, Freeway.FirstTrailChannel + 4), Has.Length.EqualTo(6), "the six parked speed-5 cars");
    }
}
