using ScottPlot;
using MoeScratch.Train.Report;

namespace MoeScratch.Train.Plotting;

/// <summary>
/// PNG plots through ScottPlot 5 (headless). The default font is pinned to DejaVu Sans because
/// ScottPlot's detection picks DejaVu Serif on Debian; where DejaVu is absent, Skia falls back to its default face.
/// </summary>
public static class Plots
{
    private const int Width = 900, Height = 560;

    static Plots() => Fonts.Default = "DejaVu Sans";

    /// <summary>A run's learning curve with the random policy's mean return as a dashed reference line.</summary>
    public static void LearningCurve(string path, double[] steps, double[] returns, double? randomReturn, string title)
    {
        var plt = new Plot();
        var finite = Enumerable.Range(0, steps.Length).Where(i => double.IsFinite(returns[i])).ToArray();
        if (finite.Length > 0)
        {
            var line = plt.Add.Scatter(finite.Select(i => steps[i]).ToArray(), finite.Select(i => returns[i]).ToArray());
            line.LegendText = "training return (binned mean)";
            line.LineWidth = 2;
        }
        if (randomReturn is { } r)
        {
            var h = plt.Add.HorizontalLine(r);
            h.LinePattern = LinePattern.Dashed;
            h.LegendText = "random policy";
        }
        plt.Title(title);
        plt.XLabel("training steps");
        plt.YLabel("episode return");
        plt.ShowLegend(Alignment.UpperLeft);
        plt.SavePng(path, Width, Height);
    }

    /// <summary>IQM per algorithm as bars with the 95 % CI as a whisker.</summary>
    public static void AggregateBars(string path, GroupReport g)
    {
        var plt = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < g.Aggregates.Count; i++)
        {
            AlgorithmAggregate a = g.Aggregates[i];
            var bar = new Bar { Position = i, Value = a.Iqm.Point, FillColor = palette.GetColor(i) };
            plt.Add.Bars(new[] { bar });
            var whisker = plt.Add.Line(i, a.Iqm.Lower, i, a.Iqm.Upper);
            whisker.LineWidth = 3;
            whisker.LineColor = Colors.Black;
        }
        plt.Axes.Bottom.SetTicks(Enumerable.Range(0, g.Aggregates.Count).Select(i => (double)i).ToArray(),
                                 g.Aggregates.Select(a => a.Algorithm).ToArray());
        plt.Axes.Margins(bottom: 0);
        plt.Title($"{g.Name}: IQM with 95% CI");
        plt.YLabel($"IQM {ScoreUnit(g)}");
        plt.SavePng(path, Width, Height);
    }

    /// <summary>Performance profiles: fraction of runs scoring above τ, with CI bands.</summary>
    public static void Profiles(string path, GroupReport g)
    {
        var plt = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < g.Profiles.Count; i++)
        {
            Profile p = g.Profiles[i];
            Color c = palette.GetColor(i);
            var band = plt.Add.FillY(p.Taus, p.Fractions.Select(f => f.Lower).ToArray(), p.Fractions.Select(f => f.Upper).ToArray());
            band.FillColor = c.WithAlpha(0.2);
            band.LineWidth = 0;
            var line = plt.Add.ScatterLine(p.Taus, p.Fractions.Select(f => f.Point).ToArray());
            line.Color = c;
            line.LineWidth = 2;
            line.LegendText = p.Algorithm;
        }
        plt.Title($"{g.Name}: performance profiles");
        plt.XLabel($"{ScoreUnit(g)} τ");
        plt.YLabel("fraction of runs with score > τ");
        plt.ShowLegend(Alignment.UpperRight);
        plt.SavePng(path, Width, Height);
    }

    /// <summary>Sample-efficiency curves: IQM over runs×tasks against training steps, with CI bands.</summary>
    public static void EfficiencyCurves(string path, GroupReport g)
    {
        var plt = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < g.Curves.Count; i++)
        {
            EfficiencyCurve cv = g.Curves[i];
            Color c = palette.GetColor(i);
            if (cv.Steps.Length > 1)
            {
                var band = plt.Add.FillY(cv.Steps, cv.Iqm.Select(f => f.Lower).ToArray(), cv.Iqm.Select(f => f.Upper).ToArray());
                band.FillColor = c.WithAlpha(0.2);
                band.LineWidth = 0;
            }
            var line = plt.Add.Scatter(cv.Steps, cv.Iqm.Select(f => f.Point).ToArray());
            line.Color = c;
            line.LineWidth = 2;
            line.LegendText = cv.Algorithm;
        }
        plt.Title($"{g.Name}: sample efficiency (IQM, 95% CI)");
        plt.XLabel("training steps");
        plt.YLabel($"IQM {ScoreUnit(g)}");
        plt.ShowLegend(Alignment.UpperLeft);
        plt.SavePng(path, Width, Height);
    }

    /// <summary>
    /// One game's learning curves: per algorithm, the mean over seeds of the runs' curve points at each step, with a
    /// band from the lowest to the highest seed (raw returns, the game's own unit).
    /// </summary>
    public static void GameCurves(string path, string task, IReadOnlyList<CurvePoint> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var plt = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var alg in curves.Where(c => c.Task == task).GroupBy(c => c.Algorithm).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var at = alg.GroupBy(c => c.Step).OrderBy(g => g.Key).ToList();
            double[] xs = [.. at.Select(g => g.Key)];
            Color c = palette.GetColor(i++);
            if (xs.Length > 1)
            {
                var band = plt.Add.FillY(xs, [.. at.Select(g => g.Min(p => p.Score))], [.. at.Select(g => g.Max(p => p.Score))]);
                band.FillColor = c.WithAlpha(0.2);
                band.LineWidth = 0;
            }
            var line = plt.Add.Scatter(xs, at.Select(g => g.Average(p => p.Score)).ToArray());
            line.Color = c;
            line.LineWidth = 2;
            int seeds = alg.Select(p => p.Seed).Distinct().Count();
            line.LegendText = $"{alg.Key} ({seeds} seed{(seeds == 1 ? "" : "s")})";
        }
        plt.Title($"{task}: mean training return over seeds (band: lowest to highest seed)");
        plt.XLabel("training steps");
        plt.YLabel("return");
        plt.ShowLegend(Alignment.UpperLeft);
        plt.SavePng(path, Width, Height);
    }

    // The axis unit: human-normalised (Atari), relative to a reference algorithm (report --normalize-by), or raw.
    private static string ScoreUnit(GroupReport g) =>
        !g.Normalized ? "return" : g.Name == "atari" ? "human-normalised score" : "score relative to the reference";
}
