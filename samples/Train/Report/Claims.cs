using System.Globalization;
using System.Text.Json;
using MoeScratch.Rl.Evaluation;

namespace MoeScratch.Train.Report;

/// <summary>
/// A claim a study tests (<c>report --claims FILE</c>): algorithm X against Y, with what the paper expects.
/// <c>expect</c> is <c>better</c> (X above Y), <c>not-better</c> (X does not gain over Y: P1's "widening the dense layer
/// does not pay") or <c>not-worse</c> (X keeps up with Y: P2's "one scaled expert matches many").
/// </summary>
/// <param name="Text">The claim in words, with its source (paper and section); JSON key "claim".</param>
/// <param name="X">The algorithm the claim is about (a report algorithm name, e.g. <c>minatar-dqn-softmoe4-perconv</c>).</param>
/// <param name="Y">The algorithm it is compared with.</param>
/// <param name="Expect"><c>better</c>, <c>not-better</c> or <c>not-worse</c>.</param>
public sealed record Claim([property: System.Text.Json.Serialization.JsonPropertyName("claim")] string Text, string X, string Y, string Expect)
{
    /// <summary>The expectations a claim may state.</summary>
    public static IReadOnlyList<string> Expectations { get; } = ["better", "not-better", "not-worse"];

    /// <summary>Reads a JSON array of { "claim", "x", "y", "expect" } objects.</summary>
    /// <exception cref="ArgumentException">One line naming the file, the entry and what is expected.</exception>
    public static IReadOnlyList<Claim> Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"--claims: '{path}' does not exist; give a JSON file with an array of {{\"claim\", \"x\", \"y\", \"expect\"}} objects.");
        Claim[]? claims;
        try
        {
            claims = JsonSerializer.Deserialize<Claim[]>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--claims: {path}: {e.Message.Split(" Path: ", 2)[0]} Expected an array of {{\"claim\", \"x\", \"y\", \"expect\"}} objects.", e);
        }
        if (claims is null || claims.Length == 0) throw new ArgumentException($"--claims: {path} holds no claim; expected an array of {{\"claim\", \"x\", \"y\", \"expect\"}} objects.");
        for (int i = 0; i < claims.Length; i++)
        {
            Claim c = claims[i];
            if (string.IsNullOrWhiteSpace(c.X) || string.IsNullOrWhiteSpace(c.Y))
                throw new ArgumentException($"--claims: {path}: entry {i}: 'x' and 'y' must name two algorithms.");
            if (!Expectations.Contains(c.Expect))
                throw new ArgumentException($"--claims: {path}: entry {i}: expect '{c.Expect}' is not one of {string.Join(", ", Expectations)}.");
        }
        return claims;
    }
}

/// <summary>What a group's runs say about one <see cref="Claim"/>.</summary>
/// <param name="Claim">The claim.</param>
/// <param name="Difference">IQM(X) − IQM(Y) with its stratified-bootstrap CI (null when either has no runs).</param>
/// <param name="Improvement">P(X &gt; Y) with its CI (null when either has no runs).</param>
/// <param name="Margin">δ = 10% of |IQM(Y)|: the smallest difference the verdicts count as a gain or a loss.</param>
/// <param name="Verdict">reproduced, contradicted, inconclusive at this budget, or "not run" with the run counts.</param>
public sealed record ClaimResult(Claim Claim, IntervalEstimate? Difference, IntervalEstimate? Improvement, double Margin, string Verdict);

/// <summary>The verdict rules of <see cref="ClaimResult"/>, on the 95% CI [lo, hi] of IQM(X) − IQM(Y).</summary>
public static class ClaimVerdicts
{
    /// <summary>Fraction of |IQM(Y)| below which a difference counts as no difference.</summary>
    public const double MarginFraction = 0.1;

    /// <summary>
    /// <c>better</c>: reproduced when lo &gt; 0, contradicted when hi &lt; 0. <c>not-better</c>: reproduced when
    /// hi &lt; δ (no gain of δ or more is plausible), contradicted when lo &gt; 0. <c>not-worse</c>: reproduced when
    /// lo &gt; −δ, contradicted when hi &lt; −δ. Anything else is inconclusive: the CI is too wide at this budget.
    /// </summary>
    public static string Verdict(string expect, IntervalEstimate diff, double margin) => expect switch
    {
        "better" => diff.Lower > 0 ? "reproduced" : diff.Upper < 0 ? "contradicted" : "inconclusive",
        "not-better" => diff.Upper < margin ? "reproduced" : diff.Lower > 0 ? "contradicted" : "inconclusive",
        "not-worse" => diff.Lower > -margin ? "reproduced" : diff.Upper < -margin ? "contradicted" : "inconclusive",
        _ => throw new ArgumentException($"expect '{expect}' is not one of {string.Join(", ", Claim.Expectations)}."),
    };

    /// <summary>Evaluates a claim on runs × tasks matrices of one group (null matrices: not run).</summary>
    public static ClaimResult Evaluate(Claim claim, double[,]? x, double[,]? y, StratifiedBootstrap bootstrap)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(bootstrap);
        if (x is null || y is null)
        {
            string Runs(double[,]? m) => m is null ? "no complete set of runs" : string.Create(CultureInfo.InvariantCulture, $"{m.GetLength(0)} run(s) per task");
            return new ClaimResult(claim, null, null, double.NaN, $"not run ({claim.X}: {Runs(x)}; {claim.Y}: {Runs(y)})");
        }
        IntervalEstimate diff = bootstrap.Estimate(x, y, (a, b) => Metrics.InterquartileMean(a) - Metrics.InterquartileMean(b));
        IntervalEstimate p = bootstrap.Estimate(x, y, Metrics.ProbabilityOfImprovement);
        double margin = MarginFraction * Math.Abs(Metrics.InterquartileMean(y));
        string verdict = Verdict(claim.Expect, diff, margin);
        if (verdict != "not run" && Math.Min(x.GetLength(0), y.GetLength(0)) < 3) verdict += " (fewer than 3 seeds)";
        return new ClaimResult(claim, diff, p, margin, verdict);
    }
}
