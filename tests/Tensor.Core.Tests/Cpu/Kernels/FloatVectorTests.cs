using System.Runtime.Intrinsics;
using MoeScratch.Tensors.Cpu.Kernels;
using MoeScratch.Tensors.Cpu.Kernels.Gemm;

namespace MoeScratch.Tensors.Tests;

/// <summary>The float-arithmetic vector exp (<see cref="ExpPoly"/>) at both widths against double-precision Math.Exp.</summary>
public unsafe class FloatVectorTests
{
    private static float[] Inputs()
    {
        var x = new List<float>();
        for (float v = -87f; v <= 88f; v += 0.0137f) x.Add(v);
        x.AddRange([0f, -0f, 1e-8f, -1e-8f, 0.5f, -0.5f, 1f, -1f, 88f, -87.3f]);
        while (x.Count % 16 != 0) x.Add(0.25f);
        return [.. x];
    }

    private static void CheckExp<TV>() where TV : struct, IFloatVector<TV>
    {
        var x = Inputs();
        var y = new float[x.Length];
        fixed (float* px = x, py = y)
        {
            for (int i = 0; i < x.Length; i += TV.Count) TV.Exp(TV.Load(px + i)).Store(py + i);
        }
        for (int i = 0; i < x.Length; i++)
        {
            double want = Math.Exp(x[i]);
            Assert.That(Math.Abs(y[i] - want), Is.LessThanOrEqualTo(3e-7 * want), $"exp({x[i]:G9}) = {y[i]:G9}, want {want:G9}");
        }
        var special = new float[TV.Count];
        special[0] = float.NaN;
        special[1] = -100f;
        special[2] = float.NegativeInfinity;
        fixed (float* ps = special) TV.Exp(TV.Load(ps)).Store(ps);
        Assert.That(float.IsNaN(special[0]), Is.True, "NaN stays NaN");
        Assert.That((special[1], special[2]), Is.EqualTo((0f, 0f)), "below the range: 0");
    }

    [Test]
    public void Exp256_IsWithinTwoUlp()
    {
        Assume.That(Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported, "needs AVX2 + FMA");
        CheckExp<Float8>();
    }

    [Test]
    public void Exp512_IsWithinTwoUlp()
    {
        Assume.That(GemmMicroKernel.WideSupported, "needs AVX-512F");
        CheckExp<Float16>();
    }
}
