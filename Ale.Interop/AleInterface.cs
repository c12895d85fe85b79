using System.Text;
using MoeScratch.Ale.Native;
using MoeScratch.Ale.Roms;

namespace MoeScratch.Ale;

/// <summary>
/// One ALE instance through the C ABI of <c>libale_c.so</c> (the MoeScratch shim or a legacy 0.5–0.6 wrapper).
/// Calls that can fail (settings, loadROM) are checked on the shim's last-error channel; the ROM is validated
/// before <c>loadROM</c> because ALE's failure there ends the process. Not thread-safe.
/// </summary>
public sealed unsafe class AleInterface : IDisposable
{
    private readonly AleHandle _handle;
    private readonly bool _hasErrorChannel;
    private readonly bool _hasSplitGameOver;

    /// <summary>Loads the library (see <see cref="AleLibrary"/>) and creates an instance.</summary>
    /// <exception cref="DllNotFoundException">The library is missing; the message explains how to build it.</exception>
    public AleInterface()
    {
        AleLibrary.EnsureLoaded();
        _hasErrorChannel = AleLibrary.HasExport("ALE_getLastError");
        _hasSplitGameOver = AleLibrary.HasExport("game_terminated") && AleLibrary.HasExport("game_truncated");
        IsLegacy = !AleLibrary.HasExport("ALE_version");
        ClearError();
        if (AleLibrary.HasExport("setLoggerMode"))
        {
            // 2 = Error: silences the banner and "Sending Reset..." lines on stderr; the shim's ALE_new does it too.
            AleNative.setLoggerMode(2);
        }

        _handle = AleNative.ALE_new();
        if (_handle.IsInvalid)
        {
            string message = TakeError() ?? "ALE_new returned null";
            _handle.Dispose();
            throw new AleException("ALE_new", message);
        }
    }

    /// <summary>True for a legacy libale_c.so (no shim additions): ROMs must then carry their canonical file name.</summary>
    public bool IsLegacy { get; }

    /// <summary>The ALE version reported by the shim, or "legacy" for an old C wrapper.</summary>
    public string Version => IsLegacy ? "legacy" : ReadString(&AleNative.ALE_version);

    /// <summary>The ROM loaded last, or null.</summary>
    public RomInfo? Rom { get; private set; }

    /// <summary>Writes an int setting; effective at the next <see cref="LoadRom(string)"/>.</summary>
    public void SetInt(string key, int value) =>
        Checked($"setInt('{key}')", () => AleNative.setInt(_handle, key, value), key, "int");

    /// <summary>Writes a float setting; effective at the next <see cref="LoadRom(string)"/>.</summary>
    public void SetFloat(string key, float value) =>
        Checked($"setFloat('{key}')", () => AleNative.setFloat(_handle, key, value), key, "float");

    /// <summary>Writes a bool setting; effective at the next <see cref="LoadRom(string)"/>.</summary>
    public void SetBool(string key, bool value) =>
        Checked($"setBool('{key}')", () => AleNative.setBool(_handle, key, value), key, "bool");

    /// <summary>Writes a string setting; effective at the next <see cref="LoadRom(string)"/>.</summary>
    public void SetString(string key, string value) =>
        Checked($"setString('{key}')", () => AleNative.setString(_handle, key, value), key, "string");

    /// <summary>Reads an int setting.</summary>
    public int GetInt(string key) =>
        Checked($"getInt('{key}')", () => AleNative.getInt(_handle, key), key, "int");

    /// <summary>Reads a float setting.</summary>
    public float GetFloat(string key) =>
        Checked($"getFloat('{key}')", () => AleNative.getFloat(_handle, key), key, "float");

    /// <summary>Reads a bool setting.</summary>
    public bool GetBool(string key) =>
        Checked($"getBool('{key}')", () => AleNative.getBool(_handle, key), key, "bool");

    /// <summary>Validates the ROM against ALE's MD5 table, then loads it (which also resets the game).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (checked before any native call).</exception>
    /// <exception cref="ArgumentException">The MD5 is not supported (checked before any native call).</exception>
    public RomInfo LoadRom(string path) => LoadRom(path, RomTable.Ale);

