using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DeepSim.IO;

/// <summary>Why <see cref="AtomicFile"/> refused to replace a path.</summary>
public enum AtomicWriteRefusal
{
    /// <summary>The existing file is read-only (no write permission bit); -Force replaces it and keeps its mode.</summary>
    ReadOnly,

    /// <summary>The path is a directory, a device, a pipe or a socket: only regular files are replaced.</summary>
    NotARegularFile,
}

/// <summary>An export refused to replace what is at its path; <see cref="Refusal"/> says why.</summary>
public sealed class AtomicWriteRefusedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public AtomicWriteRefusedException(AtomicWriteRefusal refusal, string path, string message)
        : base($"{MessageText.Clean(path)}: {message}")
    {
        Refusal = refusal;
        Path = path;
    }

    /// <summary>Why the write was refused.</summary>
    public AtomicWriteRefusal Refusal { get; }

    /// <summary>The path that was not replaced.</summary>
    public string Path { get; }
}

/// <summary>
/// Writes files so that a reader sees either the old content or the complete new content, never a half-written file:
/// the content goes to a hidden temporary file in the same folder, is flushed to disk, and is then renamed over the
/// target. If writing fails or is cancelled, the temporary file is removed and the old file is untouched.
/// Every writer of DeepSim (models, images, maps, figures) goes through here, and follows PowerShell's conventions for
/// what is at the path:
/// <list type="bullet">
/// <item>a read-only file (no write bit) is refused unless the caller asks to replace read-only files (-Force); the
/// new file keeps the old file's permission bits (a 0600 model stays 0600);</item>
/// <item>a symbolic link is written through: its final target is replaced and the link stays a link;</item>
/// <item>a directory, device, pipe or socket is refused;</item>
/// <item>temporary files of DeepSim's own naming (<c>.NAME.32-hex-digits.tmp</c>) left in the folder by a killed write
/// more than <see cref="StaleAfter"/> ago, and no longer held open by a writer, are removed.</item>
/// </list>
/// </summary>
public static partial class AtomicFile
{
    /// <summary>Age after which an unlocked temporary file of DeepSim's naming counts as left behind by a killed write.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    private static readonly AsyncLocal<bool> ReplaceReadOnlyFlag = new();

    /// <summary>
    /// Within the returned scope (on this thread and the work it awaits), writes replace read-only files (keeping their
    /// mode): what an export cmdlet's -Force does.
    /// </summary>
    public static IDisposable ReplaceReadOnly(bool enabled = true)
    {
        var previous = ReplaceReadOnlyFlag.Value;
        ReplaceReadOnlyFlag.Value = enabled || previous;
        return new Scope(() => ReplaceReadOnlyFlag.Value = previous);
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; the folder must exist.</summary>
    /// <exception cref="AtomicWriteRefusedException">The path is read-only (outside a <see cref="ReplaceReadOnly"/> scope) or not a regular file.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = ResolveTarget(Path.GetFullPath(path));
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        UnixFileMode? keepMode = null;
        if (File.Exists(full) || Directory.Exists(full))
        {
            if (!IsRegularFile(full))
            {
                throw new AtomicWriteRefusedException(AtomicWriteRefusal.NotARegularFile, full, "it is not a regular file (a directory, device, pipe or socket); DeepSim only replaces regular files.");
            }

            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(full);
                if ((mode & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0 && !ReplaceReadOnlyFlag.Value)
                {
                    throw new AtomicWriteRefusedException(AtomicWriteRefusal.ReadOnly, full, "the file is read-only; use -Force to replace it (its mode is kept).");
                }

                keepMode = mode;
            }
            else if (File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly) && !ReplaceReadOnlyFlag.Value)
            {
                throw new AtomicWriteRefusedException(AtomicWriteRefusal.ReadOnly, full, "the file is read-only; use -Force to replace it.");
            }
        }

        RemoveStaleTemporaryFiles(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            if (keepMode is { } m && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, m);
            }
            else if (OperatingSystem.IsWindows() && File.Exists(full) && File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly))
            {
                File.SetAttributes(full, File.GetAttributes(full) & ~FileAttributes.ReadOnly);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically; the folder must exist.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>
    /// Removes temporary files of DeepSim's naming in <paramref name="folder"/> that are older than
    /// <see cref="StaleAfter"/> and not held open by a writer (a writer holds its temporary file exclusively);
    /// returns how many were removed. Best effort: a file that cannot be removed is left.
    /// </summary>
    public static int RemoveStaleTemporaryFiles(string folder)
    {
        var removed = 0;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, ".*.tmp").Where(f => TempName().IsMatch(Path.GetFileName(f))).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        var cutoff = DateTime.UtcNow - StaleAfter;
        foreach (var file in candidates)
        {
            try
            {
                var info = new FileInfo(file);
                if (info.LinkTarget is not null || info.LastWriteTimeUtc > cutoff)
                {
                    continue;
                }

                // An exclusive open fails while a live writer holds the file.
                using (new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1))
                {
                }

                File.Delete(file);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use, vanished or protected: leave it.
            }
        }

        return removed;
    }

    /// <summary>The file a write to <paramref name="full"/> replaces: the final target of a symbolic link, else the path itself.</summary>
    private static string ResolveTarget(string full)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is null)
        {
            return full;
        }

        try
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is not null)
            {
                return Path.GetFullPath(target.FullName);
            }
        }
        catch (IOException e) when (IoFailure.Classify(e, full) == IoFailureKind.LinkLoop)
        {
            throw new AtomicWriteRefusedException(AtomicWriteRefusal.NotARegularFile, full, "it is a symbolic link that loops (too many levels of symbolic links).");
        }

        // A dangling link: write the file it names, so the link then resolves.
        return Path.GetFullPath(info.LinkTarget, Path.GetDirectoryName(full)!);
    }

    /// <summary>True when <paramref name="path"/> (links followed) is a regular file.</summary>
    private static bool IsRegularFile(string path)
    {
        if (Directory.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return !File.GetAttributes(path).HasFlag(FileAttributes.Device);
        }

        // .NET reports devices, pipes and sockets as plain files on Unix: ask stat(2) for st_mode.
        var modeOffset = OperatingSystem.IsMacOS() ? 4 : RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        var buffer = new byte[256];
        if (Native.Stat(path, buffer) != 0)
        {
            return File.Exists(path);
        }

        uint mode = OperatingSystem.IsMacOS() ? BitConverter.ToUInt16(buffer, modeOffset) : BitConverter.ToUInt32(buffer, modeOffset);
        const uint TypeMask = 0xF000;
        const uint Regular = 0x8000;
        return (mode & TypeMask) == Regular;
    }

    private static void TryDelete(string file)
    {
        try
        {
            if (File.Exists(file))
            {
                File.Delete(file);
            }
        }
        catch (IOException)
        {
            // Best effort: the rename already happened or the folder vanished; nothing of the target is affected.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    [GeneratedRegex("^\\..+\\.[0-9a-f]{32}\\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TempName();

    private sealed class Scope(Action onDispose) : IDisposable
    {
        public void Dispose() => onDispose();
    }

    private static partial class Native
    {
        [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int Stat(string path, byte[] buffer);
    }
}
