using System.Text;
using MoeScratch.Rl.Logging;

namespace MoeScratch.Rl.Tests.Logging;

public class TensorBoardWriterTests
{
    private const string FileVersionProto = "0900000040FC54D9411A0D627261696E2E4576656E743A32";
    private const string FileVersionRecord = "1800000000000000A37F4B22" + FileVersionProto + "ECED8F9D";
    private const string ScalarProto = "0900006040FC54D94110E8072A130A110A0A747261696E2F6C6F7373150000803E";
    private const string ScalarRecord = "2100000000000000017BECF6" + ScalarProto + "1782980D";

    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "tb-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    [Test]
    public void Crc32C_StandardVector()
    {
        Assert.That(Crc32C.Compute("123456789"u8), Is.EqualTo(0xE3069283u));
        Assert.That(Crc32C.ComputeMasked("123456789"u8), Is.EqualTo(0xC78AB0E5u));
    }

    [Test]
    public void Crc32C_MatchesBitwiseReference()
    {
        var data = new byte[1000];
        new Random(5).NextBytes(data);
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        Assert.That(Crc32C.Compute(data), Is.EqualTo(~crc));
    }

    [Test]
    public void Events_GoldenProtoAndRecords()
    {
        byte[] v = TensorBoardEvents.FileVersionEvent(1700000000.0);
        byte[] s = TensorBoardEvents.ScalarEvent(1700000001.5, 1000, "train/loss", 0.25f);
        Assert.That(Convert.ToHexString(v), Is.EqualTo(FileVersionProto));
        Assert.That(Convert.ToHexString(s), Is.EqualTo(ScalarProto));
        Assert.That(Convert.ToHexString(TensorBoardEvents.Frame(v)), Is.EqualTo(FileVersionRecord));
        Assert.That(Convert.ToHexString(TensorBoardEvents.Frame(s)), Is.EqualTo(ScalarRecord));
    }

    [Test]
    public void TextAndImageEvents_HandEncodedWireBytes()
    {
        // Value{tag="h/text_summary", tensor{dtype=DT_STRING(7), tensor_shape{dim{size=1}}, string_val="x"},
        //       metadata{plugin_data{plugin_name="text"}}} inside Summary inside Event.summary (field 5).
        Assert.That(Convert.ToHexString(TensorBoardEvents.TextEvent(0, 0, "h", "x")), Is.EqualTo(
            "2A29" + "0A27" + "0A0E682F746578745F73756D6D617279" + "420B" + "0807" + "120412020801" + "420178" + "4A080A060A0474657874"));
        // Value{tag="i", image{height=2, width=3, colorspace=1, encoded_image_string=AB}}.
        Assert.That(Convert.ToHexString(TensorBoardEvents.ImageEvent(0, 0, "i", [0xAB], 2, 3, TensorBoardEvents.Colorspace.Grayscale)),
            Is.EqualTo("2A10" + "0A0E" + "0A0169" + "2209" + "0802" + "1003" + "1801" + "2201AB"));
    }

    [Test]
    public void Writer_WithInjectedClock_ProducesGoldenFile()
    {
        var times = new Queue<double>([1700000000.0, 1700000001.5]);
        string path;
        using (var w = new TensorBoardWriter(_dir, () => times.Dequeue(), flushInterval: TimeSpan.Zero))
        {
            path = w.FilePath;
            w.AddScalar("train/loss", 0.25f, 1000);
        }
        string name = Path.GetFileName(path);
        Assert.That(name, Does.StartWith($"events.out.tfevents.1700000000.{Environment.MachineName}.{Environment.ProcessId}."));
        Assert.That(Convert.ToHexString(File.ReadAllBytes(path)), Is.EqualTo(FileVersionRecord + ScalarRecord));
    }

    [Test]
    public void Reader_ReturnsScalarsTextImageAndSessionLogRecords()
    {
        string path;
        using (var w = new TensorBoardWriter(_dir, () => 1700000000.25))
        {
            path = w.FilePath;
            w.AddHyperparameters([new("lr", "6.25e-05"), new("gamma", "0.99")]);
            w.AddScalar("eval/return", 21f, 250_000);
            w.AddImage("eval/video", GifEncoder.EncodeGrayscale([new byte[4]], 2, 2), 2, 2, TensorBoardEvents.Colorspace.Grayscale, 250_000);
            w.AddSessionStart(200_000);
            w.AddScalar("eval/return", 0f, 3_000_000_000L);
            w.Flush();
            Assert.That(EventFileReader.ReadScalars(path), Has.Count.EqualTo(2), "flushed data is readable while open");
        }
        Assert.That(EventFileReader.ReadFileVersion(path), Is.EqualTo("brain.Event:2"));
        Assert.That(EventFileReader.ReadScalars(path), Is.EqualTo(new[]
        {
            new ScalarEvent("eval/return", 250_000, 21f, 1700000000.25),
            new ScalarEvent("eval/return", 3_000_000_000L, 0f, 1700000000.25),
        }));
        var records = EventFileReader.ReadRecords(path);
        Assert.That(records, Has.Count.EqualTo(6));
        string text = Encoding.UTF8.GetString(records[1]);
        Assert.That(text, Does.Contain("hparams/text_summary").And.Contain("| lr | 6.25e-05 |").And.Contain("text"));
        Assert.That(Encoding.ASCII.GetString(records[3]), Does.Contain("GIF89a"));
        // Event{wall_time, step=200000 (varint C09A0C), session_log{status=START}}.
        Assert.That(Convert.ToHexString(records[4]), Does.EndWith("10C09A0C3A020801"));
    }

    [Test]
    public void Reader_CorruptedOrTruncatedRecord_Throws()
    {
        string path = Path.Combine(_dir, "events.out.tfevents.test");
        Directory.CreateDirectory(_dir);
        byte[] good = Convert.FromHexString(FileVersionRecord + ScalarRecord);
        var flipped = (byte[])good.Clone();
        flipped[good.Length - 10] ^= 0x40;
        File.WriteAllBytes(path, flipped);
        var ex = Assert.Throws<InvalidDataException>(() => EventFileReader.ReadRecords(path));
        Assert.That(ex!.Message, Does.Contain(path).And.Contain("data CRC mismatch").And.Contain("byte 40"));

        File.WriteAllBytes(path, good[..^3]);
        Assert.Throws<InvalidDataException>(() => EventFileReader.ReadRecords(path));
        Assert.That(EventFileReader.ReadRecords(path, allowTruncatedTail: true), Has.Count.EqualTo(1));
    }
}