    internal RomInfo LoadRom(string path, RomTable table)
    {
        RomInfo rom = table.Validate(path, requireCanonicalName: IsLegacy);
        Checked($"loadROM('{rom.Path}')", () => AleNative.loadROM(_handle, rom.Path));
        Rom = rom;
        return rom;
    }

    /// <summary>Emulates one ALE step (frame_skip frames) and returns its reward.</summary>
    public int Act(int action) => AleNative.act(_handle, action);

    /// <summary>Game over or truncated (ALE's <c>game_over()</c>).</summary>
    public bool GameOver => AleNative.game_over(_handle);

    /// <summary>The game itself ended (<c>game_over(false)</c>); a legacy library cannot separate it from truncation.</summary>
    public bool IsTerminated => _hasSplitGameOver ? AleNative.game_terminated(_handle) : AleNative.game_over(_handle);

    /// <summary>ALE truncated the episode (frame cap or life-loss truncation); always false for a legacy library.</summary>
    public bool IsTruncated => _hasSplitGameOver && AleNative.game_truncated(_handle);

    /// <summary>Resets the episode (not the whole system).</summary>
    public void ResetGame() => AleNative.reset_game(_handle);

    /// <summary>Lives left; 0 for games without lives.</summary>
    public int Lives => AleNative.lives(_handle);

    /// <summary>Frames since the ROM was loaded.</summary>
    public int FrameNumber => AleNative.getFrameNumber(_handle);

    /// <summary>Frames in the current episode.</summary>
    public int EpisodeFrameNumber => AleNative.getEpisodeFrameNumber(_handle);

    /// <summary>Screen width in pixels (160).</summary>
    public int ScreenWidth => AleNative.getScreenWidth(_handle);

    /// <summary>Screen height in pixels (210).</summary>
    public int ScreenHeight => AleNative.getScreenHeight(_handle);

    /// <summary>The minimal action set of the loaded game, as ALE action ids (ALE Constants.h).</summary>
    public int[] MinimalActionSet() => ReadActions(AleNative.getMinimalActionSize(_handle), &AleNative.getMinimalActionSet);

    /// <summary>The full legal action set (18 actions for nearly all games).</summary>
    public int[] LegalActionSet() => ReadActions(AleNative.getLegalActionSize(_handle), &AleNative.getLegalActionSet);

    /// <summary>Writes the ALE-luminance grayscale screen (height·width bytes) into <paramref name="output"/>.</summary>
    public void GetScreenGrayscale(Span<byte> output)
    {
        RequireLength(output, ScreenWidth * ScreenHeight, "GetScreenGrayscale");
        fixed (byte* p = output)
        {
            AleNative.getScreenGrayscale(_handle, p);
        }
    }

    /// <summary>Writes the RGB screen (height·width·3 bytes, interleaved R,G,B) into <paramref name="output"/>.</summary>
    public void GetScreenRgb(Span<byte> output)
    {
        RequireLength(output, ScreenWidth * ScreenHeight * 3, "GetScreenRgb");
        fixed (byte* p = output)
        {
            AleNative.getScreenRGB(_handle, p);
        }
    }

    /// <summary>
    /// Serialises the emulator state including ALE's RNG (<c>cloneSystemState</c> + <c>encodeState</c>), so a restore
    /// continues bit-exactly, sticky actions included.
    /// </summary>
    public byte[] SaveState()
    {
        IntPtr state = Checked("cloneSystemState", () => AleNative.cloneSystemState(_handle));
        if (state == IntPtr.Zero)
        {
            throw new AleException("cloneSystemState", "returned null");
        }

        try
        {
            // Legacy encodeState throws if the buffer is too small: size it with encodeStateLen first.
            int length = Checked("encodeStateLen", () => AleNative.encodeStateLen(state));
            var bytes = new byte[length];
            Checked("encodeState", () =>
            {
                fixed (byte* p = bytes)
                {
                    AleNative.encodeState(state, p, length);
                }
            });
            return bytes;
        }
        finally
        {
            AleNative.deleteState(state);
        }
    }

