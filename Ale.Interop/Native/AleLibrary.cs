using System.Reflection;
using System.Runtime.InteropServices;

namespace MoeScratch.Ale.Native;

/// <summary>
/// Finds and loads the ALE C library (<c>libale_c.so</c>) once per process and answers the P/Invoke declarations
/// of <see cref="AleNative"/> with it. Search order: a path given to <see cref="Configure"/>, the environment
/// variable <see cref="PathVariable"/>, the application folder, then the system search path. ALE is never
/// bundled, so a missing library is an expected state: the error says how to build it.
/// </summary>
public static class AleLibrary
{
    /// <summary>Environment variable holding the full path of a built <c>libale_c.so</c>.</summary>
    public const string PathVariable = "MOESCRATCH_ALE_LIB";

    private static readonly Lock Gate = new();
    private static string? _configuredPath;
    private static IntPtr _handle;
    private static bool _resolverInstalled;

    /// <summary>The path the library was loaded from, or null before the first load.</summary>
    public static string? LoadedPath { get; private set; }

    /// <summary>True once the library is loaded.</summary>
    public static bool IsLoaded => _handle != IntPtr.Zero;

    /// <summary>The platform file name of the library, e.g. <c>libale_c.so</c> on Linux.</summary>
    public static string FileName =>
        OperatingSystem.IsWindows() ? "ale_c.dll" : OperatingSystem.IsMacOS() ? "libale_c.dylib" : "libale_c.so";

    /// <summary>
    /// Uses the library at <paramref name="path"/>. P/Invoke binds each function once per process, so this must come
    /// before the first load; calling it again with the path already loaded is allowed.
    /// </summary>
    /// <exception cref="InvalidOperationException">A different library is already loaded.</exception>
    public static void Configure(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        lock (Gate)
        {
            if (LoadedPath is not null && LoadedPath != full)
            {
                throw new InvalidOperationException(
                    $"AleLibrary.Configure('{full}'): '{LoadedPath}' is already loaded and P/Invoke bindings cannot be " +
                    "re-pointed within one process. Configure the library before creating the first AleInterface.");
            }

            _configuredPath = full;
        }
    }

    /// <summary>True when the library can be loaded (loads it as a side effect); never throws.</summary>
    public static bool TryLoad()
    {
        try
        {
            EnsureLoaded();
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>True when the loaded library exports <paramref name="symbol"/> (false for legacy-only builds).</summary>
    public static bool HasExport(string symbol)
    {
        EnsureLoaded();
        return NativeLibrary.TryGetExport(_handle, symbol, out _);
    }

    /// <summary>The raw address of an export of the loaded library (for test doubles and diagnostics).</summary>
    public static IntPtr GetExport(string symbol)
    {
        EnsureLoaded();
        return NativeLibrary.GetExport(_handle, symbol);
    }

    /// <summary>Loads the library if needed.</summary>
    /// <exception cref="DllNotFoundException">Not found; the message explains how to build and point at it.</exception>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero)
            {
                return;
            }

            if (!_resolverInstalled)
            {
                NativeLibrary.SetDllImportResolver(typeof(AleLibrary).Assembly, Resolve);
                _resolverInstalled = true;
            }

            var tried = new List<string>();
            string? explicitPath = _configuredPath ?? NonEmpty(Environment.GetEnvironmentVariable(PathVariable));
            if (explicitPath is not null)
            {
                // An explicit choice that fails is an error, not a reason to fall back silently to another build.
                string full = System.IO.Path.GetFullPath(explicitPath);
                string source = _configuredPath is not null ? "AleLibrary.Configure" : $"${PathVariable}";
                if (!File.Exists(full))
                {
                    throw new DllNotFoundException($"{source} names '{full}', which does not exist. {BuildHint}");
                }

                if (!NativeLibrary.TryLoad(full, out _handle))
                {
                    throw new DllNotFoundException(
                        $"{source} names '{full}', which exists but could not be loaded (wrong architecture, or a " +
                        $"missing dependency such as libale.so: check `ldd {full}`). {BuildHint}");
                }

                LoadedPath = full;
                return;
            }

            string appLocal = System.IO.Path.Combine(AppContext.BaseDirectory, FileName);
            tried.Add(appLocal);
            if (File.Exists(appLocal) && NativeLibrary.TryLoad(appLocal, out _handle))
            {
                LoadedPath = appLocal;
                return;
            }

            tried.Add($"system search path ('{FileName}')");
            if (NativeLibrary.TryLoad(FileName, out _handle))
            {
                LoadedPath = FileName;
                return;
            }

            throw new DllNotFoundException(
                $"The ALE C library was not found (looked in: ${PathVariable} unset; {string.Join("; ", tried)}). {BuildHint}");
        }
    }

    /// <summary>The exact steps to build the shim; part of every load error.</summary>
    public static string BuildHint =>
        "Build it: (1) build and install ALE 0.12 without Python: `cmake -S Arcade-Learning-Environment -B ale-build " +
        "-DCMAKE_BUILD_TYPE=Release -DBUILD_PYTHON_LIB=OFF -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX=$HOME/ale && " +
        "cmake --build ale-build --target install`; (2) build the shim: `cmake -S Ale.Interop/native -B build/ale-shim " +
        "-DCMAKE_BUILD_TYPE=Release -DALE_ROOT=$HOME/ale && cmake --build build/ale-shim`; (3) " +
        $"`export {PathVariable}=$PWD/build/ale-shim/{FileName}` (or copy it next to the application). " +
        "See README.md, section 'Atari (ALE)'.";

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != AleNative.Library)
        {
            return IntPtr.Zero;
        }

        EnsureLoaded();
        return _handle;
    }
}
