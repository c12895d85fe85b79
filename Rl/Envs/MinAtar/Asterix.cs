namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// MinAtar Asterix (MinAtar asterix.py): collect gold, avoid enemies. Channels: 0 player, 1 enemy, 2 trail,
/// 3 gold. Minimal actions n, l, u, r, d.
/// </summary>
public sealed class Asterix : MinAtarGame
{
    /// <summary>Entity slots; slot i lives on row i+1 (asterix.py).</summary>
    internal const int Slots = 8;

    internal const int PlayerChannel = 0, EnemyChannel = 1, TrailChannel = 2, GoldChannel = 3;
    internal const int RampInterval = 100;

    internal readonly bool[] Active = new bool[Slots];
    internal readonly int[] EntityX = new int[Slots];
    internal readonly bool[] MovingRight = new bool[Slots];
    internal readonly bool[] Gold = new bool[Slots];
    private readonly int[] _free = new int[Slots];

    /// <summary>Creates the game (use <see cref="MinAtarGames.Create"/> to create by name).</summary>
    public Asterix(ulong seed, MinAtarOptions? options = null)
        : base("asterix", 4, [0, 1, 2, 3, 4], seed, options) => ResetGame();

    internal int PlayerX { get; set; }
    internal int PlayerY { get; set; }
    internal int SpawnSpeed { get; set; }
    internal int SpawnTimer { get; set; }
    internal int MoveSpeed { get; set; }
    internal int MoveTimer { get; set; }
    internal int RampTimer { get; set; }
    internal int RampIndex { get; set; }

    /// <inheritdoc/>
    protected override void ResetGame()
    {
        PlayerX = 5;
        PlayerY = 5;
        Array.Clear(Active);
        SpawnSpeed = 10;
        SpawnTimer = 10;
        MoveSpeed = 5;
        MoveTimer = 5;
        RampTimer = RampInterval;
        RampIndex = 0;
    }

    /// <inheritdoc/>
    protected override int StepGame(MinAtarAction action)
    {
        int reward = 0;
        // 1. Spawn (both draws always happen, even with no free slot).
        if (SpawnTimer == 0)
        {
            Spawn();
            SpawnTimer = SpawnSpeed;
        }
        // 2. Player movement; rows 1..8 only.
        switch (action)
        {
            case MinAtarAction.Left: PlayerX = Math.Max(0, PlayerX - 1); break;
            case MinAtarAction.Right: PlayerX = Math.Min(Size - 1, PlayerX + 1); break;
            case MinAtarAction.Up: PlayerY = Math.Max(1, PlayerY - 1); break;
            case MinAtarAction.Down: PlayerY = Math.Min(Slots, PlayerY + 1); break;
        }
        // 3. Collision with whatever is on the player's cell (one slot per row, so at most one).
        for (int i = 0; i < Slots; i++)
        {
            if (Active[i] && EntityX[i] == PlayerX && i + 1 == PlayerY) reward += Touch(i);
        }
        // 4. Entity movement on move steps.
        if (MoveTimer == 0)
        {
            MoveTimer = MoveSpeed;
            for (int i = 0; i < Slots; i++)
            {
                if (!Active[i]) continue;
                int x = EntityX[i] + (MovingRight[i] ? 1 : -1);
                if (!InBounds(x))
                {
                    Active[i] = false;
                    continue;
                }
                EntityX[i] = x;
                if (x == PlayerX && i + 1 == PlayerY) reward += Touch(i);
            }
        }
        // 5. Timers.
        SpawnTimer--;
        MoveTimer--;
        // 6. Difficulty ramp: every 102 steps until spawn and move speed both reach 1.
        if (Ramping && (SpawnSpeed > 1 || MoveSpeed > 1))
        {
            if (RampTimer >= 0)
            {
                RampTimer--;
            }
            else
            {
                if (MoveSpeed > 1 && RampIndex % 2 == 1) MoveSpeed--;
                if (SpawnSpeed > 1) SpawnSpeed--;
                RampIndex++;
                RampTimer = RampInterval;
            }
        }
        return reward;
    }

    private int Touch(int slot)
    {
        if (Gold[slot])
        {
            Active[slot] = false;
            return 1;
        }
        Terminal = true;
        return 0;
    }

    private void Spawn()
    {
        bool right = Rng.NextDouble() < 0.5;
        bool gold = Rng.NextDouble() < 1.0 / 3.0;
        int free = 0;
        for (int i = 0; i < Slots; i++)
        {
            if (!Active[i]) _free[free++] = i;
        }
        if (free == 0) return;
        int slot = _free[Rng.NextInt(free)];
        Active[slot] = true;
        MovingRight[slot] = right;
        Gold[slot] = gold;
        EntityX[slot] = right ? 0 : Size - 1;
    }

    /// <summary>Test hook: places an entity in a slot (row slot+1).</summary>
    internal void PlaceEntity(int slot, int x, bool right, bool gold)
    {
        Active[slot] = true;
        EntityX[slot] = x;
        MovingRight[slot] = right;
        Gold[slot] = gold;
        Invalidate();
    }

    /// <inheritdoc/>
    protected override void Render(Span<byte> observation)
    {
        Set(observation, PlayerY, PlayerX, PlayerChannel);
        for (int i = 0; i < Slots; i++)
        {
            if (!Active[i]) continue;
            int y = i + 1, x = EntityX[i];
            Set(observation, y, x, Gold[i] ? GoldChannel : EnemyChannel);
            int behind = MovingRight[i] ? x - 1 : x + 1;
            if (InBounds(behind)) Set(observation, y, behind, TrailChannel);
        }
    }

    /// <inheritdoc/>
    protected override void WriteGameState(BinaryWriter writer)
    {
        writer.Write(PlayerX);
        writer.Write(PlayerY);
        writer.Write(SpawnSpeed);
        writer.Write(SpawnTimer);
        writer.Write(MoveSpeed);
        writer.Write(MoveTimer);
        writer.Write(RampTimer);
        writer.Write(RampIndex);
        for (int i = 0; i < Slots; i++)
        {
            writer.Write(Active[i]);
            writer.Write(EntityX[i]);
            writer.Write(MovingRight[i]);
            writer.Write(Gold[i]);
        }
    }

    /// <inheritdoc/>
    protected override void ReadGameState(BinaryReader reader)
    {
        PlayerX = reader.ReadInt32();
        CheckRange("player x", PlayerX, 0, Size - 1);
        PlayerY = reader.ReadInt32();
        CheckRange("player y", PlayerY, 1, Slots);
        SpawnSpeed = reader.ReadInt32();
        SpawnTimer = reader.ReadInt32();
        MoveSpeed = reader.ReadInt32();
        MoveTimer = reader.ReadInt32();
        RampTimer = reader.ReadInt32();
        RampIndex = reader.ReadInt32();
        for (int i = 0; i < Slots; i++)
        {
            Active[i] = reader.ReadBoolean();
            EntityX[i] = reader.ReadInt32();
            CheckRange("entity x", EntityX[i], 0, Size - 1);
            MovingRight[i] = reader.ReadBoolean();
            Gold[i] = reader.ReadBoolean();
        }
    }
}
