using MoeScratch.Rl.Agents;
using MoeScratch.Tensors;

namespace MoeScratch.Rl.Tests.Agents;

public class CategoricalProjectionTests
{
    private static readonly float[] Z = [-2f, -1f, 0f, 1f, 2f]; // Δz = 1

    private static float[] Project(float[] p, float reward, float discount)
    {
        var target = new float[Z.Length];
        CategoricalProjection.Project(Z, p, [reward], [discount], target);
        return target;
    }

    [Test]
    public void RewardBetweenAtoms_HandWorked()
    {
        // r = 0.5, d = 0.5: T̂z = [−0.5, 0, 0.5, 1, 1.5]. Masses 0.1, 0.2, 0.3, 0.2, 0.2 split as
        // −0.5 → ½ to −1, ½ to 0; 0 → 0; 0.5 → ½ to 0, ½ to 1; 1 → 1; 1.5 → ½ to 1, ½ to 2.
        float[] m = Project([0.1f, 0.2f, 0.3f, 0.2f, 0.2f], 0.5f, 0.5f);
        Assert.That(m, Is.EqualTo(new[] { 0f, 0.05f, 0.4f, 0.45f, 0.1f }).Within(1e-6f).AsCollection);
    }

    [Test]
    public void Terminal_PutsAllMassAroundTheReward()
    {
        float[] m = Project([0.1f, 0.2f, 0.3f, 0.2f, 0.2f], 0.3f, 0f);
        Assert.That(m, Is.EqualTo(new[] { 0f, 0f, 0.7f, 0.3f, 0f }).Within(1e-6f).AsCollection);
    }

    [Test]
    public void OutOfRange_ClipsToTheEdges()
    {
        // r = 3, d = 1: T̂z = [1, 2, 3, 4, 5] → clipped [1, 2, 2, 2, 2].
        float[] high = Project([0.1f, 0.2f, 0.3f, 0.2f, 0.2f], 3f, 1f);
        Assert.That(high, Is.EqualTo(new[] { 0f, 0f, 0f, 0.1f, 0.9f }).Within(1e-6f).AsCollection);
        float[] low = Project([0.1f, 0.2f, 0.3f, 0.2f, 0.2f], -5f, 0.9f);
        Assert.That(low, Is.EqualTo(new[] { 1f, 0f, 0f, 0f, 0f }).Within(1e-6f).AsCollection);
    }

    [Test]
    public void RandomBatch_RowsSumToOne_AndMatchFloorCeilForm()
    {
        float[] z = CategoricalProjection.Support(51, 10f);
        int b = 16, n = z.Length;
        var rng = new Rng(7);
        var p = new float[b * n];
        var rewards = new float[b];
        var discounts = new float[b];
        for (int row = 0; row < b; row++)
        {
            float sum = 0;
            for (int j = 0; j < n; j++) sum += p[row * n + j] = rng.NextFloat() + 1e-3f;
            for (int j = 0; j < n; j++) p[row * n + j] /= sum;
            rewards[row] = (float)(rng.NextDouble() * 8 - 4);
            discounts[row] = row % 4 == 0 ? 0f : 0.970299f; // terminal, or γ³ with γ = 0.99
        }
        (rewards[0], discounts[0]) = (0.8f, 0f); // terminal, lands exactly on atom 27 (the l = u case)
        (rewards[1], discounts[1]) = (0.4f, 1f); // every atom shifted by one Δz
        var target = new float[b * n];
        CategoricalProjection.Project(z, p, rewards, discounts, target);
        for (int row = 0; row < b; row++)
        {
            Assert.That(target.AsSpan(row * n, n).ToArray().Sum(), Is.EqualTo(1f).Within(1e-5f), $"row {row}");
            float[] expected = FloorCeil(z, p.AsSpan(row * n, n), rewards[row], discounts[row]);
            Assert.That(target.AsSpan(row * n, n).ToArray(), Is.EqualTo(expected).Within(1e-5f).AsCollection, $"row {row}");
        }
    }

    /// <summary>Independent oracle: the floor/ceil form of Algorithm 1 (Bellemare et al. 2017), with l = u handled.</summary>
    private static float[] FloorCeil(float[] z, ReadOnlySpan<float> p, float r, float d)
    {
        int n = z.Length;
        double vMin = z[0], vMax = z[^1], dz = (vMax - vMin) / (n - 1);
        var m = new double[n];
        for (int j = 0; j < n; j++)
        {
            double tz = Math.Clamp(r + (double)d * z[j], vMin, vMax);
            double bj = (tz - vMin) / dz;
            int l = (int)Math.Floor(bj), u = (int)Math.Ceiling(bj);
            if (l == u) m[l] += p[j];
            else
            {
                m[l] += p[j] * (u - bj);
                m[u] += p[j] * (bj - l);
            }
        }
        return m.Select(v => (float)v).ToArray();
    }

    [Test]
    public void Support_IsDopaminesLinspace()
    {
        float[] z = CategoricalProjection.Support();
        Assert.That(z, Has.Length.EqualTo(51));
        Assert.That(z[0], Is.EqualTo(-10f));
        Assert.That(z[25], Is.EqualTo(0f));
        Assert.That(z[50], Is.EqualTo(10f));
        Assert.That(z[1] - z[0], Is.EqualTo(0.4f).Within(1e-6f));
    }

    [Test]
    public void BadArguments_Throw()
    {
        var t = new float[5];
        Assert.That(() => CategoricalProjection.Project([0f], [1f], [0f], [0f], new float[1]), Throws.ArgumentException);
        Assert.That(() => CategoricalProjection.Project(Z, new float[4], [0f], [0f], t), Throws.ArgumentException.With.Message.Contains("5 values"));
        Assert.That(() => CategoricalProjection.Project([-2f, -1f, 1f, 0f, 2f], new float[5], [0f], [0f], t),
            Throws.ArgumentException.With.Message.Contains("evenly spaced"));
    }
}
