using MoeScratch.Tensors.Tests.TestUtil;

namespace MoeScratch.Tensors.Tests;

public class MatMulTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var ta in new[] { false, true })
        {
            foreach (var tb in new[] { false, true })
            {
                yield return new TestCaseData(new[] { 3, 5 }, new[] { 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 2, 3, 5 }, new[] { 2, 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 2, 3, 5 }, new[] { 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 3, 5 }, new[] { 2, 5, 4 }, ta, tb);
                yield return new TestCaseData(new[] { 1, 1 }, new[] { 1, 7 }, ta, tb);
            }
        }
    }

    private static int[] Stored(int[] s, bool t) => t ? [.. s[..^2], s[^1], s[^2]] : s;

    [TestCaseSource(nameof(Cases))]
    public void MatMul_ForwardAndGradient_MatchReference(int[] sa, int[] sb, bool ta, bool tb)
    {
        var inputs = GradCheck.RandomInputs(9, Stored(sa, ta), Stored(sb, tb));
        var y = Ops.MatMul(inputs[0], inputs[1], ta, tb);
        int m = sa[^2], k = sa[^1], n = sb[^1];
        int batch = Math.Max(sa.Length > 2 ? sa[0] : 1, sb.Length > 2 ? sb[0] : 1);
        var a = inputs[0].ToArray();
        var b = inputs[1].ToArray();
        var expected = new float[batch * m * n];
        for (int t = 0; t < batch; t++)
        {
            int oa = sa.Length > 2 ? t * m * k : 0, ob = sb.Length > 2 ? t * k * n : 0;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (double)(ta ? a[oa + p * m + i] : a[oa + i * k + p]) * (tb ? b[ob + j * k + p] : b[ob + p * n + j]);
                }
                expected[t * m * n + i * n + j] = (float)s;
            }
        }
        GradCheck.AssertClose("forward matmul", expected, y.ToArray(), 1e-5f);
        GradCheck.Check("matmul", x => Ops.MatMul(x[0], x[1], ta, tb), inputs);
    }

    [Test]
    public void MatMul_InnerMismatch_NamesBothShapes()
    {
        var a = Tensor.Zeros(new Shape(32, 3136));
        var b = Tensor.Zeros(new Shape(3137, 512));
        Assert.That(() => Ops.MatMul(a, b), Throws.ArgumentException.With.Message.Contains("[32, 3136]")
            .And.Message.Contains("[3137, 512]").And.Message.Contains("MatMul"));
    }
}
