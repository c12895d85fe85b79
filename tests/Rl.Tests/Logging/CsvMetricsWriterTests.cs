using System.Globalization;
using MoeScratch.Rl.Logging;

namespace MoeScratch.Rl.Tests.Logging;

public class CsvMetricsWriterTests
{
    private string _path = "";

    [SetUp]
    public void SetUp() => _path = Path.Combine(Path.GetTempPath(), "csv-" + Guid.NewGuid().ToString("N"), "metrics.csv");

    [TearDown]
    public void TearDown() => Directory.Delete(Path.GetDirectoryName(_path)!, true);

    [Test]
    public void WriteRow_UsesInvariantRoundTripFormatting()
    {
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE"); // decimal comma must not leak into the file
        try
        {
            using (var w = new CsvMetricsWriter(_path, ["step", "loss", "note"]))
                w.WriteRow(1000L, 0.1 + 0.2, "a,\"b\"");
        }
        finally { CultureInfo.CurrentCulture = saved; }
        string[] lines = File.ReadAllLines(_path);
        Assert.That(lines, Is.EqualTo(new[] { "step,loss,note", "1000,0.30000000000000004,\"a,\"\"b\"\"\"" }));
        Assert.That(double.Parse(lines[1].Split(',')[1], CultureInfo.InvariantCulture), Is.EqualTo(0.1 + 0.2));
    }

    [Test]
    public void Append_KeepsHeaderAndTruncatesToCheckpointRows()
    {
        using (var w = new CsvMetricsWriter(_path, ["step", "return"]))
            for (int i = 0; i < 5; i++) w.WriteRow(i, i * 1.5f);
        using (var w = new CsvMetricsWriter(_path, ["step", "return"], append: true, keepRows: 3))
        {
            Assert.That(w.RowCount, Is.EqualTo(3));
            w.WriteRow(3, -1f);
        }
        Assert.That(File.ReadAllLines(_path), Is.EqualTo(new[] { "step,return", "0,0", "1,1.5", "2,3", "3,-1" }));
    }

    [Test]
    public void Append_DropsAHalfWrittenLastRow_ThroughATempFile()
    {
        using (var w = new CsvMetricsWriter(_path, ["step", "return"]))
            for (int i = 0; i < 3; i++) w.WriteRow(i, 1.0);
        File.AppendAllText(_path, "3,0.12"); // a process killed mid-row
        using (var w = new CsvMetricsWriter(_path, ["step", "return"], append: true, keepRows: 3)) w.WriteRow(3, 2.0);
        Assert.That(File.ReadAllLines(_path), Is.EqualTo(new[] { "step,return", "0,1", "1,1", "2,1", "3,2" }));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(_path)!), Has.Length.EqualTo(1), "no temp file is left behind");
    }

    [Test]
    public void Append_HeaderMismatch_Throws()
    {
        using (var w = new CsvMetricsWriter(_path, ["step", "return"])) w.WriteRow(0, 1.0);
        var ex = Assert.Throws<InvalidOperationException>(() => new CsvMetricsWriter(_path, ["step", "loss"], append: true));
        Assert.That(ex!.Message, Does.Contain("step,return"));
    }

    [Test]
    public void WriteRow_WrongArity_Throws()
    {
        using var w = new CsvMetricsWriter(_path, ["a", "b"]);
        Assert.Throws<ArgumentException>(() => w.WriteRow(1));
    }
}