    /// <summary>Restores a state written by <see cref="SaveState"/> (same ROM).</summary>
    public void RestoreState(ReadOnlySpan<byte> bytes)
    {
        IntPtr state;
        fixed (byte* p = bytes)
        {
            byte* q = p;
            int length = bytes.Length;
            state = Checked("decodeState", () => AleNative.decodeState(q, length));
        }

        if (state == IntPtr.Zero)
        {
            throw new AleException("decodeState", "returned null");
        }

        try
        {
            Checked("restoreSystemState", () => AleNative.restoreSystemState(_handle, state));
        }
        finally
        {
            AleNative.deleteState(state);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private static void RequireLength(Span<byte> output, int needed, string op)
    {
        if (output.Length < needed)
        {
            throw new ArgumentException($"{op}: the buffer holds {output.Length} bytes but the screen needs {needed}.", nameof(output));
        }
    }

    private int[] ReadActions(int count, delegate*<AleHandle, int*, void> read)
    {
        var actions = new int[count];
        fixed (int* p = actions)
        {
            read(_handle, p);
        }

        return actions;
    }

    // A legacy libale_c.so lets the C++ exception for an unknown key cross the C boundary, which aborts the process
    // (ALE 0.6.1 and later abort on it): check the key against the legacy key list of ALE 0.6.1 (Settings.cxx) first.
    private void Checked(string op, Action call, string key, string type)
    {
        RequireLegacyKey(key, type);
        Checked(op, call);
    }

    private T Checked<T>(string op, Func<T> call, string key, string type)
    {
        RequireLegacyKey(key, type);
        return Checked(op, call);
    }

    private void RequireLegacyKey(string key, string type)
    {
        if (!_hasErrorChannel && (!LegacyKeys.TryGetValue(key, out string? known) || known != type))
        {
            throw new ArgumentException(
                $"Setting '{key}' ({type}) is not a {type} setting of the legacy ALE C library, and an unknown key would " +
                $"abort the process there. Legacy keys: {string.Join(", ", LegacyKeys.Select(kv => $"{kv.Key} ({kv.Value})"))}.",
                nameof(key));
        }
    }

    private static readonly Dictionary<string, string> LegacyKeys = new(StringComparer.Ordinal)
    {
        ["random_seed"] = "int", ["frame_skip"] = "int", ["max_num_frames"] = "int", ["max_num_frames_per_episode"] = "int",
        ["fragsize"] = "int", ["repeat_action_probability"] = "float", ["color_averaging"] = "bool",
        ["restricted_action_set"] = "bool", ["run_length_encoding"] = "bool", ["send_rgb"] = "bool",
        ["display_screen"] = "bool", ["cpu"] = "string", ["rom_file"] = "string", ["record_screen_dir"] = "string",
        ["record_sound_filename"] = "string",
    };

    private void Checked(string op, Action call)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ClearError();
        call();
        ThrowIfError(op);
    }

    private T Checked<T>(string op, Func<T> call)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ClearError();
        T value = call();
        ThrowIfError(op);
        return value;
    }

    private void ClearError()
    {
        if (_hasErrorChannel)
        {
            AleNative.ALE_clearLastError();
        }
    }

    private void ThrowIfError(string op)
    {
        if (TakeError() is { } message)
        {
            throw new AleException(op, message);
        }
    }

    private string? TakeError()
    {
        if (!_hasErrorChannel)
        {
            return null;
        }

        string message = ReadString(&AleNative.ALE_getLastError);
        AleNative.ALE_clearLastError();
        return message.Length == 0 ? null : message;
    }

    // The shim copies strings into caller buffers and returns the full length, so a second call can size exactly.
    private static string ReadString(delegate*<byte*, int, int> read)
    {
        int length = read(null, 0);
        if (length <= 0)
        {
            return "";
        }

        var buffer = new byte[length + 1];
        fixed (byte* p = buffer)
        {
            read(p, buffer.Length);
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
