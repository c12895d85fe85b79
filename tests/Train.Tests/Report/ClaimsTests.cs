using System.Globalization;
using MoeScratch.Rl.Evaluation;
using MoeScratch.Train.Report;

namespace MoeScratch.Train.Tests.Report;

/// <summary>
/// The study's report tools (issue 19): claims with verdicts, scores normalised by a reference algorithm, and
/// scores.csv read back as an input.
/// </summary>
[NonParallelizable]
public class ClaimsTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "moescratch-claims-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("better", 0.5, 1.0, "reproduced")]
    [TestCase("better", -1.0, -0.5, "contradicted")]
    [TestCase("better", -0.5, 1.0, "inconclusive")]
    [TestCase("not-better", -1.0, 0.05, "reproduced")]
    [TestCase("not-better", 0.01, 1.0, "contradicted")]
    [TestCase("not-better", -0.5, 0.5, "inconclusive")]
    [TestCase("not-worse", -0.05, 1.0, "reproduced")]
    [TestCase("not-worse", -1.0, -0.2, "contradicted")]
    [TestCase("not-worse", -0.5, 0.5, "inconclusive")]
    public void Verdicts_FollowTheCiOfTheIqmDifference(string expect, double lower, double upper, string verdict) =>
        Assert.That(ClaimVerdicts.Verdict(expect, new IntervalEstimate((lower + upper) / 2, lower, upper), margin: 0.1), Is.EqualTo(verdict));

    private string Csv(string name, params string[] rows)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllLines(path, ["algorithm,task,seed,score", .. rows]);
        return path;
    }

    private static string[] Rows(string algorithm, double breakout, double invaders) =>
    [
        .. Enumerable.Range(0, 3).Select(s => string.Create(CultureInfo.InvariantCulture, $"{algorithm},minatar-breakout,{s},{breakout + 0.1 * s}")),
        .. Enumerable.Range(0, 3).Select(s => string.Create(CultureInfo.InvariantCulture, $"{algorithm},minatar-space_invaders,{s},{invaders + s}")),
    ];

    [Test]
    public void Report_WithClaims_ShowsTheDifferenceAndAVerdictPerClaim_AndNotRunForMissingAlgorithms()
    {
        string csv = Csv("scores.csv", [.. Rows("big", 20, 60), .. Rows("small", 10, 30)]);
        string claims = Path.Combine(_dir, "claims.json");
        File.WriteAllText(claims, """
            [ { "claim": "big beats small", "x": "big", "y": "small", "expect": "better" },
              { "claim": "small beats big", "x": "small", "y": "big", "expect": "better" },
              { "claim": "absent keeps up", "x": "absent", "y": "small", "expect": "not-worse" } ]
            """);
        string md = ReportCommand.Run([csv], Path.Combine(_dir, "report"), replicates: 200, seed: 0, lastEpisodes: null, out var groups,
                                      normalizeBy: "small", claims: Claim.Load(claims));
        var results = groups.Single().Claims!;
        Assert.That(results.Select(r => r.Verdict), Is.EqualTo(new[]
        {
            "reproduced", "contradicted", "not run (absent: no complete set of runs; small: 3 run(s) per task)",
        }));
        // Normalised by small's mean on each game: big is 2x small everywhere, so IQM(big) − IQM(small) is about 1.
        Assert.That(results[0].Difference!.Value.Point, Is.EqualTo(1.0).Within(0.05));
        Assert.That(md, Does.Contain("## Claims").And.Contain("| big beats small | minatar | big vs small | better |"));
        Assert.That(md, Does.Contain("returns divided by small's mean return on the same task"));
    }

    [Test]
    public void NormalizeBy_DividesEachTaskByTheReferenceMean_AndNamesAMissingReference()
    {
        ScoreSet set = ScoreSet.Load([Csv("s.csv", [.. Rows("a", 10, 30), .. Rows("b", 5, 60)])]);
        ScoreSet norm = set.NormalizeBy("a");
        Assert.That(norm.NormalizedBy, Is.EqualTo("a"));
        Assert.That(norm.Scores.Where(r => r.Algorithm == "a" && r.Task == "minatar-breakout").Average(r => r.Score), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(norm.Scores.Single(r => r.Algorithm == "b" && r.Task == "minatar-space_invaders" && r.Seed == 0).Score, Is.EqualTo(60 / 31.0).Within(1e-12));
        var e = Assert.Throws<ArgumentException>(() => set.NormalizeBy("c"))!;
        Assert.That(e.Message, Does.StartWith("--normalize-by: 'c' has no run on").And.Contain("algorithms: a, b"));
    }

    [Test]
    public void ScoresCsv_ReadsBack_AsScoresAndPerIterationCurves()
    {
        string path = Path.Combine(_dir, ScoresCsv.FileName);
        File.WriteAllLines(path,
        [
            "preset,env,network,seed,steps,score,train_return_0,train_return_1,train_return_2",
            "minatar-dqn,minatar-breakout,baseline,0,300,3.5,1,2,3.5",
            "minatar-dqn,minatar-breakout,baseline-x4,0,200,2.5,1,2.5,",
        ]);
        ScoreSet set = ScoreSet.Load([path]);
        Assert.That(set.Scores.Select(r => (r.Algorithm, r.Score)), Is.EqualTo(new[] { ("minatar-dqn-baseline", 3.5), ("minatar-dqn-baseline-x4", 2.5) }));
        var wide = set.Curves.Where(c => c.Algorithm == "minatar-dqn-baseline-x4").ToList();
        Assert.That(wide.Select(c => c.Step), Is.EqualTo(new[] { 100.0, 200.0 }), "a 2-iteration run of 200 steps: points at 100 and 200");
        Assert.That(set.Curves.Where(c => c.Algorithm == "minatar-dqn-baseline").Select(c => c.Score), Is.EqualTo(new[] { 1.0, 2.0, 3.5 }));
    }

    [Test]
    public void AReportOfScoresCsv_IntoItsOwnFolder_LeavesTheInputAlone()
    {
        string path = Path.Combine(_dir, ScoresCsv.FileName);
        string[] lines = ["preset,env,network,seed,steps,score,train_return_0", "minatar-dqn,minatar-breakout,baseline,0,100,3.5,3.5"];
        File.WriteAllLines(path, lines);
        ReportCommand.Run([path], _dir, replicates: 50, seed: 0, lastEpisodes: null, out _);
        Assert.That(File.ReadAllLines(path), Is.EqualTo(lines));
        Assert.That(File.Exists(Path.Combine(_dir, "curves_minatar-breakout.png")), "a learning-curve plot per game");
    }

    [Test]
    public void Claims_WithAnUnknownExpectation_AreRefusedNamingTheChoices()
    {
        string path = Path.Combine(_dir, "c.json");
        File.WriteAllText(path, """[ { "claim": "c", "x": "a", "y": "b", "expect": "bigger" } ]""");
        var e = Assert.Throws<ArgumentException>(() => Claim.Load(path))!;
        Assert.That(e.Message, Is.EqualTo($"--claims: {path}: entry 0: expect 'bigger' is not one of better, not-better, not-worse."));
    }
}
