using MoeScratch.Tensors;

namespace MoeScratch.Rl.Envs.MinAtar;

/// <summary>
/// Shared machinery of the five MinAtar games (MinAtar environment.py): the 10×10 board with channel-last 0/1
/// observations, the six-action set (or a game's minimal set), sticky actions, terminal handling and
/// versioned state serialisation. A game supplies its rules through the abstract members.
/// </summary>
/// <remarks>
/// One <see cref="Tensors.Rng"/> drives both the sticky-action draw and the game's own randomness, as the
/// seeded MinAtar wrapper does (environment.py). The observation is rendered lazily, on the first read after a step, so
/// stepping without looking (replay warm-up, benchmarks) costs only the rules.
/// </remarks>
public abstract class MinAtarGame : IStatefulEnvironment
{
    /// <summary>Board height and width (MinAtar environment.py).</summary>
    public const int Size = 10;

    /// <summary>Number of actions in the full set (MinAtar environment.py).</summary>
    public const int FullActionCount = 6;

    private const uint StateMagic = 0x54414E4D; // "MNAT" little-endian
    private const int StateVersion = 1;

    private readonly byte[] _observation;
    private readonly int[] _actionMap;
    private readonly IReadOnlyList<int> _shape;
    private bool _observationValid;

    /// <summary>Creates the game with its own RNG seeded by <paramref name="seed"/>.</summary>
    /// <param name="name">Registered name, e.g. "breakout".</param>
    /// <param name="channels">Observation channels C.</param>
    /// <param name="minimalActions">The game's minimal action set as full-set indices (MinAtar environment.py).</param>
    /// <param name="seed">Seed of the shared RNG.</param>
    /// <param name="options">Wrapper settings; null means the defaults.</param>
    protected MinAtarGame(string name, int channels, int[] minimalActions, ulong seed, MinAtarOptions? options)
    {
        ArgumentNullException.ThrowIfNull(minimalActions);
        Options = options ?? new MinAtarOptions();
        double p = Options.StickyActionProbability;
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentException(
                $"MinAtar {name}: StickyActionProbability must be in [0, 1], got {p}. Use 0.1 (the MinAtar default) " +
                "or 0 to disable sticky actions.", nameof(options));
        }
        Name = name;
        Channels = channels;
        _shape = Array.AsReadOnly(new[] { Size, Size, channels });
        _observation = new byte[Size * Size * channels];
        _actionMap = Options.MinimalActionSet ? (int[])minimalActions.Clone() : [0, 1, 2, 3, 4, 5];
        Rng = new Rng(seed);
    }

    /// <summary>Registered name, e.g. "space_invaders".</summary>
    public string Name { get; }

    /// <summary>Observation channels C.</summary>
    public int Channels { get; }

    /// <summary>The wrapper settings this game was built with.</summary>
    public MinAtarOptions Options { get; }

    /// <inheritdoc/>
    public string Id => "minatar:" + Name;

    /// <inheritdoc/>
    public int ActionCount => _actionMap.Length;

    /// <inheritdoc/>
    public IReadOnlyList<int> ObservationShape => _shape;

    /// <inheritdoc/>
    public float ObservationScale => 1f;

    /// <summary>True once the game is over; further steps return reward 0 and terminated.</summary>
    public bool IsTerminal => Terminal;

    /// <inheritdoc/>
    public ReadOnlySpan<byte> Observation
    {
        get
        {
            if (!_observationValid)
            {
                Array.Clear(_observation);
                Render(_observation);
                _observationValid = true;
            }
            return _observation;
        }
    }

    /// <summary>The shared RNG (sticky draw and game randomness).</summary>
    internal Rng Rng { get; private set; }

    /// <summary>The last executed full-set action, repeated by a sticky draw (environment.py; starts at 0).</summary>
    internal int LastAction { get; set; }

    /// <summary>Game over flag, set by the rules.</summary>
    internal bool Terminal { get; set; }

    /// <summary>Whether difficulty ramping is on.</summary>
    protected bool Ramping => Options.DifficultyRamping;

    /// <summary>Maps an agent action (minimal-set index when that set is used) to the full-set action.</summary>
    public MinAtarAction ToGameAction(int action)
    {
        if ((uint)action >= (uint)_actionMap.Length)
        {
            ThrowBadAction(action);
        }
        return (MinAtarAction)_actionMap[action];
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A seed re-seeds the RNG and also clears the sticky-action memory, so that Reset(seed) behaves like a
    /// freshly built environment; an unseeded reset keeps the memory, as MinAtar does between episodes.
    /// </remarks>
    public void Reset(ulong? seed = null)
    {
        if (seed is ulong s)
        {
            Rng = new Rng(s);
            LastAction = 0;
        }
        Terminal = false;
        ResetGame();
        _observationValid = false;
    }

    /// <inheritdoc/>
    public StepResult Step(int action)
    {
        int a = (int)ToGameAction(action);
        // MinAtar environment.py: the draw happens on every call, even when the game is already over.
        if (Rng.NextDouble() < Options.StickyActionProbability)
        {
            a = LastAction;
        }
        LastAction = a;
        if (Terminal)
        {
            return new StepResult(0f, true, false, 0);
        }
        int reward = StepGame((MinAtarAction)a);
        _observationValid = false;
        return new StepResult(reward, Terminal, false, 0);
    }

    /// <summary>Advances the rules one step with an executed action and returns the reward (MinAtar games).</summary>
    internal int StepRules(MinAtarAction action)
    {
        if (Terminal) return 0;
        int reward = StepGame(action);
        _observationValid = false;
        return reward;
    }

    /// <summary>Marks the cached observation stale after a test edits the state directly.</summary>
    internal void Invalidate() => _observationValid = false;

    /// <inheritdoc/>
    public byte[] SaveState()
    {
        using var ms = new MemoryStream(256);
        using (var w = new BinaryWriter(ms))
        {
            w.Write(StateMagic);
            w.Write(StateVersion);
            w.Write(Name);
            w.Write(Options.StickyActionProbability);
            w.Write(Options.DifficultyRamping);
            w.Write(Options.MinimalActionSet);
            w.Write(Rng.SaveState());
            w.Write(LastAction);
            w.Write(Terminal);
            WriteGameState(w);
        }
        return ms.ToArray();
    }

    /// <inheritdoc/>
    public void RestoreState(ReadOnlySpan<byte> state)
    {
        byte[] backup = SaveState();
        try
        {
            RestoreCore(state.ToArray());
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException or FormatException)
        {
            RestoreCore(backup);
            throw e as ArgumentException ?? new ArgumentException(
                $"{Id}.RestoreState: the state is truncated or corrupt ({e.Message}). Pass bytes from SaveState of " +
                "the same game.", nameof(state), e);
        }
    }

    private void RestoreCore(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes, false));
        if (bytes.Length < 8 || r.ReadUInt32() != StateMagic)
        {
            throw new ArgumentException($"{Id}.RestoreState: the bytes are not a MinAtar state (bad header). " +
                "Pass bytes written by MinAtarGame.SaveState.", "state");
        }
        int version = r.ReadInt32();
        if (version != StateVersion)
        {
            throw new ArgumentException($"{Id}.RestoreState: state version {version} is not supported (expected " +
                $"{StateVersion}). Save the state again with this build.", "state");
        }
        string name = r.ReadString();
        if (name != Name)
        {
            throw new ArgumentException($"{Id}.RestoreState: the state belongs to minatar:{name}, not {Id}. Restore " +
                "it into a game created with the same name.", "state");
        }
        double sticky = r.ReadDouble();
        bool ramping = r.ReadBoolean(), minimal = r.ReadBoolean();
        if (sticky != Options.StickyActionProbability || ramping != Options.DifficultyRamping ||
            minimal != Options.MinimalActionSet)
        {
            throw new ArgumentException($"{Id}.RestoreState: the state was saved with options (sticky {sticky}, " +
                $"ramping {ramping}, minimal {minimal}) but this game has {Options}. Create the game with the same " +
                "MinAtarOptions.", "state");
        }
        Rng.RestoreState(r.ReadBytes(Rng.StateSize));
        LastAction = r.ReadInt32();
        if ((uint)LastAction >= FullActionCount)
        {
            throw new ArgumentException($"{Id}.RestoreState: last action {LastAction} is outside 0..5.", "state");
        }
        Terminal = r.ReadBoolean();
        ReadGameState(r);
        if (r.BaseStream.Position != bytes.Length)
        {
            throw new ArgumentException($"{Id}.RestoreState: {bytes.Length - r.BaseStream.Position} trailing bytes " +
                "after the state. Pass exactly the bytes from SaveState.", "state");
        }
        _observationValid = false;
    }

    /// <summary>Puts the game into its start state (the RNG is already seeded).</summary>
    protected abstract void ResetGame();

    /// <summary>Applies one step of the rules with the executed action; returns the reward.</summary>
    protected abstract int StepGame(MinAtarAction action);

    /// <summary>Writes the game's 0/1 channels into a cleared H·W·C buffer.</summary>
    protected abstract void Render(Span<byte> observation);

    /// <summary>Writes every rule-relevant field (the base writes the RNG, sticky memory and terminal flag).</summary>
    protected abstract void WriteGameState(BinaryWriter writer);

    /// <summary>Reads what <see cref="WriteGameState"/> wrote; throws ArgumentException on invalid values.</summary>
    protected abstract void ReadGameState(BinaryReader reader);

    /// <summary>Sets cell (y, x) of channel c in an H·W·C buffer.</summary>
    protected void Set(Span<byte> observation, int y, int x, int c) => observation[(y * Size + x) * Channels + c] = 1;

    /// <summary>True when 0 ≤ v &lt; 10.</summary>
    protected static bool InBounds(int v) => (uint)v < Size;

    /// <summary>Throws ArgumentException when a restored value is out of range.</summary>
    protected void CheckRange(string field, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"{Id}.RestoreState: {field} = {value} is outside {min}..{max}; the state " +
                "is corrupt.", "state");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => GC.SuppressFinalize(this);

    private void ThrowBadAction(int action) => throw new ArgumentOutOfRangeException(nameof(action), action,
        $"{Id}.Step: action must be in 0..{_actionMap.Length - 1}.");
}
