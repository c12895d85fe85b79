using MoeScratch.Tensors;

namespace MoeScratch.Tensors.Tests.TestUtil;

/// <summary>
/// The one helper every op test uses: checks the analytic gradient of <c>L = Σ w ⊙ f(inputs)</c> (w a fixed
/// random weighting, so every output element matters differently) against central finite differences whose
/// difference quotient is formed in double precision.
/// </summary>
public static class GradCheck
{
    /// <summary>Random inputs with the given shapes, values in [-1, 1) (seeded).</summary>
    public static Tensor[] RandomInputs(ulong seed, params int[][] shapes)
    {
        var rng = new Rng(seed);
        return shapes.Select(s => Tensor.Uniform(new Shape(s), -1f, 1f, rng)).ToArray();
    }

    /// <summary>
    /// Asserts that the gradient of every input equals finite differences within
    /// <paramref name="tol"/> (absolute plus relative to the gradient's magnitude).
    /// </summary>
    public static void Check(string op, Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-2, double tol = 2e-2,
                             bool[]? checkInput = null)
    {
        foreach (var x in inputs) x.RequiresGrad = true;
        var y0 = f(inputs);
        var w = Tensor.Uniform(y0.Shape, 0.5f, 1.5f, new Rng(12345));
        var loss = Ops.Sum(Ops.Mul(y0, w));
        foreach (var x in inputs) x.Grad = null;
        loss.Backward();

        for (int k = 0; k < inputs.Length; k++)
        {
            if (checkInput is not null && !checkInput[k]) continue;
            var x = inputs[k];
            var analytic = x.Grad?.ToArray() ?? new float[x.Count];
            var data = x.Span;
            var numeric = new double[x.Count];
            using (Tensor.NoGrad())
            {
                for (int i = 0; i < x.Count; i++)
                {
                    float orig = data[i];
                    data[i] = (float)(orig + eps);
                    double lp = Dot(f(inputs), w);
                    data[i] = (float)(orig - eps);
                    double lm = Dot(f(inputs), w);
                    data[i] = orig;
                    numeric[i] = (lp - lm) / (2 * eps);
                }
            }
            double scale = Math.Max(1.0, numeric.Select(Math.Abs).DefaultIfEmpty(0).Max());
            for (int i = 0; i < x.Count; i++)
            {
                double err = Math.Abs(analytic[i] - numeric[i]);
                if (err > tol * scale)
                {
                    Assert.Fail($"backward input {k} of {op}: shape {x.Shape}, element {i}: analytic {analytic[i]:G6} " +
                                $"vs numeric {numeric[i]:G6} (|diff| {err:G3} > {tol * scale:G3}); inputs " +
                                string.Join(", ", inputs.Select(t => t.Shape.ToString())));
                }
            }
        }
    }

    private static double Dot(Tensor y, Tensor w)
    {
        var a = y.ToArray();
        var b = w.ToArray();
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Asserts element-wise closeness, naming the op and the pass.</summary>
    public static void AssertClose(string what, float[] expected, float[] actual, float tol = 1e-5f)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: element count");
        for (int i = 0; i < expected.Length; i++)
        {
            float scale = Math.Max(1f, Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= tol * scale) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
            {
                Assert.Fail($"{what}: element {i}: expected {expected[i]:G9}, got {actual[i]:G9}");
            }
        }
    }
}
