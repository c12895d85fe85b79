using System.Runtime.InteropServices;

namespace MoeScratch.Ale.Native;

/// <summary>
/// P/Invoke declarations for the C ABI of <c>libale_c.so</c>: the MoeScratch shim (Ale.Interop/native) or a legacy
/// ALE 0.5–0.6 C wrapper. Names and signatures follow the legacy wrapper (ALE 0.6.1); the exports marked
/// "shim only" are additions of the shim and are called only after <see cref="AleLibrary.HasExport"/> confirms them.
/// C <c>bool</c> is one byte in both, hence <c>UnmanagedType.U1</c>. The legacy <c>getString</c> returns a dangling
/// pointer and is deliberately not bound.
/// </summary>
internal static unsafe partial class AleNative
{
    /// <summary>The library name the resolver answers for (<see cref="AleLibrary"/>).</summary>
    internal const string Library = "ale_c";

    [LibraryImport(Library)] internal static partial AleHandle ALE_new();
    [LibraryImport(Library)] internal static partial void ALE_del(IntPtr ale);
    [LibraryImport(Library)] internal static partial void setLoggerMode(int mode);

    // Shim only: the error channel (message of the last caught C++ exception, per thread).
    [LibraryImport(Library)] internal static partial int ALE_getLastError(byte* buffer, int length);
    [LibraryImport(Library)] internal static partial void ALE_clearLastError();
    [LibraryImport(Library)] internal static partial int ALE_version(byte* buffer, int length);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int getInt(AleHandle ale, string key);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial float getFloat(AleHandle ale, string key);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool getBool(AleHandle ale, string key);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void setInt(AleHandle ale, string key, int value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void setFloat(AleHandle ale, string key, float value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void setBool(AleHandle ale, string key, [MarshalAs(UnmanagedType.U1)] bool value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void setString(AleHandle ale, string key, string value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void loadROM(AleHandle ale, string path);

    [LibraryImport(Library)] internal static partial int act(AleHandle ale, int action);
    [LibraryImport(Library)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool game_over(AleHandle ale);
    // Shim only: game_over(false) and game_truncated() of ALE 0.12 (truncation is not a terminal).
    [LibraryImport(Library)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool game_terminated(AleHandle ale);
    [LibraryImport(Library)] [return: MarshalAs(UnmanagedType.U1)] internal static partial bool game_truncated(AleHandle ale);
    [LibraryImport(Library)] internal static partial void reset_game(AleHandle ale);
    [LibraryImport(Library)] internal static partial int lives(AleHandle ale);
    [LibraryImport(Library)] internal static partial int getFrameNumber(AleHandle ale);
    [LibraryImport(Library)] internal static partial int getEpisodeFrameNumber(AleHandle ale);

    [LibraryImport(Library)] internal static partial int getLegalActionSize(AleHandle ale);
    [LibraryImport(Library)] internal static partial void getLegalActionSet(AleHandle ale, int* actions);
    [LibraryImport(Library)] internal static partial int getMinimalActionSize(AleHandle ale);
    [LibraryImport(Library)] internal static partial void getMinimalActionSet(AleHandle ale, int* actions);

    [LibraryImport(Library)] internal static partial int getScreenWidth(AleHandle ale);
    [LibraryImport(Library)] internal static partial int getScreenHeight(AleHandle ale);
    [LibraryImport(Library)] internal static partial void getScreenGrayscale(AleHandle ale, byte* output);
    [LibraryImport(Library)] internal static partial void getScreenRGB(AleHandle ale, byte* output);

    // States (legacy names): opaque ALEState* on the native heap, freed with deleteState.
    [LibraryImport(Library)] internal static partial IntPtr cloneSystemState(AleHandle ale);
    [LibraryImport(Library)] internal static partial void restoreSystemState(AleHandle ale, IntPtr state);
    [LibraryImport(Library)] internal static partial void deleteState(IntPtr state);
    [LibraryImport(Library)] internal static partial int encodeStateLen(IntPtr state);
    [LibraryImport(Library)] internal static partial void encodeState(IntPtr state, byte* buffer, int length);
    [LibraryImport(Library)] internal static partial IntPtr decodeState(byte* buffer, int length);
}
