using MoeScratch.Ale.Native;
using MoeScratch.Ale.Preprocessing;
using MoeScratch.Ale.Roms;
using MoeScratch.Rl.Envs;
using MoeScratch.Tensors;

namespace MoeScratch.Ale;

/// <summary>
/// An Atari game through ALE with the standard preprocessing (dopamine atari_lib.py; Dopamine's
/// <c>AtariPreprocessing</c>): each step repeats the action <see cref="AtariOptions.FrameSkip"/> times summing the
/// rewards, takes the pixel-wise max of the last two grayscale frames, and area-resizes 210×160 to 84×84. One frame per
/// observation ([84, 84, 1]); stacking is the replay buffer's job. Sticky actions are ALE's own (set before loadROM).
/// The full state (emulator with its RNG, the last two frames, counters, the no-op RNG) can be saved for bit-exact resume.
/// </summary>
public sealed class AtariEnvironment : IStatefulEnvironment
{
    private readonly AtariOptions _options;
    private readonly AleInterface _ale;
    private readonly RomTable _romTable;
    private readonly int[] _actions;
    private readonly AreaResizer _resizer;
    private readonly byte[][] _frames;
    private readonly byte[] _pooled;
    private readonly byte[] _observation;
    private readonly int[] _shape;
    private Rng _rng;
    private int _lives;
    private int _episodeSteps;
    private bool _needsReset = true;

    /// <summary>Creates the environment: validates the options and the ROM, configures ALE, loads the ROM.</summary>
    /// <exception cref="ArgumentException">Bad options, or a ROM whose MD5 is not supported.</exception>
    /// <exception cref="FileNotFoundException">The ROM file is missing.</exception>
    /// <exception cref="DllNotFoundException">libale_c.so was not found; the message says how to build it.</exception>
    public AtariEnvironment(AtariOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _romTable = options.RomTableOverride ?? RomTable.Ale;
        // Fail on the ROM before touching native code, so a bad path never reaches ALE.
        RomInfo rom = _romTable.Validate(options.RomPath);
        if (options.LibraryPath is not null)
        {
            AleLibrary.Configure(options.LibraryPath);
        }

        _ale = new AleInterface();
        try
        {
            ConfigureAndLoad(options.Seed);
            _actions = options.FullActionSet ? _ale.LegalActionSet() : _ale.MinimalActionSet();
            int height = _ale.ScreenHeight, width = _ale.ScreenWidth;
            _resizer = new AreaResizer(height, width, options.ScreenSize, options.ScreenSize);
            _frames = [new byte[height * width], new byte[height * width]];
            _pooled = new byte[height * width];
            _observation = new byte[options.ScreenSize * options.ScreenSize];
            _shape = [options.ScreenSize, options.ScreenSize, 1];
            _rng = new Rng(options.Seed);
            Id = $"atari:{rom.Id}";
        }
        catch
        {
            _ale.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Id { get; }

    /// <inheritdoc />
    public int ActionCount => _actions.Length;

    /// <summary>The ALE action id behind each agent action index (minimal or full set, ALE Constants.h).</summary>
    public IReadOnlyList<int> AleActions => _actions;

    /// <inheritdoc />
    public IReadOnlyList<int> ObservationShape => _shape;

    /// <inheritdoc />
    public float ObservationScale => 1f / 255f;

    /// <summary>The 84×84 frame, valid until the next Step or Reset; copy it straight into the replay buffer.</summary>
    public ReadOnlySpan<byte> Observation => _observation;

    /// <summary>The underlying ALE instance (for settings queries and diagnostics).</summary>
    public AleInterface Ale => _ale;

    /// <summary>The max-pooled full-resolution frame behind <see cref="Observation"/> (tests and diagnostics).</summary>
    internal ReadOnlySpan<byte> PooledFrame => _pooled;

    /// <summary>Agent steps taken in the current game (life-loss terminals do not restart it).</summary>
    public int EpisodeSteps => _episodeSteps;

    /// <inheritdoc />
    public void Reset(ulong? seed = null)
    {
        if (seed is { } s)
        {
            // ALE reads random_seed only at loadROM, so re-seeding reloads the ROM.
            ConfigureAndLoad(s);
            _rng = new Rng(s);
        }

        _ale.ResetGame();
        _episodeSteps = 0;
        RunNoops();
        _lives = _ale.Lives;
        // As in Dopamine's reset: the current screen and a zero frame, so the max is the current screen.
        _ale.GetScreenGrayscale(_frames[0]);
        Array.Clear(_frames[1]);
        PoolAndResize(pool: true);
        _needsReset = false;
    }

    /// <inheritdoc />
    public StepResult Step(int action)
    {
        if ((uint)action >= (uint)_actions.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, $"{Id}: actions are 0..{_actions.Length - 1}.");
        }

        if (_needsReset)
        {
            throw new InvalidOperationException($"{Id}: the episode is over (or never started); call Reset before Step.");
        }

        int aleAction = _actions[action];
        int skip = _options.FrameSkip;
        float reward = 0f;
        bool terminated = false, lifeLost = false;
        for (int t = 0; t < skip; t++)
        {
            reward += _ale.Act(aleAction);
            terminated = _ale.IsTerminated;
            int lives = _ale.Lives;
            lifeLost |= lives < _lives;
            _lives = lives;
            // Keep the last two frames for the max-pool (the second-to-last goes to slot 0).
            if (t >= skip - 2)
            {
                _ale.GetScreenGrayscale(_frames[skip == 1 ? 0 : t - (skip - 2)]);
            }

            if (terminated || (_options.TerminalOnLifeLoss && lifeLost))
            {
                // Dopamine stops early; a slot not refreshed this step keeps its previous frame.
                break;
            }
        }

        // After a lost life the observation is this max-pooled pair, as Dopamine passes it to begin_episode; the game
        // goes on with the next Step, and only game over or the cap needs a Reset.
        PoolAndResize(pool: skip > 1);
        _episodeSteps++;
        bool lifeLossTerminal = _options.TerminalOnLifeLoss && lifeLost && !terminated;
        bool truncated = !terminated && (_ale.IsTruncated || _episodeSteps >= _options.MaxEpisodeSteps);
        _needsReset = terminated || truncated;
        return new StepResult(reward, terminated, truncated, _lives, lifeLossTerminal);
    }

    /// <inheritdoc />
    public byte[] SaveState()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(StateMagic);
            w.Write(Id);
            w.Write(_lives);
            w.Write(_episodeSteps);
            w.Write(_needsReset);
            byte[] rng = _rng.SaveState();
            w.Write(rng.Length);
            w.Write(rng);
            w.Write(_frames[0]);
            w.Write(_frames[1]);
            byte[] emulator = _ale.SaveState();
            w.Write(emulator.Length);
            w.Write(emulator);
        }

