namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// MinAtar Space Invaders (MinAtar space_invaders.py): a cannon on row 9 shoots a descending alien block. Channels:
/// 0 cannon, 1 alien, 2 alien moving left, 3 alien moving right, 4 friendly bullet, 5 enemy bullet. Minimal
/// actions n, l, r, f.
/// </summary>
public sealed class SpaceInvaders : MinAtarGame
{
    internal const int CannonChannel = 0, AlienChannel = 1, AlienLeftChannel = 2, AlienRightChannel = 3;
    internal const int FriendlyBulletChannel = 4, EnemyBulletChannel = 5;
    internal const int ShotCooldown = 5, EnemyShotInterval = 10, InitMoveInterval = 12, MinMoveInterval = 6;

    private const int Cells = Size * Size;

    /// <summary>Maps indexed y·10+x.</summary>
    internal readonly bool[] Aliens = new bool[Cells];
    internal readonly bool[] FriendlyBullets = new bool[Cells];
    internal readonly bool[] EnemyBullets = new bool[Cells];

    /// <summary>Creates the game (use <see cref="MinAtarGames.Create"/> to create by name).</summary>
    public SpaceInvaders(ulong seed, MinAtarOptions? options = null)
        : base("space_invaders", 6, [0, 1, 3, 5], seed, options) => ResetGame();

    internal int Position { get; set; }

    /// <summary>−1 left, +1 right.</summary>
    internal int AlienDirection { get; set; }
    internal int EnemyMoveInterval { get; set; }
    internal int AlienMoveTimer { get; set; }
    internal int AlienShotTimer { get; set; }
    internal int ShotTimer { get; set; }
    internal int RampIndex { get; set; }

    /// <inheritdoc/>
    protected override void ResetGame()
    {
        Position = 5;
        FillAliens();
        Array.Clear(FriendlyBullets);
        Array.Clear(EnemyBullets);
        AlienDirection = -1;
        EnemyMoveInterval = InitMoveInterval;
        AlienMoveTimer = InitMoveInterval;
        AlienShotTimer = EnemyShotInterval;
        ShotTimer = 0;
        RampIndex = 0;
    }

    /// <summary>Rows 0–3 × columns 2–7 (24 aliens).</summary>
    private void FillAliens()
    {
        Array.Clear(Aliens);
        for (int y = 0; y < 4; y++)
        {
            for (int x = 2; x < 8; x++) Aliens[y * Size + x] = true;
        }
    }

    /// <inheritdoc/>
    protected override int StepGame(MinAtarAction action)
    {
        int reward = 0;
        if (action == MinAtarAction.Fire && ShotTimer == 0)
        {
            FriendlyBullets[(Size - 1) * Size + Position] = true;
            ShotTimer = ShotCooldown;
        }
        else if (action == MinAtarAction.Left)
        {
            Position = Math.Max(0, Position - 1);
        }
        else if (action == MinAtarAction.Right)
        {
            Position = Math.Min(Size - 1, Position + 1);
        }
        int cannon = (Size - 1) * Size + Position;
        // 2–3. Bullets move one row; row 0 friendly and row 9 enemy bullets drop off.
        Array.Copy(FriendlyBullets, Size, FriendlyBullets, 0, Cells - Size);
        Array.Clear(FriendlyBullets, Cells - Size, Size);
        Array.Copy(EnemyBullets, 0, EnemyBullets, Size, Cells - Size);
        Array.Clear(EnemyBullets, 0, Size);
        if (EnemyBullets[cannon]) Terminal = true;
        // 4.
        if (Aliens[cannon]) Terminal = true;
        // 5. Block movement; the interval counts aliens before this step's kills.
        if (AlienMoveTimer == 0)
        {
            AlienMoveTimer = Math.Min(CountAliens(), EnemyMoveInterval);
            bool atEdge = AlienDirection < 0 ? ColumnHasAlien(0) : ColumnHasAlien(Size - 1);
            if (atEdge)
            {
                AlienDirection = -AlienDirection;
                if (RowHasAlien(Size - 1)) Terminal = true;
                Array.Copy(Aliens, 0, Aliens, Size, Cells - Size);
                Array.Clear(Aliens, 0, Size);
            }
            else if (AlienDirection < 0)
            {
                // Column 0 is empty here, so a flat shift by one cell moves every row left.
                Array.Copy(Aliens, 1, Aliens, 0, Cells - 1);
                for (int y = 0; y < Size; y++) Aliens[y * Size + Size - 1] = false;
            }
            else
            {
                Array.Copy(Aliens, 0, Aliens, 1, Cells - 1);
                for (int y = 0; y < Size; y++) Aliens[y * Size] = false;
            }
            if (Aliens[cannon]) Terminal = true;
        }
        // 6. The alien column nearest the cannon fires from its lowest alien.
        if (AlienShotTimer == 0)
        {
            AlienShotTimer = EnemyShotInterval;
            int cell = NearestShooter();
            if (cell >= 0) EnemyBullets[cell] = true;
        }
        // 7. Kills.
        for (int i = 0; i < Cells; i++)
        {
            if (Aliens[i] && FriendlyBullets[i])
            {
                Aliens[i] = false;
                FriendlyBullets[i] = false;
                reward++;
            }
        }
        // 8. Timers.
        if (ShotTimer > 0) ShotTimer--;
        AlienMoveTimer--;
        AlienShotTimer--;
        // 9. A cleared wave is refilled (faster when ramping); direction and timers carry on.
        if (Array.IndexOf(Aliens, true) < 0)
        {
            if (Ramping && EnemyMoveInterval > MinMoveInterval)
            {
                EnemyMoveInterval--;
                RampIndex++;
            }
            FillAliens();
        }
        return reward;
    }

