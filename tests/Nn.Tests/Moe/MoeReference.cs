using MoeScratch.Nn.Moe;
using MoeScratch.Tensors;

namespace MoeScratch.Nn.Tests.Moe;

/// <summary>
/// Naive per-observation, per-token loops in double precision: the reference the batched MoE layers are tested
/// against (P1 §2.2, §3; dopamine routers.py).
/// </summary>
internal static class MoeReference
{
    /// <summary>Expert e of a non-noisy <see cref="ExpertMlp"/> on one d-vector: W2ᵀ·ReLU(W1ᵀx + b1) + b2.</summary>
    public static double[] Expert(ExpertMlp mlp, int e, double[] x)
    {
        int d = mlp.TokenDim, h = mlp.Hidden;
        var w1 = mlp["fc1.weight"].ToArray();
        var b1 = mlp["fc1.bias"].ToArray();
        var w2 = mlp["fc2.weight"].ToArray();
        var b2 = mlp["fc2.bias"].ToArray();
        var hid = new double[h];
        for (int j = 0; j < h; j++)
        {
            double s = b1[e * h + j];
            for (int i = 0; i < d; i++) s += x[i] * w1[(e * d + i) * h + j];
            hid[j] = Math.Max(0, s);
        }
        var y = new double[d];
        for (int i = 0; i < d; i++)
        {
            double s = b2[e * d + i];
            for (int j = 0; j < h; j++) s += hid[j] * w2[(e * h + j) * d + i];
            y[i] = s;
        }
        return y;
    }

    /// <summary>Token t of observation b as doubles.</summary>
    public static double[] Token(float[] x, int b, int t, int m, int d)
    {
        var v = new double[d];
        for (int i = 0; i < d; i++) v[i] = x[(b * m + t) * d + i];
        return v;
    }

    /// <summary>Softmax of a vector in double precision.</summary>
    public static double[] Softmax(double[] z)
    {
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    /// <summary>x·W for one token and a [d, k] matrix.</summary>
    public static double[] Dense(double[] x, float[] w, int k)
    {
        var y = new double[k];
        for (int i = 0; i < x.Length; i++)
        {
            for (int j = 0; j < k; j++) y[j] += x[i] * w[i * k + j];
        }
        return y;
    }

    /// <summary>Asserts a float tensor equals a reference within an absolute tolerance, naming the element.</summary>
    public static void AssertClose(string what, double[] expected, Tensor actual, double tol = 1e-4)
    {
        var a = actual.ToArray();
        Assert.That(a, Has.Length.EqualTo(expected.Length), what);
        for (int i = 0; i < a.Length; i++)
        {
            if (!(Math.Abs(a[i] - expected[i]) <= tol))
            {
                Assert.Fail($"{what}: element {i} is {a[i]:G7}, reference {expected[i]:G7} (tol {tol}).");
            }
        }
    }
}
