using MoeScratch.Train.Training;

namespace MoeScratch.Train.Tests.Training;

public class MetricsCsvTests
{
    [Test]
    public void Curve_BinsTrainingEpisodesAndCarriesValuesForward()
    {
        EpisodeRow[] rows =
        [
            new("train", 0, 10, 1, 10), new("train", 0, 20, 3, 10), new("eval", 0, 20, 100, 10), new("train", 1, 90, 5, 70),
        ];
        var (xs, ys) = MetricsCsv.Curve(rows, 100, 4);
        Assert.That(xs, Is.EqualTo(new[] { 25.0, 50, 75, 100 }));
        Assert.That(ys, Is.EqualTo(new[] { 2.0, 2, 2, 5 }));
        Assert.That(MetricsCsv.RecentMean(rows, 2), Is.EqualTo(4));
    }

    [Test]
    public void Read_NamesFileLineAndColumnOfABadNumber()
    {
        string path = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, [string.Join(",", MetricsCsv.Columns), "train,0,0,10,abc,10,,0.5,100,1"]);
        try
        {
            Assert.That(() => MetricsCsv.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains(":2: column 'return'"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
