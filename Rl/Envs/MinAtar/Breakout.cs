namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// MinAtar Breakout (MinAtar breakout.py): a ball bounces between a paddle on row 9 and three rows of bricks.
/// Channels: 0 paddle, 1 ball, 2 trail, 3 brick. Minimal actions n, l, r. No randomness after reset, no ramping.
/// </summary>
public sealed class Breakout : MinAtarGame
{
    internal const int PaddleChannel = 0, BallChannel = 1, TrailChannel = 2, BrickChannel = 3;

    // Direction d: 0 up-left, 1 up-right, 2 down-right, 3 down-left (breakout.py).
    private static readonly int[] Dx = [-1, 1, 1, -1];
    private static readonly int[] Dy = [-1, -1, 1, 1];

    /// <summary>Brick map, index y·10+x.</summary>
    internal readonly bool[] Bricks = new bool[Size * Size];

    /// <summary>Creates the game (use <see cref="MinAtarGames.Create"/> to create by name).</summary>
    public Breakout(ulong seed, MinAtarOptions? options = null)
        : base("breakout", 4, [0, 1, 3], seed, options) => ResetGame();

    internal int BallX { get; set; }
    internal int BallY { get; set; }
    internal int Direction { get; set; }
    internal int Paddle { get; set; }
    internal bool Strike { get; set; }
    internal int LastX { get; set; }
    internal int LastY { get; set; }

    /// <inheritdoc/>
    protected override void ResetGame()
    {
        BallY = 3;
        if (Rng.NextInt(2) == 0)
        {
            BallX = 0;
            Direction = 2;
        }
        else
        {
            BallX = Size - 1;
            Direction = 3;
        }
        Paddle = 4;
        FillBricks();
        Strike = false;
        LastX = BallX;
        LastY = BallY;
    }

    private void FillBricks()
    {
        Array.Clear(Bricks);
        Array.Fill(Bricks, true, 1 * Size, 3 * Size);
    }

    /// <inheritdoc/>
    protected override int StepGame(MinAtarAction action)
    {
        int reward = 0;
        if (action == MinAtarAction.Left) Paddle = Math.Max(0, Paddle - 1);
        else if (action == MinAtarAction.Right) Paddle = Math.Min(Size - 1, Paddle + 1);

        LastX = BallX;
        LastY = BallY;
        int nx = BallX + Dx[Direction], ny = BallY + Dy[Direction];
        if (!InBounds(nx))
        {
            nx = Math.Clamp(nx, 0, Size - 1);
            Direction ^= 1; // 0↔1, 2↔3: horizontal reflection
        }
        bool hitBrick = false;
        if (ny < 0)
        {
            ny = 0;
            Direction = 3 - Direction; // 0↔3, 1↔2: vertical reflection
        }
        else if (ny < Size && Bricks[ny * Size + nx])
        {
            hitBrick = true;
            if (!Strike)
            {
                // One brick per contact: the ball bounces back to its row; with strike set it passes into the cell.
                reward++;
                Strike = true;
                Bricks[ny * Size + nx] = false;
                ny = LastY;
                Direction = 3 - Direction;
            }
        }
        else if (ny >= Size - 1)
        {
            if (Array.IndexOf(Bricks, true) < 0) FillBricks();
            if (BallX == Paddle)
            {
                Direction = 3 - Direction;
                ny = LastY;
            }
            else if (nx == Paddle)
            {
                Direction ^= 2; // 0↔2, 1↔3: reverse both components
                ny = LastY;
            }
            else
            {
                Terminal = true;
            }
        }
        if (!hitBrick) Strike = false;
        BallX = nx;
        BallY = ny;
        return reward;
    }

    /// <inheritdoc/>
    protected override void Render(Span<byte> observation)
    {
        Set(observation, BallY, BallX, BallChannel);
        Set(observation, Size - 1, Paddle, PaddleChannel);
        Set(observation, LastY, LastX, TrailChannel);
        for (int i = 0; i < Bricks.Length; i++)
        {
            if (Bricks[i]) observation[i * Channels + BrickChannel] = 1;
        }
    }

    /// <inheritdoc/>
    protected override void WriteGameState(BinaryWriter writer)
    {
        writer.Write(BallX);
        writer.Write(BallY);
        writer.Write(Direction);
        writer.Write(Paddle);
        writer.Write(Strike);
        writer.Write(LastX);
        writer.Write(LastY);
        foreach (bool b in Bricks) writer.Write(b);
    }

    /// <inheritdoc/>
    protected override void ReadGameState(BinaryReader reader)
    {
        BallX = reader.ReadInt32();
        CheckRange("ball x", BallX, 0, Size - 1);
        BallY = reader.ReadInt32();
        CheckRange("ball y", BallY, 0, Size - 1);
        Direction = reader.ReadInt32();
        CheckRange("direction", Direction, 0, 3);
        Paddle = reader.ReadInt32();
        CheckRange("paddle", Paddle, 0, Size - 1);
        Strike = reader.ReadBoolean();
        LastX = reader.ReadInt32();
        CheckRange("last x", LastX, 0, Size - 1);
        LastY = reader.ReadInt32();
        CheckRange("last y", LastY, 0, Size - 1);
        for (int i = 0; i < Bricks.Length; i++) Bricks[i] = reader.ReadBoolean();
    }
}
