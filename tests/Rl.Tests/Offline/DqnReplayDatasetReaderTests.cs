using MoeScratch.Rl.Offline;
using static MoeScratch.Rl.Tests.Offline.NpyTestFiles;

namespace MoeScratch.Rl.Tests.Offline;

public class DqnReplayDatasetReaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => System.IO.Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "dqnrd-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => System.IO.Directory.Delete(_dir, true);

    private void WriteArray(string name, int ckpt, byte[] npy) =>
        File.WriteAllBytes(Path.Combine(_dir, $"$store$_{name}_ckpt.{ckpt}.gz"), Gzip(npy));

    private void WriteCheckpoint(int ckpt, int n, int rewardCount = -1)
    {
        WriteArray("observation", ckpt, Npy("|u1", $"({n}, 3, 4)", [.. Enumerable.Range(0, n * 12).Select(i => (byte)i)]));
        WriteArray("action", ckpt, Npy("<i4", $"({n},)", Bytes(Enumerable.Range(0, n).Select(i => i % 3).ToArray())));
        int r = rewardCount < 0 ? n : rewardCount;
        WriteArray("reward", ckpt, Npy("<f4", $"({r},)", Bytes(Enumerable.Range(0, r).Select(i => i * 0.5f).ToArray())));
        WriteArray("terminal", ckpt, Npy("|u1", $"({n},)", [.. Enumerable.Range(0, n).Select(i => (byte)(i == n - 1 ? 1 : 0))]));
    }

    [Test]
    public void Open_ReadsAllFourArrays()
    {
        WriteCheckpoint(50, 5);
        Assert.That(DqnReplayDatasetReader.FileName("observation", 50), Is.EqualTo("$store$_observation_ckpt.50.gz"));
        var r = DqnReplayDatasetReader.Open(_dir, 50);
        Assert.That(r.Count, Is.EqualTo(5));
        Assert.That(r.ObservationShape, Is.EqualTo(new long[] { 3, 4 }));
        Assert.That(r.ReadActions(), Is.EqualTo(new[] { 0, 1, 2, 0, 1 }));
        Assert.That(r.ReadRewards(), Is.EqualTo(new[] { 0f, 0.5f, 1f, 1.5f, 2f }));
        Assert.That(r.ReadTerminals(), Is.EqualTo(new byte[] { 0, 0, 0, 0, 1 }));
        Assert.That(r.ReadObservations()[59], Is.EqualTo(59));
    }

    [Test]
    public void StreamObservations_DeliversFramesInOrder()
    {
        WriteCheckpoint(1, 5);
        var chunks = new List<byte[]>();
        DqnReplayDatasetReader.Open(_dir, 1).StreamObservations(c => chunks.Add(c.ToArray()), framesPerChunk: 2);
        Assert.That(chunks.Select(c => c.Length), Is.EqualTo(new[] { 24, 24, 12 }));
        Assert.That(chunks.SelectMany(c => c), Is.EqualTo(Enumerable.Range(0, 60).Select(i => (byte)i)));
    }

    [Test]
    public void Open_MissingFile_NamesIt()
    {
        WriteCheckpoint(3, 4);
        File.Delete(Path.Combine(_dir, "$store$_terminal_ckpt.3.gz"));
        var ex = Assert.Throws<FileNotFoundException>(() => DqnReplayDatasetReader.Open(_dir, 3));
        Assert.That(ex!.Message, Does.Contain("$store$_terminal_ckpt.3.gz").And.Contain("incomplete"));
    }

    [Test]
    public void Open_LengthMismatch_NamesFileAndExpectation()
    {
        WriteCheckpoint(7, 5, rewardCount: 4);
        var ex = Assert.Throws<InvalidDataException>(() => DqnReplayDatasetReader.Open(_dir, 7));
        Assert.That(ex!.Message, Does.Contain("$store$_reward_ckpt.7.gz").And.Contain("expected shape (5,)").And.Contain("found (4,)"));
    }

    [Test]
    public void Open_WrongDtype_NamesFile()
    {
        WriteCheckpoint(2, 3);
        WriteArray("reward", 2, Npy("<i4", "(3,)", new byte[12]));
        var ex = Assert.Throws<InvalidDataException>(() => DqnReplayDatasetReader.Open(_dir, 2));
        Assert.That(ex!.Message, Does.Contain("$store$_reward_ckpt.2.gz").And.Contain("Float32"));
    }

    [Test]
    public void Read_TruncatedGzip_NamesFile()
    {
        WriteCheckpoint(4, 50);
        string obs = Path.Combine(_dir, "$store$_observation_ckpt.4.gz");
        byte[] gz = File.ReadAllBytes(obs);
        File.WriteAllBytes(obs, gz[..^20]);
        var r = DqnReplayDatasetReader.Open(_dir, 4); // the header is still intact
        var ex = Assert.Throws<InvalidDataException>(() => r.ReadObservations());
        Assert.That(ex!.Message, Does.Contain("$store$_observation_ckpt.4.gz"));
    }

    [Test]
    public void AvailableCheckpoints_OnlyCompleteOnes()
    {
        WriteCheckpoint(10, 2);
        WriteCheckpoint(2, 2);
        WriteCheckpoint(11, 2);
        File.Delete(Path.Combine(_dir, "$store$_action_ckpt.11.gz"));
        Assert.That(DqnReplayDatasetReader.AvailableCheckpoints(_dir), Is.EqualTo(new[] { 2, 10 }));
    }
}
