using System.Buffers.Binary;
using MoeScratch.Nn.Checkpoints;

namespace MoeScratch.Nn.Tests.Checkpoints;

public class SafeTensorsTests
{
    // safetensors golden file: w = [1.0, 2.0] with metadata {"format":"pt"}; header 85 bytes + 3 spaces.
    private const string GoldenHex =
        "5800000000000000" +
        "7B225F5F6D657461646174615F5F223A7B22666F726D6174223A227074227D2C2277223A7B226474797065223A22463332222C227368617065223A5B325D2C22646174615F6F666673657473223A5B302C385D7D7D" +
        "202020" + "0000803F00000040";

    private static readonly Dictionary<string, string> Pt = new() { ["format"] = "pt" };

    [Test]
    public void Serialize_GoldenFile_IsByteIdentical()
    {
        byte[] bytes = SafeTensors.Serialize([SafeTensorEntry.FromFloats("w", [2], [1f, 2f])], Pt);
        Assert.That(bytes, Has.Length.EqualTo(8 + 88 + 8)); // length prefix + padded header + two floats
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo(GoldenHex));
    }

    [Test]
    public void Deserialize_GoldenFile_GivesTensorAndMetadata()
    {
        var file = SafeTensors.Deserialize(Convert.FromHexString(GoldenHex), "golden");
        Assert.That(file.Metadata!["format"], Is.EqualTo("pt"));
        Assert.That(file["w"].Shape, Is.EqualTo(new[] { 2 }));
        Assert.That(file["w"].ToFloats(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void Serialize_SortsByDtypeRankDescendingThenName()
    {
        var entries = new[]
        {
            new SafeTensorEntry("a_u8", SafeTensorDType.U8, [3], [1, 2, 3]),
            new SafeTensorEntry("b_i32", SafeTensorDType.I32, [1], new byte[4]),
            new SafeTensorEntry("c_f32", SafeTensorDType.F32, [1], new byte[4]),
            new SafeTensorEntry("d_i64", SafeTensorDType.I64, [], new byte[8]),
            new SafeTensorEntry("e_f16", SafeTensorDType.F16, [2], new byte[4]),
            new SafeTensorEntry("a_f32", SafeTensorDType.F32, [0, 5], []),
        };
        byte[] bytes = SafeTensors.Serialize(entries);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.Zero);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, n).TrimEnd(' ');
        Assert.That(header, Is.EqualTo(
            "{\"d_i64\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"a_f32\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[8,8]}," +
            "\"c_f32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}," +
            "\"b_i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[12,16]}," +
            "\"e_f16\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]}," +
            "\"a_u8\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[20,23]}}"));
        Assert.That(bytes, Has.Length.EqualTo(8 + n + 23));
    }

    [Test]
    public void SaveLoad_RoundTripsAllDtypes()
    {
        var rng = new Random(1);
        var entries = new List<SafeTensorEntry>();
        foreach (var dt in Enum.GetValues<SafeTensorDType>())
        {
            var data = new byte[6 * SafeTensorDTypes.SizeOf(dt)];
            rng.NextBytes(data);
            entries.Add(new SafeTensorEntry("encoder.t_" + dt, dt, [2, 3], data));
        }
        string dir = Path.Combine(Path.GetTempPath(), "st-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(dir, "model.safetensors");
            SafeTensors.Save(path, entries, Pt);
            var file = SafeTensors.Load(path);
            Assert.That(file.Entries, Has.Count.EqualTo(entries.Count));
            foreach (var e in entries)
            {
                Assert.That(file[e.Name].DType, Is.EqualTo(e.DType));
                Assert.That(file[e.Name].Shape, Is.EqualTo(e.Shape));
                Assert.That(file[e.Name].Data, Is.EqualTo(e.Data));
            }
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temp files left behind");
        }
        finally { Directory.Delete(dir, true); }
    }

    private static byte[] Golden() => Convert.FromHexString(GoldenHex);

    private static byte[] WithHeader(string json, int dataBytes)
    {
        var h = System.Text.Encoding.UTF8.GetBytes(json);
        var b = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    private static void AssertRejected(byte[] bytes, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, "bad.safetensors"));
        Assert.That(ex!.Message, Does.Contain("bad.safetensors").And.Contain(fragment));
    }

    [Test]
    public void Deserialize_Truncated_IsRejected()
    {
        AssertRejected(Golden()[..103], "ends at byte 8 of a 7-byte data buffer");
        AssertRejected(Golden()[..50], "runs past the end");
        AssertRejected(Golden()[..5], "shorter than the 8-byte");
    }

    [Test]
    public void Deserialize_TrailingBytes_IsRejected() =>
        AssertRejected([.. Golden(), 0], "no trailing bytes");

    [Test]
    public void Deserialize_FlippedHeaderStart_IsRejected()
    {
        var b = Golden();
        b[8] ^= 0xFF;
        AssertRejected(b, "does not start with '{'");
    }

    [Test]
    public void Deserialize_HugeHeaderLength_IsRejected()
    {
        var b = Golden();
        BinaryPrimitives.WriteUInt64LittleEndian(b, 100_000_001UL);
        AssertRejected(b, "exceeds");
    }

    [Test]
    public void Deserialize_OverlappingOffsets_IsRejected() =>
        AssertRejected(WithHeader(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
            "InvalidOffset");

    [Test]
    public void Deserialize_HoleAtStart_IsRejected() =>
        AssertRejected(WithHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4), "contiguous from 0");

    [Test]
    public void Deserialize_EmptyAndScalarTensors_AreAccepted()
    {
        var file = SafeTensors.Deserialize(SafeTensors.Serialize(
            [new SafeTensorEntry("empty", SafeTensorDType.F32, [0, 3], []), SafeTensorEntry.FromFloats("s", [], [5f])]));
        Assert.That(file["empty"].ElementCount, Is.Zero);
        Assert.That(file["s"].ToFloats(), Is.EqualTo(new[] { 5f }));
        Assert.That(file.Metadata, Is.Null);
    }

    [Test]
    public void Deserialize_SizeMismatch_IsRejected() =>
        AssertRejected(WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "TensorInvalidInfo");

    [Test]
    public void Deserialize_DuplicateKey_IsRejected() =>
        AssertRejected(WithHeader(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2),
            "duplicate key 'a'");

    [Test]
    public void Deserialize_InvalidJson_IsRejected() =>
        AssertRejected(WithHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_off", 0), "bad.safetensors");

    [Test]
    public void Deserialize_UnsupportedDtype_IsRejected() =>
        AssertRejected(WithHeader("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "F64");

    [Test]
    public void Entry_WrongByteCount_Throws() =>
        Assert.Throws<ArgumentException>(() => _ = new SafeTensorEntry("x", SafeTensorDType.F32, [3], new byte[8]));
}
