namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// MinAtar Seaquest (MinAtar seaquest.py): shoot fish and enemy subs, collect divers, surface before the oxygen
/// runs out. Channels: 0 sub front, 1 sub back, 2 friendly bullet, 3 trail, 4 enemy bullet, 5 fish, 6 enemy sub,
/// 7 oxygen gauge, 8 diver gauge, 9 diver. Uses all six actions. Reproduces the post-v1.0.11 oxygen check and
/// the carried-divers quirk (−1 after surfacing with six).
/// </summary>
public sealed class Seaquest : MinAtarGame
{
    internal const int SubFrontChannel = 0, SubBackChannel = 1, FriendlyBulletChannel = 2, TrailChannel = 3;
    internal const int EnemyBulletChannel = 4, FishChannel = 5, EnemySubChannel = 6, OxygenChannel = 7;
    internal const int DiverGaugeChannel = 8, DiverChannel = 9;

    internal const int MaxOxygen = 200, InitSpawnSpeed = 20, DiverSpawnSpeed = 30, InitMoveInterval = 5;
    internal const int ShotCooldown = 5, EnemyShotInterval = 10, DiverMoveInterval = 5, MaxDivers = 6;

    internal readonly SeaObjectList FriendlyBullets = new();
    internal readonly SeaObjectList EnemyBullets = new();
    internal readonly SeaObjectList Fish = new();
    internal readonly SeaObjectList Subs = new();
    internal readonly SeaObjectList Divers = new();

    /// <summary>Creates the game (use <see cref="MinAtarGames.Create"/> to create by name).</summary>
    public Seaquest(ulong seed, MinAtarOptions? options = null)
        : base("seaquest", 10, [0, 1, 2, 3, 4, 5], seed, options) => ResetGame();

    internal int SubX { get; set; }
    internal int SubY { get; set; }
    internal bool FacingRight { get; set; }
    internal int Oxygen { get; set; }
    internal int Carried { get; set; }
    internal int EnemySpawnSpeed { get; set; }
    internal int EnemySpawnTimer { get; set; }
    internal int DiverSpawnTimer { get; set; }
    internal int MoveSpeed { get; set; }
    internal int RampIndex { get; set; }
    internal int ShotTimer { get; set; }
    internal bool Surface { get; set; }

    /// <inheritdoc/>
    protected override void ResetGame()
    {
        Oxygen = MaxOxygen;
        Carried = 0;
        SubX = 5;
        SubY = 0;
        FacingRight = false;
        FriendlyBullets.Clear();
        EnemyBullets.Clear();
        Fish.Clear();
        Subs.Clear();
        Divers.Clear();
        EnemySpawnSpeed = InitSpawnSpeed;
        EnemySpawnTimer = InitSpawnSpeed;
        DiverSpawnTimer = DiverSpawnSpeed;
        MoveSpeed = InitMoveInterval;
        RampIndex = 0;
        ShotTimer = 0;
        Surface = true;
    }

    /// <inheritdoc/>
    protected override int StepGame(MinAtarAction action)
    {
        int reward = 0;
        if (EnemySpawnTimer == 0)
        {
            SpawnEnemy();
            EnemySpawnTimer = EnemySpawnSpeed;
        }
        if (DiverSpawnTimer == 0)
        {
            bool right = Rng.NextDouble() < 0.5;
            Divers.Add(new SeaObject(right ? 0 : Size - 1, 1 + Rng.NextInt(8), right, DiverMoveInterval));
            DiverSpawnTimer = DiverSpawnSpeed;
        }
        ApplyAction(action);
        reward += MoveFriendlyBullets();
        MoveDivers();
        reward += MoveEnemies(Subs, shoots: true);
        MoveEnemyBullets();
        reward += MoveEnemies(Fish, shoots: false);
        if (EnemySpawnTimer > 0) EnemySpawnTimer--;
        if (DiverSpawnTimer > 0) DiverSpawnTimer--;
        if (ShotTimer > 0) ShotTimer--;
        // Step 10 checks before this step's decrement, so death comes one step after oxygen reaches 0.
        if (Oxygen <= 0) Terminal = true;
        if (SubY > 0)
        {
            Oxygen--;
            Surface = false;
        }
        else if (!Surface)
        {
            reward += SurfaceSub();
        }
        return reward;
    }

