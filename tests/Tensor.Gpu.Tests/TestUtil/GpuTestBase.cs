using MoeScratch.Tensors;
using MoeScratch.Tensors.Cpu;

namespace MoeScratch.Tensors.Gpu.Tests.TestUtil;

/// <summary>
/// Base of every abstract GPU suite (after ILGPU's Src/ILGPU.Tests/Generic/TestBase.cs):
/// the concrete subclass picks the accelerator, the tests run each op through <see cref="Ops"/> on it and on
/// <see cref="CpuBackend.Instance"/> (the oracle) and compare forward outputs and input gradients.
/// </summary>
[NonParallelizable]
public abstract class GpuTestBase
{
    /// <summary>The backend under test (shared per accelerator kind, see <see cref="SharedBackends"/>).</summary>
    protected GpuBackend Gpu { get; private set; } = null!;

    /// <summary>Returns the backend to test, or null when the device is absent (the fixture is then ignored).</summary>
    protected abstract GpuBackend? AcquireBackend();

    [OneTimeSetUp]
    public void AcquireGpu()
    {
        var b = AcquireBackend();
        if (b is null) Assert.Ignore("no CUDA device");
        Gpu = b;
    }

    /// <summary>Seeded uniform values in [lo, hi).</summary>
    protected static float[] RandomData(Rng rng, int count, float lo = -1f, float hi = 1f)
    {
        var d = new float[count];
        for (int i = 0; i < d.Length; i++) d[i] = lo + (hi - lo) * rng.NextFloat();
        return d;
    }

    /// <summary>
    /// Runs <paramref name="f"/> on both backends with the same inputs (values from <paramref name="data"/>, or
    /// uniform in [-1, 1)), compares the forward output and, when <paramref name="backward"/>, the gradient of every
    /// input for one random upstream gradient. Messages name the pass, the op and the shapes.
    /// </summary>
    protected void CheckAgainstCpu(string op, Func<Tensor[], Tensor> f, int[][] shapes, float[][]? data = null,
                                   bool backward = true, double tol = 1e-5, ulong seed = 7)
    {
        var rng = new Rng(seed);
        data ??= shapes.Select(s => RandomData(rng, new Shape(s).Count)).ToArray();
        var cpuIn = new Tensor[shapes.Length];
        var gpuIn = new Tensor[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            cpuIn[i] = Tensor.FromArray(data[i], new Shape(shapes[i]), CpuBackend.Instance);
            gpuIn[i] = Tensor.FromArray(data[i], new Shape(shapes[i]), Gpu);
            cpuIn[i].RequiresGrad = backward;
            gpuIn[i].RequiresGrad = backward;
        }
        var yc = f(cpuIn);
        var yg = f(gpuIn);
        Assert.That(yg.Backend, Is.SameAs(Gpu), $"{op}: the GPU result must stay on the GPU backend");
        Assert.That(yg.Shape, Is.EqualTo(yc.Shape), $"{op} forward: shape");
        string shapeText = string.Join(" ", shapes.Select(s => new Shape(s).ToString()));
        AssertClose($"{op} forward (inputs {shapeText})", yg.ToArray(), yc.ToArray(), tol);
        if (!backward) return;

        var w = RandomData(rng, yc.Count, 0.5f, 1.5f);
        yc.Backward(Tensor.FromArray(w, yc.Shape, CpuBackend.Instance));
        yg.Backward(Tensor.FromArray(w, yg.Shape, Gpu));
        for (int i = 0; i < shapes.Length; i++)
        {
            var gc = cpuIn[i].Grad?.ToArray() ?? new float[cpuIn[i].Count];
            var gg = gpuIn[i].Grad?.ToArray() ?? new float[gpuIn[i].Count];
            if (gpuIn[i].Grad is { } grad) Assert.That(grad.Backend, Is.SameAs(Gpu), $"{op}: gradient {i} backend");
            AssertClose($"{op} backward input {i} (inputs {shapeText})", gg, gc, tol);
        }
    }

    /// <summary>|actual − expected| ≤ tol·(1 + |expected|) element-wise; NaN must match NaN.</summary>
    protected static void AssertClose(string what, float[] actual, float[] expected, double tol)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < actual.Length; i++)
        {
            float a = actual[i], e = expected[i];
            if (float.IsNaN(e))
            {
                Assert.That(float.IsNaN(a), Is.True, $"{what}: element {i} is {a}, expected NaN");
                continue;
            }
            if (float.IsInfinity(e))
            {
                Assert.That(a, Is.EqualTo(e), $"{what}: element {i}");
                continue;
            }
            Assert.That(a, Is.EqualTo(e).Within(tol * (1 + Math.Abs(e))), $"{what}: element {i}");
        }
    }
}
