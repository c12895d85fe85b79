namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// MinAtar Freeway (MinAtar freeway.py): move a chicken up across eight lanes of cars. Channels: 0 chicken,
/// 1 car, 2–6 the trail of a car of speed 1..5. Minimal actions n, u, d. No ramping; an episode is exactly
/// 2,501 steps.
/// </summary>
public sealed class Freeway : MinAtarGame
{
    internal const int ChickenChannel = 0, CarChannel = 1, FirstTrailChannel = 2;
    internal const int Cars = 8, ChickenColumn = 4, PlayerSpeed = 3, TimeLimit = 2500;

    internal readonly int[] CarX = new int[Cars];
    internal readonly int[] Countdown = new int[Cars];

    /// <summary>Signed speed: magnitude 1..5, sign = direction (+1 moves right).</summary>
    internal readonly int[] Speed = new int[Cars];

    /// <summary>Creates the game (use <see cref="MinAtarGames.Create"/> to create by name).</summary>
    public Freeway(ulong seed, MinAtarOptions? options = null)
        : base("freeway", 7, [0, 2, 4], seed, options) => ResetGame();

    internal int Position { get; set; }
    internal int MoveTimer { get; set; }
    internal int TerminateTimer { get; set; }

    /// <inheritdoc/>
    protected override void ResetGame()
    {
        RandomizeCars();
        for (int i = 0; i < Cars; i++) CarX[i] = 0;
        Position = Size - 1;
        MoveTimer = PlayerSpeed;
        TerminateTimer = TimeLimit;
    }

    /// <summary>
    /// New speeds and countdowns (freeway.py): eight magnitudes in 1..5 first, then eight uniforms for the directions.
    /// A uniform of exactly 0.5 (sign 0 in MinAtar, probability 2⁻⁵³) is taken as rightward here.
    /// </summary>
    private void RandomizeCars()
    {
        for (int i = 0; i < Cars; i++) Speed[i] = 1 + Rng.NextInt(5);
        for (int i = 0; i < Cars; i++)
        {
            if (Rng.NextDouble() < 0.5) Speed[i] = -Speed[i];
            Countdown[i] = Math.Abs(Speed[i]);
        }
    }

    /// <inheritdoc/>
    protected override int StepGame(MinAtarAction action)
    {
        int reward = 0;
        if (action == MinAtarAction.Up && MoveTimer == 0)
        {
            MoveTimer = PlayerSpeed;
            Position = Math.Max(0, Position - 1);
        }
        else if (action == MinAtarAction.Down && MoveTimer == 0)
        {
            MoveTimer = PlayerSpeed;
            Position = Math.Min(Size - 1, Position + 1);
        }
        if (Position == 0)
        {
            reward = 1;
            RandomizeCars();
            Position = Size - 1;
        }
        for (int i = 0; i < Cars; i++)
        {
            int row = i + 1;
            if (CarX[i] == ChickenColumn && row == Position) Position = Size - 1;
            if (Countdown[i] == 0)
            {
                Countdown[i] = Math.Abs(Speed[i]);
                CarX[i] = Wrap(CarX[i] + Math.Sign(Speed[i]));
                if (CarX[i] == ChickenColumn && row == Position) Position = Size - 1;
            }
            else
            {
                Countdown[i]--;
            }
        }
        if (MoveTimer > 0) MoveTimer--;
        TerminateTimer--;
        if (TerminateTimer < 0) Terminal = true;
        return reward;
    }

    private static int Wrap(int x) => x < 0 ? Size - 1 : x >= Size ? 0 : x;

    /// <summary>Test hook: sets one car.</summary>
    internal void SetCar(int car, int x, int speed, int countdown)
    {
        CarX[car] = x;
        Speed[car] = speed;
        Countdown[car] = countdown;
        Invalidate();
    }

    /// <inheritdoc/>
    protected override void Render(Span<byte> observation)
    {
        Set(observation, Position, ChickenColumn, ChickenChannel);
        for (int i = 0; i < Cars; i++)
        {
            int row = i + 1, x = CarX[i];
            Set(observation, row, x, CarChannel);
            Set(observation, row, Wrap(x - Math.Sign(Speed[i])), FirstTrailChannel + Math.Abs(Speed[i]) - 1);
        }
    }

    /// <inheritdoc/>
    protected override void WriteGameState(BinaryWriter writer)
    {
        writer.Write(Position);
        writer.Write(MoveTimer);
        writer.Write(TerminateTimer);
        for (int i = 0; i < Cars; i++)
        {
            writer.Write(CarX[i]);
            writer.Write(Countdown[i]);
            writer.Write(Speed[i]);
        }
    }

    /// <inheritdoc/>
    protected override void ReadGameState(BinaryReader reader)
    {
        Position = reader.ReadInt32();
        CheckRange("chicken row", Position, 0, Size - 1);
        MoveTimer = reader.ReadInt32();
        TerminateTimer = reader.ReadInt32();
        for (int i = 0; i < Cars; i++)
        {
            CarX[i] = reader.ReadInt32();
            CheckRange("car x", CarX[i], 0, Size - 1);
            Countdown[i] = reader.ReadInt32();
            Speed[i] = reader.ReadInt32();
            CheckRange("car |speed|", Math.Abs(Speed[i]), 1, 5);
        }
    }
}
