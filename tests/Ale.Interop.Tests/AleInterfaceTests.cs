using MoeScratch.Ale.Native;
using MoeScratch.Ale.Roms;
using MoeScratch.Ale.Tests.TestUtil;

namespace MoeScratch.Ale.Tests;

/// <summary>The P/Invoke layer against the test-double library (tests/Ale.Interop.Tests/native/fake_ale.c).</summary>
public class AleInterfaceTests
{
    private string _dir = "";
    private string _rom = "";
    private string _corruptRom = "";
    private RomTable _table = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        NativeUnderTest.RequireFake();
        _dir = Path.Combine(Path.GetTempPath(), $"moescratch-ale-iface-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        _rom = NativeUnderTest.WriteRom(_dir, "fakegame.bin", seed: 1);
        _corruptRom = NativeUnderTest.WriteRom(_dir, "corrupt.bin", seed: 2, prefix: "FAIL");
        _table = NativeUnderTest.TableFor(_rom, _corruptRom);
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (_dir.Length > 0)
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test]
    public void SettingsRoundTripThroughMarshalling()
    {
        using var ale = new AleInterface();
        ale.SetInt("random_seed", 1234);
        ale.SetFloat("repeat_action_probability", 0.125f);
        ale.SetBool("color_averaging", true);
        Assert.That(ale.GetInt("random_seed"), Is.EqualTo(1234));
        Assert.That(ale.GetFloat("repeat_action_probability"), Is.EqualTo(0.125f));
        Assert.That(ale.GetBool("color_averaging"), Is.True);
        Assert.That(ale.IsLegacy, Is.False);
        Assert.That(ale.Version, Is.EqualTo("fake-1"));
    }

    [Test]
    public void NativeErrorsBecomeAleExceptionsWithTheNativeMessage()
    {
        using var ale = new AleInterface();
        Assert.That(() => ale.SetInt("no_such_key", 1),
            Throws.TypeOf<AleException>().With.Message.Contains("setInt('no_such_key')").And.Message.Contains("unknown key 'no_such_key'"));
        Assert.That(() => ale.SetFloat("repeat_action_probability", 2f),
            Throws.TypeOf<AleException>().With.Property(nameof(AleException.NativeMessage)).Contains("[0, 1]"));
        // The channel is cleared after a report: the next good call succeeds.
        Assert.That(() => ale.SetInt("random_seed", 3), Throws.Nothing);
    }

    [Test]
    public void RomGuardRunsBeforeNativeLoadRom()
    {
        using var ale = new AleInterface();
        int before = NativeUnderTest.FakeLoadCount();
        Assert.That(() => ale.LoadRom(Path.Combine(_dir, "missing.bin"), _table), Throws.TypeOf<FileNotFoundException>());
        string unknown = NativeUnderTest.WriteRom(_dir, "unknown.bin", seed: 3);
        Assert.That(() => ale.LoadRom(unknown, _table), Throws.ArgumentException);
        Assert.That(() => ale.LoadRom(unknown), Throws.ArgumentException.With.Message.Contains("not in ALE's supported table"));
        Assert.That(NativeUnderTest.FakeLoadCount(), Is.EqualTo(before), "a rejected ROM must never reach native loadROM");
    }

    [Test]
    public void LoadRomErrorFromNativeCodeIsReported()
    {
        using var ale = new AleInterface();
        Assert.That(() => ale.LoadRom(_corruptRom, _table),
            Throws.TypeOf<AleException>().With.Message.Contains("corrupt ROM"));
        Assert.That(ale.Rom, Is.Null);
    }

    [Test]
    public void GameQueriesActionSetsAndScreensAreMarshalled()
    {
        using var ale = new AleInterface();
        RomInfo rom = ale.LoadRom(_rom, _table);
        Assert.That(rom.Id, Is.EqualTo("fakegame"));
        Assert.That(ale.MinimalActionSet(), Is.EqualTo(new[] { 0, 1, 3, 4 }));
        Assert.That(ale.LegalActionSet(), Is.EqualTo(Enumerable.Range(0, 18).ToArray()));
        Assert.That((ale.ScreenHeight, ale.ScreenWidth), Is.EqualTo((210, 160)));
        Assert.That(ale.Lives, Is.EqualTo(3));

        Assert.That(ale.Act(1), Is.EqualTo(1));
        Assert.That(ale.Act(3), Is.Zero);
        Assert.That(ale.Act(3), Is.Zero);
        Assert.That((ale.FrameNumber, ale.EpisodeFrameNumber), Is.EqualTo((3, 3)));

        var gray = new byte[210 * 160];
        ale.GetScreenGrayscale(gray);
        Assert.That(gray[0], Is.EqualTo(3), "pixel (0,0) carries the episode frame");
        Assert.That(gray[(105 * 160) + 1], Is.Zero);
        Assert.That(gray[(105 * 160) + 2], Is.EqualTo(200), "the block moved two columns right");
        Assert.That(gray[(105 * 160) + 9], Is.EqualTo(200));
        Assert.That(gray[(105 * 160) + 10], Is.Zero);

        var rgb = new byte[210 * 160 * 3];
        ale.GetScreenRgb(rgb);
        Assert.That(rgb[((105 * 160) + 2) * 3 + 2], Is.EqualTo(200));
        Assert.That(() => ale.GetScreenGrayscale(new byte[10]), Throws.ArgumentException.With.Message.Contains("33600"));

        ale.ResetGame();
        Assert.That(ale.EpisodeFrameNumber, Is.Zero);
        Assert.That(ale.GameOver, Is.False);
    }

    [Test]
    public void TruncationIsSeparatedFromTermination()
    {
        using var ale = new AleInterface();
        ale.SetInt("max_num_frames_per_episode", 5);
        ale.LoadRom(_rom, _table);
        for (int i = 0; i < 5; i++)
        {
            ale.Act(0);
        }

        Assert.That((ale.GameOver, ale.IsTerminated, ale.IsTruncated), Is.EqualTo((true, false, true)));
    }

    [Test]
    public void LibraryCannotBeRepointedOnceLoaded()
    {
        Assert.That(AleLibrary.IsLoaded, Is.True);
        Assert.That(() => AleLibrary.Configure(Path.Combine(_dir, "other.so")),
            Throws.InvalidOperationException.With.Message.Contains("already loaded"));
        Assert.That(AleLibrary.BuildHint, Does.Contain("cmake -S Ale.Interop/native").And.Contain(AleLibrary.PathVariable));
    }
}
