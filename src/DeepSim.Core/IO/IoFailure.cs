namespace DeepSim.IO;

/// <summary>What kind of operating-system failure stopped a file operation.</summary>
public enum IoFailureKind
{
    /// <summary>The file or a folder on its path does not exist.</summary>
    NotFound,

    /// <summary>Permissions forbid it.</summary>
    AccessDenied,

    /// <summary>The path names a directory where a file was expected.</summary>
    IsADirectory,

    /// <summary>A symbolic link on the path loops (ELOOP).</summary>
    LinkLoop,

    /// <summary>The path is not a valid file name.</summary>
    InvalidName,

    /// <summary>Any other input/output error.</summary>
    Other,
}

/// <summary>
/// The one classification of file-system exceptions into what a user should be told: .NET reports "is a directory" as
/// access denied and a symbolic-link loop as a bare IOException; this tells them apart, and gives messages without .NET's
/// fragments.
/// </summary>
public static class IoFailure
{
    /// <summary>ELOOP: on Unix, .NET puts the raw errno into IOException.HResult.</summary>
    private const int ErrnoLinkLoop = 40;

    /// <summary>The kind of failure <paramref name="e"/> is for <paramref name="path"/>, or null when it is not an I/O failure.</summary>
    public static IoFailureKind? Classify(Exception e, string path)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            FileNotFoundException or DirectoryNotFoundException => IoFailureKind.NotFound,
            UnauthorizedAccessException when SafeIsDirectory(path) => IoFailureKind.IsADirectory,
            UnauthorizedAccessException => IoFailureKind.AccessDenied,
            ArgumentException or NotSupportedException or PathTooLongException => IoFailureKind.InvalidName,
            IOException when e.HResult == ErrnoLinkLoop || IsLinkLoop(path) => IoFailureKind.LinkLoop,
            IOException when SafeIsDirectory(path) => IoFailureKind.IsADirectory,
            IOException => IoFailureKind.Other,
            _ => null,
        };
    }

    /// <summary>A short description of the failure for a message ("is a directory, not a file" ...).</summary>
    public static string Describe(IoFailureKind kind, Exception e) => kind switch
    {
        IoFailureKind.NotFound => "not found",
        IoFailureKind.AccessDenied => "access denied",
        IoFailureKind.IsADirectory => "is a directory, not a file",
        IoFailureKind.LinkLoop => "is a symbolic link that loops (too many levels of symbolic links)",
        IoFailureKind.InvalidName => "is not a valid file name",
        _ => "input/output error: " + MessageText.Clean(WithoutPath(e.Message)),
    };

    /// <summary>True when <paramref name="path"/> is a symbolic link whose chain never ends (ELOOP).</summary>
    public static bool IsLinkLoop(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is null)
            {
                return false;
            }

            info.ResolveLinkTarget(returnFinalTarget: true);
            return false;
        }
        catch (IOException e)
        {
            return e.HResult == ErrnoLinkLoop;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    private static bool SafeIsDirectory(string path)
    {
        try
        {
            return Directory.Exists(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or IOException)
        {
            return false;
        }
    }

    /// <summary>.NET's I/O messages end with " : 'path'"; the caller names the file already.</summary>
    private static string WithoutPath(string message)
    {
        var i = message.LastIndexOf(" : '", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
