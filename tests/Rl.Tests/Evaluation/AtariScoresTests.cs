using MoeScratch.Rl.Evaluation;

namespace MoeScratch.Rl.Tests.Evaluation;

public class AtariScoresTests
{
    [Test]
    public void Normalize_HumanIsOneRandomIsZero()
    {
        Assert.That(AtariScores.Normalize("Pong", 14.6), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(AtariScores.Normalize("Pong", -20.7), Is.EqualTo(0.0).Within(1e-12));
        // Breakout: (30.5 + 28.8 − 1.7) / 28.8 = 2.
        Assert.That(AtariScores.Normalize("Breakout", 1.7 + 2 * 28.8), Is.EqualTo(2.0).Within(1e-12));
        Assert.That(AtariScores.Normalize("Skiing", -4336.9), Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void Table_HasAllGamesOfPapersSection10()
    {
        Assert.That(AtariScores.Games, Has.Count.EqualTo(55));
        string[] twenty = ["Asterix", "Asteroids", "Bowling", "Breakout", "DemonAttack", "Freeway", "Gravitar", "Jamesbond",
            "MontezumaRevenge", "MsPacman", "Pong", "PrivateEye", "Qbert", "Seaquest", "SpaceInvaders", "Venture", "WizardOfWor",
            "YarsRevenge", "Zaxxon"];
        foreach (string g in twenty) Assert.That(AtariScores.TryGet(g, out _), Is.True, g);
        Assert.That(AtariScores.TryGet("VideoPinball", out var vp) && vp.Random == 0.0, Is.True);
    }

    [Test]
    public void Normalize_AirRaid_ExplainsMissingReference()
    {
        var ex = Assert.Throws<ArgumentException>(() => AtariScores.Normalize("AirRaid", 1000));
        Assert.That(ex!.Message, Does.Contain("no human/random reference"));
        Assert.Throws<ArgumentException>(() => AtariScores.Normalize("Pongg", 0));
    }

    [Test]
    public void NormalizeMatrix_AppliesPerColumnGame()
    {
        var m = AtariScores.Normalize(["Pong", "Freeway"], new double[,] { { 14.6, 14.8 }, { -20.7, 0 } });
        Assert.That(m, Is.EqualTo(new double[,] { { 1, 0.5 }, { 0, 0 } }).Within(1e-12));
    }
}