        return stream.ToArray();
    }

    /// <inheritdoc />
    public void RestoreState(ReadOnlySpan<byte> state)
    {
        using var stream = new MemoryStream(state.ToArray());
        using var r = new BinaryReader(stream);
        try
        {
            if (r.ReadUInt32() != StateMagic || r.ReadString() != Id)
            {
                throw new ArgumentException($"{Id}: the bytes are not a state of this environment (wrong tag or game).", nameof(state));
            }

            int lives = r.ReadInt32(), steps = r.ReadInt32();
            bool needsReset = r.ReadBoolean();
            byte[] rng = r.ReadBytes(r.ReadInt32());
            byte[] frame0 = r.ReadBytes(_frames[0].Length), frame1 = r.ReadBytes(_frames[1].Length);
            int emulatorLength = r.ReadInt32();
            byte[] emulator = r.ReadBytes(emulatorLength);
            if (frame1.Length != _frames[1].Length || emulator.Length != emulatorLength || stream.Position != stream.Length)
            {
                throw new ArgumentException($"{Id}: the state is truncated or has trailing bytes.", nameof(state));
            }

            try
            {
                _ale.RestoreState(emulator);
            }
            catch (AleException e)
            {
                throw new ArgumentException($"{Id}: ALE rejected the emulator part of the state: {e.NativeMessage}", nameof(state), e);
            }

            _rng.RestoreState(rng);
            (_lives, _episodeSteps, _needsReset) = (lives, steps, needsReset);
            frame0.CopyTo(_frames[0], 0);
            frame1.CopyTo(_frames[1], 0);
            PoolAndResize(pool: _options.FrameSkip > 1);
        }
        catch (EndOfStreamException e)
        {
            throw new ArgumentException($"{Id}: the state is truncated.", nameof(state), e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _ale.Dispose();

    // "ATA2": the second layout (no life-loss continuation flag since life-loss terminals stopped needing a Reset).
    private const uint StateMagic = 0x41544132;

    private void ConfigureAndLoad(ulong seed)
    {
        // All settings before loadROM, which is when ALE reads them.
        _ale.SetInt("random_seed", (int)(seed % int.MaxValue));
        _ale.SetFloat("repeat_action_probability", _options.RepeatActionProbability);
        // Frame skipping, pooling and the episode cap are done here, as in Dopamine (ALE frameskip 1).
        _ale.SetInt("frame_skip", 1);
        _ale.SetInt("max_num_frames_per_episode", 0);
        _ale.LoadRom(_options.RomPath, _romTable);
        _needsReset = true;
    }

    private void RunNoops()
    {
        if (_options.NoopMax == 0)
        {
            return;
        }

        // Gymnasium's noop_max: 1..NoopMax NOOP frames, resetting again if the game ends meanwhile.
        int noops = 1 + _rng.NextInt(_options.NoopMax);
        for (int i = 0; i < noops; i++)
        {
            _ale.Act(0);
            if (_ale.GameOver)
            {
                _ale.ResetGame();
            }
        }
    }

    private void PoolAndResize(bool pool)
    {
        if (pool)
        {
            ReadOnlySpan<byte> a = _frames[0], b = _frames[1];
            for (int i = 0; i < _pooled.Length; i++)
            {
                _pooled[i] = Math.Max(a[i], b[i]);
            }
        }
        else
        {
            _frames[0].CopyTo(_pooled, 0);
        }

        _resizer.Resize(_pooled, _observation);
    }
}
