using System.IO.Compression;

namespace DeepSim.Imaging.Formats;

/// <summary>File access shared by the readers: opening with errors mapped to <see cref="ImageReadException"/>, chunked reads.</summary>
internal static class FormatIO
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Opens <paramref name="file"/> for reading. Errors name <paramref name="reportPath"/> (the file the user asked for)
    /// and, when it differs, the file that could not be opened.
    /// </summary>
    public static FileStream OpenRead(string file, string reportPath)
    {
        var what = string.Equals(file, reportPath, StringComparison.Ordinal) ? "file" : $"data file '{file}'";
        try
        {
            return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (OpenError(e, file, reportPath) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>
    /// The one mapping of a failure to open <paramref name="file"/> for reading into an <see cref="ImageReadException"/>
    /// naming <paramref name="reportPath"/> (through <see cref="DeepSim.IO.IoFailure"/>): missing, a directory, a
    /// symbolic-link loop, access denied, an invalid name, or another I/O error. Returns null for exceptions that are not
    /// about opening a file (they propagate).
    /// </summary>
    public static ImageReadException? OpenError(Exception e, string file, string reportPath)
    {
        if (DeepSim.IO.IoFailure.Classify(e, file) is not { } kind)
        {
            return null;
        }

        var what = string.Equals(file, reportPath, StringComparison.Ordinal) ? "file" : $"data file '{file}'";
        var error = kind switch
        {
            DeepSim.IO.IoFailureKind.NotFound => ImageReadError.FileNotFound,
            DeepSim.IO.IoFailureKind.AccessDenied => ImageReadError.AccessDenied,
            DeepSim.IO.IoFailureKind.IsADirectory => ImageReadError.NotAFile,
            DeepSim.IO.IoFailureKind.LinkLoop => ImageReadError.LinkLoop,
            DeepSim.IO.IoFailureKind.InvalidName => ImageReadError.CorruptHeader,
            _ => ImageReadError.ReadFailed,
        };
        var text = kind == DeepSim.IO.IoFailureKind.NotFound || kind == DeepSim.IO.IoFailureKind.AccessDenied
            ? $"{what}: {DeepSim.IO.IoFailure.Describe(kind, e)}."
            : $"{what} {DeepSim.IO.IoFailure.Describe(kind, e)}.";
        if (kind == DeepSim.IO.IoFailureKind.NotFound)
        {
            text = $"{what} not found.";
        }

        return new ImageReadException(error, reportPath, text, inner: e);
    }

    /// <summary>True when <paramref name="path"/> is a symbolic link whose chain never ends (ELOOP).</summary>
    internal static bool IsLinkLoop(string path) => DeepSim.IO.IoFailure.IsLinkLoop(path);

    /// <summary>Reads a whole (small) file, checking cancellation between chunks.</summary>
    public static byte[] ReadWholeFile(string path, CancellationToken cancellationToken)
    {
        using var stream = OpenRead(path, path);
        if (stream.Length > Array.MaxLength)
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"the file is {stream.Length} bytes, more than DeepSim reads into memory.");
        }

        var bytes = new byte[stream.Length];
        var done = 0;
        while (done < bytes.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = stream.Read(bytes, done, Math.Min(ChunkBytes, bytes.Length - done));
            if (n == 0)
            {
                break;
            }

            done += n;
        }

        return done == bytes.Length ? bytes : bytes[..done];
    }

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes (fewer only at the end of the stream). Used for headers, whose
    /// size is small and bounded by the caller.
    /// </summary>
    public static byte[] ReadUpTo(Stream stream, int count)
    {
        var buffer = new byte[count];
        var got = stream.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
        return got == count ? buffer : buffer[..got];
    }

    /// <summary>Skips <paramref name="count"/> bytes of a non-seekable stream; returns the number skipped.</summary>
    public static long Skip(Stream stream, long count)
    {
        var buffer = new byte[(int)Math.Min(ChunkBytes, Math.Max(1, count))];
        long done = 0;
        while (done < count)
        {
            var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count - done));
            if (n == 0)
            {
                break;
            }

            done += n;
        }

        return done;
    }

    /// <summary>
    /// True for the exceptions a decompressing stream throws on damaged data: <see cref="InvalidDataException"/>, and
    /// .NET's ZLibException (internal to System.IO.Compression, hence matched by name; an <see cref="IOException"/>
    /// carrying zlib's own error codes for some damaged streams), which would otherwise look like a failing disk.
    /// </summary>
    public static bool IsCorruptCompressed(Exception e) =>
        e is InvalidDataException || (e is IOException && e.GetType().FullName == "System.IO.Compression.ZLibException");

    /// <summary>Maps a failure inside a compressed stream (<see cref="IsCorruptCompressed"/>) to CorruptHeader naming the file.</summary>
    public static ImageReadException CorruptCompressed(string path, Exception e) =>
        new(ImageReadError.CorruptHeader, path, "corrupt compressed data: " + e.Message, inner: e);

    /// <summary>True when the bytes start like a gzip member.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B;

    /// <summary>Opens a decompressing view of a gzip stream.</summary>
    public static GZipStream Gunzip(Stream compressed) => new(compressed, CompressionMode.Decompress, leaveOpen: false);
}
