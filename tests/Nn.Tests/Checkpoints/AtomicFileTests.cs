using MoeScratch.Nn.Checkpoints;

namespace MoeScratch.Nn.Tests.Checkpoints;

public class AtomicFileTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "atomic-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public void Write_ReplacesFileAndLeavesNoTemp()
    {
        string p = Path.Combine(_dir, "latest");
        AtomicFile.WriteAllText(p, "one");
        AtomicFile.WriteAllText(p, "two");
        Assert.That(File.ReadAllText(p), Is.EqualTo("two"));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    [Test]
    public void Write_CrashInsideWriter_LeavesPreviousFileIntact()
    {
        string p = Path.Combine(_dir, "model.safetensors");
        AtomicFile.WriteAllBytes(p, [1, 2, 3]);
        Assert.Throws<IOException>(() => AtomicFile.Write(p, s =>
        {
            s.Write([9, 9, 9, 9, 9]);
            throw new IOException("simulated crash");
        }));
        Assert.That(File.ReadAllBytes(p), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    private string WriteCheckpoint(string name, byte payload)
    {
        string target = Path.Combine(_dir, name);
        AtomicDirectory.Write(target, w =>
        {
            w.WriteFile("model.safetensors", SafeTensors.Serialize([SafeTensorEntry.FromFloats("w", [2], [payload, 2f])]));
            w.WriteFile("replay.bin", Enumerable.Range(0, 100).Select(i => (byte)(i + payload)).ToArray());
        }, new System.Text.Json.Nodes.JsonObject { ["step"] = 1000 });
        return target;
    }

    [Test]
    public void Directory_WriteAndVerify_RoundTripsManifest()
    {
        string ckpt = WriteCheckpoint("ckpt-1000", 1);
        var m = CheckpointManifest.LoadAndVerify(ckpt);
        Assert.That(m.Files.Select(f => f.Name), Is.EqualTo(new[] { "model.safetensors", "replay.bin" }));
        Assert.That(m.Files[1].Length, Is.EqualTo(100));
        Assert.That(m.Extra!["step"]!.GetValue<int>(), Is.EqualTo(1000));
        Assert.That(Directory.GetDirectories(_dir), Has.Length.EqualTo(1));
    }

    [Test]
    public void Verify_FlippedByte_NamesTheFile()
    {
        string ckpt = WriteCheckpoint("ckpt-1", 1);
        string replay = Path.Combine(ckpt, "replay.bin");
        var b = File.ReadAllBytes(replay);
        b[50] ^= 1;
        File.WriteAllBytes(replay, b);
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointManifest.LoadAndVerify(ckpt));
        Assert.That(ex!.Message, Does.Contain("replay.bin").And.Contain("corrupted"));
    }

    [Test]
    public void Verify_Truncated_NamesTheFile()
    {
        string ckpt = WriteCheckpoint("ckpt-1", 1);
        string model = Path.Combine(ckpt, "model.safetensors");
        File.WriteAllBytes(model, File.ReadAllBytes(model)[..^4]);
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointManifest.LoadAndVerify(ckpt));
        Assert.That(ex!.Message, Does.Contain("model.safetensors").And.Contain("truncated"));
    }

    [Test]
    public void Directory_CrashMidWrite_KeepsPreviousCheckpointAndCleansUp()
    {
        string ckpt = WriteCheckpoint("ckpt", 1);
        byte[] before = File.ReadAllBytes(Path.Combine(ckpt, "replay.bin"));
        Assert.Throws<InvalidOperationException>(() => AtomicDirectory.Write(ckpt, w =>
        {
            w.WriteFile("replay.bin", new byte[10]);
            throw new InvalidOperationException("simulated crash");
        }));
        Assert.That(File.ReadAllBytes(Path.Combine(ckpt, "replay.bin")), Is.EqualTo(before));
        Assert.That(CheckpointManifest.LoadAndVerify(ckpt).Files, Has.Count.EqualTo(2));
        Assert.That(Directory.GetDirectories(_dir), Has.Length.EqualTo(1));
    }

    [Test]
    public void Directory_Overwrite_ReplacesWholeCheckpoint()
    {
        string ckpt = WriteCheckpoint("ckpt", 1);
        WriteCheckpoint("ckpt", 7);
        CheckpointManifest.LoadAndVerify(ckpt);
        Assert.That(File.ReadAllBytes(Path.Combine(ckpt, "replay.bin"))[0], Is.EqualTo(7));
        Assert.That(Directory.GetDirectories(_dir), Has.Length.EqualTo(1));
    }

    [Test]
    public void CleanupLeftovers_RemovesTempDirsAndFiles()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "ckpt-5.tmp-abc"));
        File.WriteAllText(Path.Combine(_dir, "latest.tmp-def"), "x");
        WriteCheckpoint("ckpt-1", 1);
        Assert.That(AtomicFile.CleanupLeftovers(_dir), Is.EqualTo(2));
        Assert.That(Directory.GetDirectories(_dir).Select(Path.GetFileName), Is.EqualTo(new[] { "ckpt-1" }));
    }

    [Test]
    public void Verify_MalformedManifest_NamesIt()
    {
        string ckpt = WriteCheckpoint("ckpt-2", 1);
        File.WriteAllText(Path.Combine(ckpt, CheckpointManifest.FileName), "{\"format_version\":1,\"files\":[{\"name\":\"x\"}]}");
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointManifest.LoadAndVerify(ckpt));
        Assert.That(ex!.Message, Does.Contain("manifest.json").And.Contain("'length'"));
    }

    [Test]
    public void Verify_MissingManifest_SaysIncomplete()
    {
        string d = Path.Combine(_dir, "half");
        Directory.CreateDirectory(d);
        var ex = Assert.Throws<InvalidDataException>(() => CheckpointManifest.LoadAndVerify(d));
        Assert.That(ex!.Message, Does.Contain("manifest.json"));
    }
}
