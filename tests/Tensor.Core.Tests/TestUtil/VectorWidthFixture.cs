using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Tests;

/// <summary>
/// Base of the kernel suites that run once per register width: with the 256-bit kernels, and again with the 512-bit
/// ones (<see cref="GemmMicroKernel.Wide"/>) where this machine has AVX-512 (elsewhere that copy is not generated,
/// since nothing could reach it).
/// </summary>
[TestFixtureSource(typeof(VectorWidthFixture), nameof(Widths))]
public abstract class VectorWidthFixture
{
    private readonly bool wide;
    private bool saved;

    protected VectorWidthFixture(bool wide) => this.wide = wide;

    /// <summary>false always, true where the 512-bit kernels can run.</summary>
    public static IEnumerable<TestFixtureData> Widths()
    {
        yield return new TestFixtureData(false).SetArgDisplayNames("256-bit");
        if (GemmMicroKernel.WideSupported) yield return new TestFixtureData(true).SetArgDisplayNames("512-bit");
    }

    [SetUp]
    public void SelectWidth()
    {
        saved = GemmMicroKernel.Wide;
        GemmMicroKernel.Wide = wide;
    }

    [TearDown]
    public void RestoreWidth() => GemmMicroKernel.Wide = saved;
}
