namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>One Seaquest object (bullet, fish, enemy sub or diver); unused timers stay 0.</summary>
internal struct SeaObject
{
    public int X;
    public int Y;
    public bool Right;
    public int MoveTimer;
    public int ShotTimer;

    public SeaObject(int x, int y, bool right, int moveTimer = 0, int shotTimer = 0)
    {
        X = x;
        Y = y;
        Right = right;
        MoveTimer = moveTimer;
        ShotTimer = shotTimer;
    }

    /// <summary>−1 or +1.</summary>
    public readonly int Step => Right ? 1 : -1;
}

/// <summary>
/// An insertion-ordered list of <see cref="SeaObject"/> with in-place access and order-keeping removal, grown by
/// doubling so steady-state steps allocate nothing. Iterating from Count−1 down to 0 is "newest to oldest",
/// and removing the current index during that walk leaves the unvisited (older) entries in place.
/// </summary>
internal sealed class SeaObjectList
{
    private SeaObject[] _items = new SeaObject[16];

    public int Count { get; private set; }

    public ref SeaObject this[int i] => ref _items[i];

    public void Add(in SeaObject o)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = o;
    }

    public void RemoveAt(int i)
    {
        Array.Copy(_items, i + 1, _items, i, Count - i - 1);
        Count--;
    }

    public void Clear() => Count = 0;

    /// <summary>Index of the oldest object on (x, y), or −1.</summary>
    public int IndexAt(int x, int y)
    {
        for (int i = 0; i < Count; i++)
        {
            if (_items[i].X == x && _items[i].Y == y) return i;
        }
        return -1;
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Count);
        for (int i = 0; i < Count; i++)
        {
            ref SeaObject o = ref _items[i];
            w.Write(o.X);
            w.Write(o.Y);
            w.Write(o.Right);
            w.Write(o.MoveTimer);
            w.Write(o.ShotTimer);
        }
    }

    public void Read(BinaryReader r, string what)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > 10_000)
        {
            throw new ArgumentException($"minatar:seaquest.RestoreState: {what} count {n} is not plausible; the " +
                "state is corrupt.", "state");
        }
        Clear();
        for (int i = 0; i < n; i++)
        {
            var o = new SeaObject(r.ReadInt32(), r.ReadInt32(), r.ReadBoolean(), r.ReadInt32(), r.ReadInt32());
            if ((uint)o.X >= MinAtarGame.Size || (uint)o.Y >= MinAtarGame.Size)
            {
                throw new ArgumentException($"minatar:seaquest.RestoreState: a {what} at ({o.Y}, {o.X}) is off the " +
                    "board; the state is corrupt.", "state");
            }
            Add(o);
        }
    }
}