    private void SpawnEnemy()
    {
        bool right = Rng.NextDouble() < 0.5;
        bool isSub = Rng.NextDouble() < 1.0 / 3.0;
        int x = right ? 0 : Size - 1, row = 1 + Rng.NextInt(8);
        // Lanes never hold enemies moving in opposite directions.
        if (OppositeOnRow(Subs, row, right) || OppositeOnRow(Fish, row, right)) return;
        if (isSub) Subs.Add(new SeaObject(x, row, right, MoveSpeed, EnemyShotInterval));
        else Fish.Add(new SeaObject(x, row, right, MoveSpeed));
    }

    private static bool OppositeOnRow(SeaObjectList list, int row, bool right)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].Y == row && list[i].Right != right) return true;
        }
        return false;
    }

    private void ApplyAction(MinAtarAction action)
    {
        if (action == MinAtarAction.Fire)
        {
            if (ShotTimer == 0)
            {
                FriendlyBullets.Add(new SeaObject(SubX, SubY, FacingRight));
                ShotTimer = ShotCooldown;
            }
            return;
        }
        switch (action)
        {
            case MinAtarAction.Left:
                SubX = Math.Max(0, SubX - 1);
                FacingRight = false;
                break;
            case MinAtarAction.Right:
                SubX = Math.Min(Size - 1, SubX + 1);
                FacingRight = true;
                break;
            case MinAtarAction.Up: SubY = Math.Max(0, SubY - 1); break;
            case MinAtarAction.Down: SubY = Math.Min(Size - 2, SubY + 1); break;
        }
    }

    private bool OnSub(in SeaObject o) => o.X == SubX && o.Y == SubY;

    // Step 4: bullets hit fish first, then subs, at the enemies' positions before they move.
    private int MoveFriendlyBullets()
    {
        int reward = 0;
        for (int i = FriendlyBullets.Count - 1; i >= 0; i--)
        {
            ref SeaObject b = ref FriendlyBullets[i];
            b.X += b.Step;
            if (!InBounds(b.X))
            {
                FriendlyBullets.RemoveAt(i);
                continue;
            }
            SeaObjectList? target = Fish.IndexAt(b.X, b.Y) >= 0 ? Fish : Subs.IndexAt(b.X, b.Y) >= 0 ? Subs : null;
            if (target is null) continue;
            target.RemoveAt(target.IndexAt(b.X, b.Y));
            FriendlyBullets.RemoveAt(i);
            reward++;
        }
        return reward;
    }

    // Step 5: divers are picked up while fewer than six are carried; with six they pass through.
    private void MoveDivers()
    {
        for (int i = Divers.Count - 1; i >= 0; i--)
        {
            ref SeaObject d = ref Divers[i];
            if (OnSub(d) && Carried < MaxDivers)
            {
                Divers.RemoveAt(i);
                Carried++;
                continue;
            }
            if (d.MoveTimer != 0)
            {
                d.MoveTimer--;
                continue;
            }
            d.MoveTimer = DiverMoveInterval;
            d.X += d.Step;
            if (!InBounds(d.X))
            {
                Divers.RemoveAt(i);
            }
            else if (OnSub(d) && Carried < MaxDivers)
            {
                Divers.RemoveAt(i);
                Carried++;
            }
        }
    }

    // Steps 6 (subs, which also shoot) and 8 (fish).
    private int MoveEnemies(SeaObjectList list, bool shoots)
    {
        int reward = 0;
        for (int i = list.Count - 1; i >= 0; i--)
        {
            SeaObject e = list[i];
            bool removed = false;
            if (OnSub(e)) Terminal = true;
            if (e.MoveTimer == 0)
            {
                e.MoveTimer = MoveSpeed;
                e.X += e.Step;
                if (!InBounds(e.X))
                {
                    removed = true;
                }
                else if (OnSub(e))
                {
                    Terminal = true;
                }
                else
                {
                    int b = FriendlyBullets.IndexAt(e.X, e.Y);
                    if (b >= 0)
                    {
                        FriendlyBullets.RemoveAt(b);
                        removed = true;
                        reward++;
                    }
                }
            }
            else
            {
                e.MoveTimer--;
            }
            // A sub removed this step still fires once; an off-board bullet vanishes in step 7.
            if (shoots)
            {
                if (e.ShotTimer == 0)
                {
                    e.ShotTimer = EnemyShotInterval;
                    EnemyBullets.Add(new SeaObject(e.X, e.Y, e.Right));
                }
                else
                {
                    e.ShotTimer--;
                }
            }
            if (removed) list.RemoveAt(i);
            else list[i] = e;
        }
        return reward;
    }

    // Step 7: includes bullets fired in step 6, which move at once.
    private void MoveEnemyBullets()
    {
        for (int i = EnemyBullets.Count - 1; i >= 0; i--)
        {
            ref SeaObject b = ref EnemyBullets[i];
            if (OnSub(b)) Terminal = true;
            b.X += b.Step;
            if (!InBounds(b.X)) EnemyBullets.RemoveAt(i);
            else if (OnSub(b)) Terminal = true;
        }
    }

    // Step 11, on the top row after being submerged.
    private int SurfaceSub()
    {
        if (Carried == 0)
        {
            Terminal = true;
            return 0;
        }
        int reward = 0;
        Surface = true;
        if (Carried == MaxDivers)
        {
            Carried = 0;
            reward = Oxygen * 10 / MaxOxygen;
        }
        Oxygen = MaxOxygen;
        Carried--; // MinAtar quirk (seaquest.py): six divers leave −1, and negative counts keep decreasing.
        if (Ramping && (EnemySpawnSpeed > 1 || MoveSpeed > 2))
        {
            if (MoveSpeed > 2 && RampIndex % 2 == 1) MoveSpeed--;
            if (EnemySpawnSpeed > 1) EnemySpawnSpeed--;
            RampIndex++;
        }
        return reward;
    }

    /// <inheritdoc/>
    protected override void Render(Span<byte> observation)
    {
        Set(observation, SubY, SubX, SubFrontChannel);
        int back = FacingRight ? SubX - 1 : SubX + 1;
        if (InBounds(back)) Set(observation, SubY, back, SubBackChannel);
        int oxygenCells = Math.Max(0, Oxygen) * 10 / MaxOxygen;
        for (int x = 0; x < oxygenCells; x++) Set(observation, Size - 1, x, OxygenChannel);
        for (int x = Size - 1 - Carried; x < Size - 1; x++)
        {
            if (InBounds(x)) Set(observation, Size - 1, x, DiverGaugeChannel);
        }
        RenderList(observation, FriendlyBullets, FriendlyBulletChannel, trail: false);
        RenderList(observation, EnemyBullets, EnemyBulletChannel, trail: false);
        RenderList(observation, Fish, FishChannel, trail: true);
        RenderList(observation, Subs, EnemySubChannel, trail: true);
        RenderList(observation, Divers, DiverChannel, trail: true);
    }

    private void RenderList(Span<byte> observation, SeaObjectList list, int channel, bool trail)
    {
        for (int i = 0; i < list.Count; i++)
        {
            ref SeaObject o = ref list[i];
            Set(observation, o.Y, o.X, channel);
            int behind = o.X - o.Step;
            if (trail && InBounds(behind)) Set(observation, o.Y, behind, TrailChannel);
        }
    }

    /// <inheritdoc/>
    protected override void WriteGameState(BinaryWriter writer)
    {
        foreach (int v in (ReadOnlySpan<int>)[SubX, SubY, Oxygen, Carried, EnemySpawnSpeed, EnemySpawnTimer,
                     DiverSpawnTimer, MoveSpeed, RampIndex, ShotTimer])
        {
            writer.Write(v);
        }
        writer.Write(FacingRight);
        writer.Write(Surface);
        FriendlyBullets.Write(writer);
        EnemyBullets.Write(writer);
        Fish.Write(writer);
        Subs.Write(writer);
        Divers.Write(writer);
    }

    /// <inheritdoc/>
    protected override void ReadGameState(BinaryReader reader)
    {
        SubX = reader.ReadInt32();
        CheckRange("sub x", SubX, 0, Size - 1);
        SubY = reader.ReadInt32();
        CheckRange("sub y", SubY, 0, Size - 2);
        Oxygen = reader.ReadInt32();
        Carried = reader.ReadInt32();
        EnemySpawnSpeed = reader.ReadInt32();
        EnemySpawnTimer = reader.ReadInt32();
        DiverSpawnTimer = reader.ReadInt32();
        MoveSpeed = reader.ReadInt32();
        RampIndex = reader.ReadInt32();
        ShotTimer = reader.ReadInt32();
        FacingRight = reader.ReadBoolean();
        Surface = reader.ReadBoolean();
        FriendlyBullets.Read(reader, "friendly bullet");
        EnemyBullets.Read(reader, "enemy bullet");
        Fish.Read(reader, "fish");
        Subs.Read(reader, "enemy sub");
        Divers.Read(reader, "diver");
    }
}
