namespace MoeScratch.Nn.Checkpoints;

/// <summary>Collects the files of a checkpoint being written by <see cref="AtomicDirectory.Write"/>.</summary>
public sealed class CheckpointDirectoryWriter
{
    private readonly List<ManifestFile> _files = [];

    internal CheckpointDirectoryWriter(string tempDirectory) => TempDirectory = tempDirectory;

    /// <summary>The temporary directory files go to (renamed to the target when the write completes).</summary>
    public string TempDirectory { get; }

    internal IReadOnlyList<ManifestFile> Files => _files;

    /// <summary>Writes one file (fsynced) and records its length and XxHash3 for the manifest.</summary>
    public void WriteFile(string name, Action<Stream> writer)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(writer);
        if (name == CheckpointManifest.FileName || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
            throw new ArgumentException($"Checkpoint file name '{name}' must be a plain name other than {CheckpointManifest.FileName}.", nameof(name));
        if (_files.Any(f => f.Name == name))
            throw new ArgumentException($"Checkpoint file '{name}' was already written.", nameof(name));
        string path = Path.Combine(TempDirectory, name);
        using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            writer(fs);
            fs.Flush(flushToDisk: true);
        }
        _files.Add(new ManifestFile(name, new FileInfo(path).Length, CheckpointManifest.HashFile(path)));
    }

    /// <summary>Writes one file from bytes.</summary>
    public void WriteFile(string name, byte[] bytes) => WriteFile(name, s => s.Write(bytes));
}

/// <summary>
/// Multi-file checkpoints that appear all at once or not at all (Orbax's
/// AtomicRenameTemporaryPath): write <c>&lt;name&gt;.tmp-&lt;guid&gt;/</c>, fsync each file, write
/// <c>manifest.json</c> last, then <c>Directory.Move</c> to the final name.
/// </summary>
public static class AtomicDirectory
{
    /// <summary>
    /// Writes the checkpoint directory <paramref name="target"/> atomically. If <paramref name="target"/> exists it is
    /// replaced only after the new one is complete. If <paramref name="write"/> throws, the temp directory is removed
    /// and any previous <paramref name="target"/> is untouched. Returns the manifest that was written.
    /// </summary>
    public static CheckpointManifest Write(string target, Action<CheckpointDirectoryWriter> write, System.Text.Json.Nodes.JsonObject? extra = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(target).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{target}' has no parent directory.", nameof(target));
        Directory.CreateDirectory(parent);
        string tmp = full + AtomicFile.TempMarker + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(tmp);
        try
        {
            var writer = new CheckpointDirectoryWriter(tmp);
            write(writer);
            var manifest = new CheckpointManifest { Files = [.. writer.Files], Extra = extra };
            // The manifest goes last: its presence marks the directory complete.
            using (var fs = new FileStream(Path.Combine(tmp, CheckpointManifest.FileName), FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(System.Text.Encoding.UTF8.GetBytes(manifest.ToJson()));
                fs.Flush(flushToDisk: true);
            }
            if (Directory.Exists(full))
            {
                // Move the old one aside under a temp name so a crash here still leaves one complete checkpoint.
                string old = full + AtomicFile.TempMarker + "old-" + Guid.NewGuid().ToString("N");
                Directory.Move(full, old);
                Directory.Move(tmp, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(tmp, full);
            }
            return manifest;
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
    }
}
