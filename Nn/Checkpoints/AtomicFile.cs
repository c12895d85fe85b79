namespace MoeScratch.Nn.Checkpoints;

/// <summary>
/// Crash-safe single-file writes: write a temp file in the same directory,
/// <c>Flush(flushToDisk: true)</c> (fsync), then <c>File.Move(overwrite: true)</c> (rename(2), atomic on one
/// file system). A crash or exception mid-write leaves the previous file untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>Marker in the names of temporary files and directories; <see cref="CleanupLeftovers"/> deletes them.</summary>
    public const string TempMarker = ".tmp-";

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Atomically replaces <paramref name="path"/> with the UTF-8 text <paramref name="text"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Atomically replaces <paramref name="path"/> with whatever <paramref name="writer"/> writes. If the writer throws,
    /// the temp file is deleted, the exception propagates and the previous file (if any) is unchanged.
    /// </summary>
    public static void Write(string path, Action<Stream> writer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(writer);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent directory.", nameof(path));
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, Path.GetFileName(full) + TempMarker + Guid.NewGuid().ToString("N"));
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                writer(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Deletes leftover temporary files and directories (names containing <see cref="TempMarker"/>) in
    /// <paramref name="directory"/>, which a crash mid-write may leave behind. Returns how many were removed.
    /// </summary>
    public static int CleanupLeftovers(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (string d in Directory.EnumerateDirectories(directory, "*" + TempMarker + "*"))
        {
            Directory.Delete(d, recursive: true);
            removed++;
        }
        foreach (string f in Directory.EnumerateFiles(directory, "*" + TempMarker + "*"))
        {
            File.Delete(f);
            removed++;
        }
        return removed;
    }

    internal static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { /* best effort: CleanupLeftovers removes it later */ }
        catch (UnauthorizedAccessException) { /* same */ }
    }
}
