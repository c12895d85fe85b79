using MoeScratch.Ale.Tests.TestUtil;

namespace MoeScratch.Ale.Tests;

// In the root test namespace so that it runs once after every test of the assembly.
/// <summary>Removes the compiled test double after the run (unlinking a loaded .so is safe on Linux and macOS).</summary>
[SetUpFixture]
public sealed class NativeCleanup
{
    [OneTimeTearDown]
    public void RemoveBuildDirectory()
    {
        if (Directory.Exists(NativeUnderTest.BuildDirectory) && !OperatingSystem.IsWindows())
        {
            Directory.Delete(NativeUnderTest.BuildDirectory, recursive: true);
        }
    }
}
