using System.Diagnostics;
using MoeScratch.Ale.Native;
using MoeScratch.Ale.Roms;

namespace MoeScratch.Ale.Tests.TestUtil;

/// <summary>
/// Chooses the native library the tests bind to. P/Invoke binds once per process, so a test run uses either the
/// test double (tests/Ale.Interop.Tests/native/fake_ale.c, compiled here with the system C compiler) or, when
/// MOESCRATCH_ALE_LIB is set, a real shim built against ALE; the other group is reported as skipped.
/// </summary>
internal static class NativeUnderTest
{
    private static readonly Lazy<(string? Path, string Why)> Fake = new(BuildFake);

    /// <summary>Where the test double is compiled (one folder per test process, removed by <see cref="NativeCleanup"/>).</summary>
    public static string BuildDirectory { get; } = Path.Combine(Path.GetTempPath(), $"moescratch-fake-ale-{Environment.ProcessId}");

    /// <summary>Binds the test double, or ignores the calling test when that is impossible.</summary>
    public static string RequireFake()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(AleLibrary.PathVariable)))
        {
            Assert.Ignore($"{AleLibrary.PathVariable} points at a real ALE shim; the test-double tests run when it is unset.");
        }

        var (path, why) = Fake.Value;
        if (path is null)
        {
            Assert.Ignore(why);
        }

        AleLibrary.Configure(path);
        AleLibrary.EnsureLoaded();
        return path;
    }

    /// <summary>Binds the real shim named by MOESCRATCH_ALE_LIB, or ignores the calling test.</summary>
    public static string RequireRealAle()
    {
        string? path = Environment.GetEnvironmentVariable(AleLibrary.PathVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            Assert.Ignore($"Set {AleLibrary.PathVariable} to a built libale_c.so to run the real-ALE tests (README.md, section 'Atari (ALE)').");
        }

        AleLibrary.Configure(path);
        AleLibrary.EnsureLoaded();
        return path;
    }

    /// <summary>Pointer to the fake's <c>fake_load_count</c>: how many loadROM calls reached native code.</summary>
    public static unsafe int FakeLoadCount() => ((delegate* unmanaged<int>)AleLibrary.GetExport("fake_load_count"))();

    /// <summary>A shared-folder ROM: $MOESCRATCH_ROMS/name, else &lt;ancestor&gt;/shared/roms/name above the tests.</summary>
    public static string? FindRom(string name)
    {
        string? dir = Environment.GetEnvironmentVariable("MOESCRATCH_ROMS");
        if (!string.IsNullOrWhiteSpace(dir) && File.Exists(Path.Combine(dir, name)))
        {
            return Path.Combine(dir, name);
        }

        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "roms", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Writes a "ROM" of random bytes (optionally starting with <paramref name="prefix"/>) and returns its path.</summary>
    public static string WriteRom(string directory, string fileName, int seed, string prefix = "")
    {
        var bytes = new byte[2048];
        new Random(seed).NextBytes(bytes);
        System.Text.Encoding.ASCII.GetBytes(prefix).CopyTo(bytes, 0);
        string path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A ROM table holding the given files under their own names (for the test double).</summary>
    public static RomTable TableFor(params string[] paths) =>
        new(paths.Select(p => KeyValuePair.Create(
            Path.GetFileName(p),
            Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(p))))));

    private static (string?, string) BuildFake()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "native", "fake_ale.c");
        if (!File.Exists(source))
        {
            return (null, $"fake_ale.c was not copied to the test output ({source}); check the test csproj.");
        }

        string? compiler = new[] { "cc", "gcc", "clang" }.FirstOrDefault(OnPath);
        if (compiler is null)
        {
            return (null, "No C compiler (cc, gcc or clang) on PATH: the P/Invoke tests against the test-double library are skipped.");
        }

        string dir = BuildDirectory;
        Directory.CreateDirectory(dir);
        string output = Path.Combine(dir, AleLibrary.FileName);
        var psi = new ProcessStartInfo(compiler)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-std=c11", "-O1", "-shared", "-fPIC", "-o", output, source })
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? (output, "")
            : throw new InvalidOperationException($"{compiler} failed to build the test double (exit {process.ExitCode}): {stderr}");
    }

    private static bool OnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, exe)));
}
