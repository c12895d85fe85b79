using MoeScratch.Ale.Roms;
using MoeScratch.Ale.Tests.TestUtil;

namespace MoeScratch.Ale.Tests;

public class RomTableTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"moescratch-romtable-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void EmbeddedTableHasAle108RomsAndKnownMd5s()
    {
        Assert.That(RomTable.Ale.Count, Is.EqualTo(108));
        Assert.That(RomTable.Ale.ExpectedMd5("tetris"), Is.EqualTo("b0e1ee07fbc73493eac5651a52f90f00"));
        Assert.That(RomTable.Ale.ExpectedMd5("breakout"), Is.EqualTo("f34f08e5eb96e500e851a80be3277a56"));
        Assert.That(RomTable.Ale.IdForMd5("60E0EA3CBE0913D39803477945E9E5EC"), Is.EqualTo("pong"));
    }

    [Test]
    public void MissingFileIsRejectedNamingTheGameAndItsMd5()
    {
        string path = Path.Combine(_dir, "breakout.bin");
        Assert.That(() => RomTable.Ale.Validate(path),
            Throws.TypeOf<FileNotFoundException>()
                .With.Message.Contains(path)
                .And.Message.Contains("'breakout'")
                .And.Message.Contains("f34f08e5eb96e500e851a80be3277a56"));
    }

    [Test]
    public void EmptyPathIsRejected()
    {
        Assert.That(() => RomTable.Ale.Validate(" "), Throws.ArgumentException);
    }

    [Test]
    public void UnknownRomIsRejectedWithItsMd5()
    {
        // ALE tests: random bytes stand in for ALE's random.bin "unsupported ROM" test.
        string path = NativeUnderTest.WriteRom(_dir, "random.bin", seed: 7);
        string md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(path)));
        Assert.That(() => RomTable.Ale.Validate(path),
            Throws.ArgumentException.With.Message.Contains(md5).And.Message.Contains("not in ALE's supported table"));
    }

    [Test]
    public void WrongDumpUnderAKnownNameSaysWhichMd5WasExpected()
    {
        string path = NativeUnderTest.WriteRom(_dir, "pong.bin", seed: 8);
        Assert.That(() => RomTable.Ale.Validate(path),
            Throws.ArgumentException.With.Message.Contains("60e0ea3cbe0913d39803477945e9e5ec"));
    }

    [Test]
    public void CustomTableAcceptsItsRomAndLegacyModeRequiresTheCanonicalName()
    {
        string path = NativeUnderTest.WriteRom(_dir, "game.bin", seed: 9);
        var table = NativeUnderTest.TableFor(path);
        RomInfo info = table.Validate(path);
        Assert.That(info.Id, Is.EqualTo("game"));

        string renamed = Path.Combine(_dir, "Other.v2.bin");
        File.Copy(path, renamed);
        Assert.That(table.Validate(renamed).Id, Is.EqualTo("game"));
        Assert.That(() => table.Validate(renamed, requireCanonicalName: true),
            Throws.ArgumentException.With.Message.Contains("rename or copy it to 'game.bin'"));
    }

    [Test]
    public void SharedTetrisRomIsRecognised()
    {
        string? tetris = NativeUnderTest.FindRom("tetris.bin");
        if (tetris is null)
        {
            Assert.Ignore("tetris.bin not found (set MOESCRATCH_ROMS or place the shared folder above the repository).");
        }

        RomInfo info = RomTable.Ale.Validate(tetris);
        Assert.That(info.Id, Is.EqualTo("tetris"));
        Assert.That(info.Md5, Is.EqualTo("b0e1ee07fbc73493eac5651a52f90f00"));
    }
}
