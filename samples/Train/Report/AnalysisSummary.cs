using System.Globalization;
using System.Text;
using MoeScratch.Train.Config;

namespace MoeScratch.Train.Report;

/// <summary>One algorithm's value of one probe at the end of training, over its runs.</summary>
/// <param name="Mean">Mean over the runs.</param>
/// <param name="Min">Smallest run value.</param>
/// <param name="Max">Largest run value.</param>
/// <param name="Runs">Runs that logged the probe.</param>
public sealed record ProbeSpread(double Mean, double Min, double Max, int Runs);

/// <summary>
/// The network analyses of P1 §5 (dormant neurons, srank, feature and eNTK rank) at the end of training, per
/// algorithm: each finished run's last probe of each tag in its <c>analysis.csv</c> (the trainer's probes between
/// iterations), summarised over the algorithm's runs on all tasks. A report of score CSVs alone has none.
/// </summary>
public static class AnalysisSummary
{
    /// <summary>The probes tabulated, as (analysis.csv tag, column heading).</summary>
    public static readonly IReadOnlyList<(string Tag, string Heading)> Columns =
    [
        ("analysis/dormant_fraction", "dormant fraction (ReDo, τ of the run)"),
        ("analysis/srank", "srank (δ = 0.01)"),
        ("analysis/feature_rank_0.01", "feature rank (0.01)"),
        ("analysis/entk_rank_0.01", "eNTK rank (0.01)"),
    ];

    /// <summary>
    /// Per algorithm (sorted) and tabulated tag: the spread of the runs' last probe values. Runs without an
    /// analysis.csv (probes off) are skipped; a malformed file is an error naming it.
    /// </summary>
    /// <exception cref="InvalidDataException">An analysis.csv line is not <c>total_steps,tag,value</c>.</exception>
    public static SortedDictionary<string, Dictionary<string, ProbeSpread>> Load(IEnumerable<RunEntry> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var values = new Dictionary<string, Dictionary<string, List<double>>>(StringComparer.Ordinal);
        foreach (RunEntry run in runs.Where(r => r.Finished))
        {
            string path = Path.Combine(run.Path, RunFolder.AnalysisFile);
            if (!File.Exists(path)) continue;
            var last = LastProbes(path);
            if (last.Count == 0) continue;
            var perTag = values.TryGetValue(run.Key.Algorithm, out var d) ? d : values[run.Key.Algorithm] = new(StringComparer.Ordinal);
            foreach (var (tag, _) in Columns)
            {
                if (!last.TryGetValue(tag, out double v)) continue;
                (perTag.TryGetValue(tag, out var list) ? list : perTag[tag] = []).Add(v);
            }
        }
        var result = new SortedDictionary<string, Dictionary<string, ProbeSpread>>(StringComparer.Ordinal);
        foreach (var (algorithm, perTag) in values)
        {
            result[algorithm] = perTag.ToDictionary(p => p.Key, p => new ProbeSpread(p.Value.Average(), p.Value.Min(), p.Value.Max(), p.Value.Count),
                                                    StringComparer.Ordinal);
        }
        return result;
    }

    /// <summary>Each tag's value at its largest total_steps in one analysis.csv (long format: total_steps,tag,value).</summary>
    /// <exception cref="InvalidDataException">A line is not three fields with a step count and a number.</exception>
    public static Dictionary<string, double> LastProbes(string path)
    {
        var last = new Dictionary<string, (long Step, double Value)>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (lineNo == 1 || line.Length == 0) continue; // header
            string[] f = line.Split(',');
            if (f.Length != 3 || !long.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) ||
                !double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new InvalidDataException($"report: {path} line {lineNo} is '{line}', expected total_steps,tag,value " +
                                               "(the trainer's analysis.csv); remove the damaged line or the file.");
            }
            if (!last.TryGetValue(f[1], out var seen) || step >= seen.Step) last[f[1]] = (step, value);
        }
        return last.ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal);
    }

    /// <summary>The Markdown section (empty when no run logged a tabulated probe).</summary>
    public static string Render(SortedDictionary<string, Dictionary<string, ProbeSpread>> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Count == 0) return "";
        var sb = new StringBuilder();
        sb.AppendLine("## Network analyses at the end of training");
        sb.AppendLine();
        sb.AppendLine("Each finished run's last probe (the trainer's analysis between iterations, P1 §5), summarised over the " +
                      "algorithm's runs on all tasks: mean [lowest, highest run]. The dormant fraction is that of the penultimate " +
                      "layer's neurons (every expert's hidden units for MoE torsos); the ranks are of the features the head reads.");
        sb.AppendLine();
        sb.AppendLine("| algorithm | runs | " + string.Join(" | ", Columns.Select(c => c.Heading)) + " |");
        sb.AppendLine("|---|---:|" + string.Concat(Columns.Select(_ => "---|")));
        foreach (var (algorithm, perTag) in table)
        {
            int runs = perTag.Values.Select(s => s.Runs).DefaultIfEmpty(0).Max();
            var cells = Columns.Select(c => perTag.TryGetValue(c.Tag, out var s)
                ? string.Create(CultureInfo.InvariantCulture, $"{s.Mean:0.###} [{s.Min:0.###}, {s.Max:0.###}]")
                : "–");
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {algorithm} | {runs} | ") + string.Join(" | ", cells) + " |");
        }
        return sb.ToString();
    }
}
