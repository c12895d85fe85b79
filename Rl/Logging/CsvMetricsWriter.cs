using System.Globalization;
using System.Text;

namespace MoeScratch.Rl.Logging;

/// <summary>
/// Metrics CSV: InvariantCulture, round-trip number formatting, a header row, flushed every
/// <c>flushEvery</c> rows and on Dispose, and append mode for resumed runs. On resume, <c>keepRows</c> (the row
/// count saved in the checkpoint) drops rows the crashed run wrote after its last checkpoint.
/// </summary>
public sealed class CsvMetricsWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly int _flushEvery;
    private int _unflushed;

    /// <summary>Opens or creates the CSV file.</summary>
    /// <param name="path">File path; the directory is created if needed.</param>
    /// <param name="columns">Column names, written as the header.</param>
    /// <param name="append">Append to an existing file (whose header must match) instead of replacing it.</param>
    /// <param name="keepRows">With <paramref name="append"/>: keep only this many data rows of the existing file.</param>
    /// <param name="flushEvery">Flush after this many rows (1 = every row).</param>
    public CsvMetricsWriter(string path, IReadOnlyList<string> columns, bool append = false, long? keepRows = null, int flushEvery = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0) throw new ArgumentException("A metrics CSV needs at least one column.", nameof(columns));
        if (flushEvery < 1) throw new ArgumentException($"flushEvery must be ≥ 1, got {flushEvery}.", nameof(flushEvery));
        Path = path;
        Columns = [.. columns];
        _flushEvery = flushEvery;
        string header = string.Join(",", Columns.Select(Escape));
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);

        if (append && File.Exists(path))
        {
            var lines = File.ReadAllLines(path, Encoding.UTF8);
            if (lines.Length == 0 || lines[0] != header)
                throw new InvalidOperationException(
                    $"Cannot append to '{path}': its header '{(lines.Length > 0 ? lines[0] : "")}' differs from '{header}'. Use a new file or the same columns.");
            long existing = lines.Length - 1;
            if (keepRows is { } keep)
            {
                if (keep < 0 || keep > existing)
                    throw new InvalidOperationException($"Cannot keep {keep} rows of '{path}': it holds {existing} data rows.");
                // Atomically (temp file + rename): a process killed mid-rewrite must not leave fewer rows than the
                // checkpoint counts, or no later resume could open the file.
                if (keep < existing)
                    Nn.Checkpoints.AtomicFile.WriteAllText(path, string.Concat(lines.Take((int)keep + 1).Select(l => l + "\n")));
                existing = keep;
            }
            RowCount = existing;
            _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        }
        else
        {
            _writer = new StreamWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
            _writer.Write(header);
            _writer.Write('\n');
            _writer.Flush();
        }
    }

    /// <summary>File path.</summary>
    public string Path { get; }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Data rows in the file (including rows kept from an appended file); save it in checkpoints.</summary>
    public long RowCount { get; private set; }

    /// <summary>
    /// Writes one row; values map to columns in order. Doubles and floats use round-trip formatting, integers
    /// invariant digits, null an empty cell; strings are quoted when they hold a comma, quote or newline.
    /// </summary>
    public void WriteRow(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != Columns.Count)
            throw new ArgumentException($"Row has {values.Length} values but the CSV has {Columns.Count} columns ({string.Join(", ", Columns)}).", nameof(values));
        var sb = new StringBuilder();
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(Format(values[i]));
        }
        sb.Append('\n');
        _writer.Write(sb.ToString());
        RowCount++;
        if (++_unflushed >= _flushEvery) Flush();
    }

    /// <summary>Formats one value as a CSV cell.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        string s => Escape(s),
        IFormattable x => Escape(x.ToString(null, CultureInfo.InvariantCulture)),
        _ => Escape(value.ToString() ?? ""),
    };

    /// <summary>Flushes buffered rows to the file.</summary>
    public void Flush()
    {
        _writer.Flush();
        _unflushed = 0;
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => _writer.Dispose();

    private static string Escape(string s) =>
        s.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
