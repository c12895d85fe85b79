namespace MoeScratch.Rl.Analysis;

/// <summary>
/// Singular values of a small dense real matrix, for the rank probes of P1 Fig. 10 (feature srank, eNTK rank).
/// </summary>
/// <remarks>
/// <para>
/// Method: one-sided Jacobi (Hestenes 1958) in double precision. Plane rotations are applied to pairs of columns until
/// every pair is orthogonal to within <c>m·ε·‖u_p‖‖u_q‖</c> (m = column length, ε = 2⁻⁵²: the worst-case rounding
/// error of a length-m dot product, so the stopping test is always attainable); the singular values are then the column
/// norms.
/// The matrix is transposed first when it is wider than tall, so the rotated columns are the short dimension
/// (a 32 × 3872 feature matrix costs 32²/2 column pairs of length 3872 per sweep, not 3872²/2).
/// </para>
/// <para>
/// Why not the eigenvalues of AᵀA: forming AᵀA squares the condition number, so singular values below
/// ~1e-8·σ_max are lost in rounding, and the rank thresholds go down to t = 0.001 on σ/σ_max (and srank's
/// 1 − δ cumulative mass depends on the small ones). One-sided Jacobi computes every singular value to high
/// <em>relative</em> accuracy (Demmel &amp; Veselić 1992): the tests reproduce hand-computed values to 1e-12.
/// Cost is O(sweeps · n² · m) with typically 5–10 sweeps; ample for B ≤ 32 batches.
/// </para>
/// </remarks>
public static class SingularValues
{
    /// <summary>Sweep limit; convergence normally takes 5–10 sweeps (quadratic once the columns are nearly orthogonal).</summary>
    internal const int MaxSweeps = 80;

    /// <summary>Singular values of <paramref name="a"/> (rows × cols), sorted descending; min(rows, cols) of them.</summary>
    /// <exception cref="ArgumentException">The matrix is empty or holds NaN/∞.</exception>
    public static double[] Compute(double[,] a)
    {
        ArgumentNullException.ThrowIfNull(a);
        int rows = a.GetLength(0), cols = a.GetLength(1);
        var data = new double[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) data[i * cols + j] = a[i, j];
        }
        return Compute(data, rows, cols);
    }

    /// <summary>Singular values of a row-major <paramref name="rows"/> × <paramref name="cols"/> matrix, descending.</summary>
    /// <exception cref="ArgumentException">The sizes do not match the data, the matrix is empty, or it holds NaN/∞.</exception>
    public static double[] Compute(ReadOnlySpan<double> rowMajor, int rows, int cols) => Compute(rowMajor, rows, cols, out _);

    /// <summary>As <see cref="Compute(ReadOnlySpan{double}, int, int)"/>, also reporting the sweeps used (tests).</summary>
    internal static double[] Compute(ReadOnlySpan<double> rowMajor, int rows, int cols, out int sweeps)
    {
        if (rows <= 0 || cols <= 0 || (long)rows * cols != rowMajor.Length)
        {
            throw new ArgumentException($"SingularValues: a {rows} × {cols} matrix needs {(long)rows * cols} values, got " +
                                        $"{rowMajor.Length}; pass positive sizes matching the data.");
        }
        foreach (double v in rowMajor)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"SingularValues: the matrix holds {v}; singular values need finite entries " +
                                           "(check the network output for divergence).");
            }
        }
        // Columns of the working matrix are the short dimension: n ≤ m.
        bool transpose = cols > rows;
        int m = transpose ? cols : rows, n = transpose ? rows : cols;
        var u = new double[n][];
        for (int j = 0; j < n; j++)
        {
            var col = new double[m];
            for (int i = 0; i < m; i++) col[i] = transpose ? rowMajor[j * cols + i] : rowMajor[i * cols + j];
            u[j] = col;
        }
        sweeps = Orthogonalize(u, m * Math.Pow(2, -52));
        var sigma = new double[n];
        for (int j = 0; j < n; j++) sigma[j] = Math.Sqrt(Dot(u[j], u[j]));
        Array.Sort(sigma, (x, y) => y.CompareTo(x));
        return sigma;
    }

    /// <summary>Singular values of a float matrix [rows, cols] given row-major (e.g. a feature tensor's data).</summary>
    public static double[] Compute(ReadOnlySpan<float> rowMajor, int rows, int cols)
    {
        var d = new double[rowMajor.Length];
        for (int i = 0; i < d.Length; i++) d[i] = rowMajor[i];
        return Compute(d, rows, cols);
    }

    // Hestenes' cyclic sweeps. Each rotation zeroes the inner product of columns p and q:
    // ζ = (β − α)/(2γ), t = sign(ζ)/(|ζ| + √(1 + ζ²)), c = 1/√(1 + t²), s = c·t (Golub & Van Loan §8.6.4).
    private static int Orthogonalize(double[][] u, double tolerance)
    {
        int n = u.Length;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double alpha = Dot(u[p], u[p]), beta = Dot(u[q], u[q]), gamma = Dot(u[p], u[q]);
                    if (gamma == 0 || Math.Abs(gamma) <= tolerance * Math.Sqrt(alpha * beta)) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.Sign(zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    if (zeta == 0) t = 1;
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    var up = u[p];
                    var uq = u[q];
                    for (int i = 0; i < up.Length; i++)
                    {
                        double x = up[i], y = uq[i];
                        up[i] = c * x - s * y;
                        uq[i] = s * x + c * y;
                    }
                }
            }
            if (!rotated) return sweep + 1;
        }
        // Not converged in MaxSweeps: the column norms are still a close approximation (each sweep only shrinks the
        // off-diagonal mass), so the caller gets them rather than an exception in the middle of training.
        return MaxSweeps;
    }

    private static double Dot(double[] x, double[] y)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}
