using MoeScratch.Rl.Offline;
using static MoeScratch.Rl.Tests.Offline.NpyTestFiles;

namespace MoeScratch.Rl.Tests.Offline;

public class NpyReaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => System.IO.Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "npy-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => System.IO.Directory.Delete(_dir, true);

    private string Write(string name, byte[] bytes)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Test]
    public void Header_NumpyV1Layout_IsParsed()
    {
        // np.save of np.arange(3, dtype='<i4'): 10-byte prefix, header length 0x76, 128 bytes before the data.
        byte[] npy = Npy("<i4", "(3,)", Bytes(new[] { 0, 1, 2 }));
        Assert.That(npy[8..10], Is.EqualTo(new byte[] { 0x76, 0x00 }));
        Assert.That(npy, Has.Length.EqualTo(128 + 12));
        var (h, data) = NpyReader.ReadFile(Write("a.npy", npy));
        Assert.That(h.DType, Is.EqualTo(NpyDType.Int32));
        Assert.That(h.Shape, Is.EqualTo(new long[] { 3 }));
        Assert.That(data, Is.EqualTo(Bytes(new[] { 0, 1, 2 })));
    }

    [TestCase(2)]
    [TestCase(3)]
    public void Header_V2AndV3_AreParsed(int major)
    {
        var (h, data) = NpyReader.ReadFile(Write("b.npy", Npy("<f4", "(2, 2)", Bytes(new[] { 1f, 2f, 3f, 4f }), major)));
        Assert.That(h.Shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(h.DType, Is.EqualTo(NpyDType.Float32));
        Assert.That(data, Has.Length.EqualTo(16));
    }

    [TestCase("|u1", NpyDType.UInt8)]
    [TestCase("<u1", NpyDType.UInt8)]
    [TestCase("<i8", NpyDType.Int64)]
    [TestCase("|b1", NpyDType.Bool)]
    public void ParseHeader_SupportedDtypes(string descr, NpyDType expected) =>
        Assert.That(NpyReader.ParseHeader($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (), }}", "x").DType, Is.EqualTo(expected));

    [Test]
    public void ParseHeader_ScalarAndPython2LongShapes()
    {
        Assert.That(NpyReader.ParseHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", "x").ElementCount, Is.EqualTo(1));
        Assert.That(NpyReader.ParseHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (10L, 84L, 84L), }", "x").Shape,
            Is.EqualTo(new long[] { 10, 84, 84 }));
    }

    [Test]
    public void FortranOrder_IsRejectedClearly()
    {
        string p = Write("f.npy", Npy("<i4", "(2, 2)", new byte[16], fortran: true));
        var ex = Assert.Throws<InvalidDataException>(() => NpyReader.ReadFile(p));
        Assert.That(ex!.Message, Does.Contain("f.npy").And.Contain("Fortran"));
    }

    [Test]
    public void BigEndianDtype_IsRejectedClearly()
    {
        var ex = Assert.Throws<InvalidDataException>(() => NpyReader.ParseHeader("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }", "be.npy"));
        Assert.That(ex!.Message, Does.Contain("be.npy").And.Contain("'>i4'"));
    }

    [Test]
    public void BadMagic_IsRejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => NpyReader.ReadFile(Write("m.npy", new byte[32])));
        Assert.That(ex!.Message, Does.Contain("not an NPY file"));
    }

    [Test]
    public void Gzipped_RoundTripAndTruncation()
    {
        byte[] raw = Npy("|u1", "(4, 3)", [.. Enumerable.Range(0, 12).Select(i => (byte)i)]);
        string ok = Write("ok.npy.gz", Gzip(raw));
        Assert.That(NpyReader.ReadFile(ok).Data, Is.EqualTo(raw[^12..]));

        string cutRaw = Write("short.npy.gz", Gzip(raw[..^5]));
        var ex = Assert.Throws<InvalidDataException>(() => NpyReader.ReadFile(cutRaw));
        Assert.That(ex!.Message, Does.Contain("short.npy.gz").And.Contain("12 data bytes").And.Contain("truncated"));

        byte[] gz = Gzip(raw);
        string cutGz = Write("cutgz.npy.gz", gz[..(gz.Length / 2)]);
        ex = Assert.Throws<InvalidDataException>(() => NpyReader.ReadFile(cutGz));
        Assert.That(ex!.Message, Does.Contain("cutgz.npy.gz"));
    }

    [Test]
    public void TrailingData_IsRejected()
    {
        byte[] raw = Npy("|u1", "(2,)", [1, 2, 3]);
        var ex = Assert.Throws<InvalidDataException>(() => NpyReader.ReadFile(Write("t.npy", raw)));
        Assert.That(ex!.Message, Does.Contain("unexpected bytes"));
    }
}
