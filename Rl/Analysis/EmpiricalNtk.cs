using System.Globalization;
using MoeScratch.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace MoeScratch.Rl.Analysis;

/// <summary>Summary of an empirical NTK matrix (dopamine's <c>entk_*</c> statistics, P1 Fig. 10).</summary>
/// <param name="RelativeRanks">Number of eNTK singular values with σ/σ_max &gt; t, per threshold t.</param>
/// <param name="DiagonalMean">Mean of the diagonal (per-sample squared gradient norms).</param>
/// <param name="DiagonalStd">Population standard deviation of the diagonal.</param>
/// <param name="OffDiagonalMean">Sum of off-diagonal entries / (B(B − 1)); 0 for B = 1.</param>
/// <param name="PositiveFraction">Fraction of all B² entries (diagonal included) that are &gt; 0.</param>
/// <param name="NegativeFraction">Fraction of all B² entries that are &lt; 0.</param>
public sealed record NtkStatistics(IReadOnlyDictionary<double, int> RelativeRanks, double DiagonalMean, double DiagonalStd,
                                   double OffDiagonalMean, double PositiveFraction, double NegativeFraction);

/// <summary>
/// Empirical neural tangent kernel of the per-sample loss, P1 Fig. 10: J[b, :] = ∂ℓ_b/∂θ over all parameters,
/// eNTK = J·Jᵀ (B × B).
/// </summary>
public static class EmpiricalNtk
{
    /// <summary>
    /// Builds J row by row: for each sample, <paramref name="sampleLoss"/> runs a forward pass and returns that
    /// sample's scalar loss, one Backward() fills the parameters' gradients, and they are copied into row b.
    /// Gradients are zeroed before every sample and left zero-filled afterwards (callers that need the previous
    /// gradients save them first, as <see cref="NetworkProbe"/> does).
    /// </summary>
    /// <remarks>
    /// Rows are stored as float: they are float32 gradients, so double storage would add no information and would
    /// double the B·P memory (≈ 130 MB for B = 32 and a 1M-parameter network). Products are summed in double in
    /// <see cref="Gram"/>. One forward + backward per sample (not B backward passes through one batched graph) keeps
    /// the cost at about one batched training step.
    /// </remarks>
    /// <exception cref="ArgumentException">No parameters, batch ≤ 0, or a loss that is not a single element.</exception>
    public static float[][] Jacobian(IReadOnlyList<Tensor> parameters, int batch, Func<int, Tensor> sampleLoss)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(sampleLoss);
        if (parameters.Count == 0 || batch <= 0)
        {
            throw new ArgumentException($"EmpiricalNtk.Jacobian: need ≥ 1 parameter and batch > 0, got {parameters.Count} " +
                                        $"parameters and batch {batch}.");
        }
        long total = parameters.Sum(p => (long)p.Count);
        if (total > int.MaxValue) throw new ArgumentException($"EmpiricalNtk.Jacobian: {total} parameters do not fit one row.");
        var rows = new float[batch][];
        for (int b = 0; b < batch; b++)
        {
            ZeroGrads(parameters);
            using (TensorScope.Begin())
            {
                var loss = sampleLoss(b);
                if (loss.Count != 1)
                {
                    throw new ArgumentException($"EmpiricalNtk.Jacobian: the loss of sample {b} is {loss.Shape}; return one " +
                                                "scalar per sample (reduce with Ops.Sum over that sample's terms).");
                }
                loss.Backward();
            }
            var row = new float[total];
            int offset = 0;
            foreach (var p in parameters)
            {
                // A parameter the loss does not reach (e.g. noise σ in eval mode) has no gradient: its columns stay 0.
                if (p.Grad is { } g)
                {
                    // Straight into the row when the gradient owns exactly its storage: no temporary array per parameter and sample.
                    if (g.Storage.Length == g.Count) g.Backend.Download(g.Storage, row.AsSpan(offset, g.Count));
                    else g.ToArray().CopyTo(row, offset);
                }
                offset += p.Count;
            }
            rows[b] = row;
        }
        ZeroGrads(parameters);
        return rows;
    }

    /// <summary>K = J·Jᵀ in double for Jacobian rows of equal length (B × B, symmetric).</summary>
    /// <exception cref="ArgumentException">No rows, or rows of different lengths.</exception>
    public static double[,] Gram(IReadOnlyList<float[]> jacobianRows)
    {
        ArgumentNullException.ThrowIfNull(jacobianRows);
        int b = jacobianRows.Count;
        if (b == 0) throw new ArgumentException("EmpiricalNtk.Gram: no Jacobian rows.");
        int p = jacobianRows[0].Length;
        if (jacobianRows.Any(r => r.Length != p))
        {
            throw new ArgumentException($"EmpiricalNtk.Gram: every row needs {p} entries (one per parameter scalar).");
        }
        var k = new double[b, b];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = ChunkedDot(jacobianRows[i], jacobianRows[j]);
                k[i, j] = s;
                k[j, i] = s;
            }
        }
        return k;
    }

    /// <summary>
    /// x·y with SIMD float dot products over chunks of <see cref="Chunk"/> entries, summed in double: float rounding
    /// stays within one chunk (relative error ≲ 1e-5 on a chunk, independent of P), at SIMD speed. For P = 2M and
    /// B = 32 this is ~1 G multiply-adds per kernel.
    /// </summary>
    internal static double ChunkedDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double s = 0;
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int len = Math.Min(Chunk, x.Length - start);
            s += TP.Dot(x.Slice(start, len), y.Slice(start, len));
        }
        return s;
    }

    private const int Chunk = 1024;

    /// <summary>Dopamine's eNTK statistics (P1 Fig. 10) of a square kernel matrix.</summary>
    /// <exception cref="ArgumentException">The matrix is not square.</exception>
    public static NtkStatistics Statistics(double[,] ntk, IReadOnlyList<double>? thresholds = null)
    {
        ArgumentNullException.ThrowIfNull(ntk);
        int b = ntk.GetLength(0);
        if (b == 0 || ntk.GetLength(1) != b)
        {
            throw new ArgumentException($"EmpiricalNtk.Statistics: the kernel must be a non-empty square B × B matrix, got " +
                                        $"{b} × {ntk.GetLength(1)}.");
        }
        var sigma = SingularValues.Compute(ntk);
        var ranks = new Dictionary<double, int>();
        foreach (double t in thresholds ?? FeatureStatistics.DopamineThresholds) ranks[t] = FeatureStatistics.RelativeRank(sigma, t);

        double diagSum = 0, diagSq = 0, offSum = 0;
        int positive = 0, negative = 0;
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < b; j++)
            {
                double v = ntk[i, j];
                if (v > 0) positive++;
                else if (v < 0) negative++;
                if (i == j)
                {
                    diagSum += v;
                    diagSq += v * v;
                }
                else
                {
                    offSum += v;
                }
            }
        }
        double diagMean = diagSum / b;
        double diagStd = Math.Sqrt(Math.Max(0, diagSq / b - diagMean * diagMean));
        double offMean = b > 1 ? offSum / ((double)b * (b - 1)) : 0;
        double cells = (double)b * b;
        return new NtkStatistics(ranks, diagMean, diagStd, offMean, positive / cells, negative / cells);
    }

    /// <summary>Formats a threshold for a tag ("0", "0.001", "0.01").</summary>
    internal static string Tag(double t) => t.ToString(CultureInfo.InvariantCulture);

    private static void ZeroGrads(IReadOnlyList<Tensor> parameters)
    {
        foreach (var p in parameters)
        {
            if (p.Grad is { } g) g.Backend.Fill(g, 0f);
        }
    }
}