    private int CountAliens()
    {
        int n = 0;
        foreach (bool a in Aliens) n += a ? 1 : 0;
        return n;
    }

    private bool ColumnHasAlien(int x)
    {
        for (int y = 0; y < Size; y++)
        {
            if (Aliens[y * Size + x]) return true;
        }
        return false;
    }

    private bool RowHasAlien(int y) => Array.IndexOf(Aliens, true, y * Size, Size) >= 0;

    /// <summary>Cell of the lowest alien in the non-empty column nearest the cannon (ties: lower column), or −1.</summary>
    private int NearestShooter()
    {
        for (int d = 0; d < Size; d++)
        {
            int cell = LowestAlien(Position - d);
            if (cell >= 0) return cell;
            if (d > 0)
            {
                cell = LowestAlien(Position + d);
                if (cell >= 0) return cell;
            }
        }
        return -1;
    }

    private int LowestAlien(int x)
    {
        if (!InBounds(x)) return -1;
        for (int y = Size - 1; y >= 0; y--)
        {
            if (Aliens[y * Size + x]) return y * Size + x;
        }
        return -1;
    }

    /// <inheritdoc/>
    protected override void Render(Span<byte> observation)
    {
        Set(observation, Size - 1, Position, CannonChannel);
        int dirChannel = AlienDirection < 0 ? AlienLeftChannel : AlienRightChannel;
        for (int i = 0; i < Cells; i++)
        {
            int o = i * Channels;
            if (Aliens[i])
            {
                observation[o + AlienChannel] = 1;
                observation[o + dirChannel] = 1;
            }
            if (FriendlyBullets[i]) observation[o + FriendlyBulletChannel] = 1;
            if (EnemyBullets[i]) observation[o + EnemyBulletChannel] = 1;
        }
    }

    /// <inheritdoc/>
    protected override void WriteGameState(BinaryWriter writer)
    {
        foreach (int v in (ReadOnlySpan<int>)[Position, AlienDirection, EnemyMoveInterval, AlienMoveTimer,
                     AlienShotTimer, ShotTimer, RampIndex])
        {
            writer.Write(v);
        }
        for (int i = 0; i < Cells; i++)
        {
            writer.Write((byte)((Aliens[i] ? 1 : 0) | (FriendlyBullets[i] ? 2 : 0) | (EnemyBullets[i] ? 4 : 0)));
        }
    }

    /// <inheritdoc/>
    protected override void ReadGameState(BinaryReader reader)
    {
        Position = reader.ReadInt32();
        CheckRange("cannon x", Position, 0, Size - 1);
        AlienDirection = reader.ReadInt32();
        if (AlienDirection is not (-1 or 1)) CheckRange("alien direction", AlienDirection, -1, -1);
        EnemyMoveInterval = reader.ReadInt32();
        AlienMoveTimer = reader.ReadInt32();
        AlienShotTimer = reader.ReadInt32();
        ShotTimer = reader.ReadInt32();
        RampIndex = reader.ReadInt32();
        for (int i = 0; i < Cells; i++)
        {
            byte b = reader.ReadByte();
            Aliens[i] = (b & 1) != 0;
            FriendlyBullets[i] = (b & 2) != 0;
            EnemyBullets[i] = (b & 4) != 0;
        }
    }
}
