namespace DeepSim.Imaging;

/// <summary>What went wrong reading an image; each maps to a stable PowerShell ErrorId.</summary>
public enum ImageReadError
{
    /// <summary>The path does not exist.</summary>
    FileNotFound,

    /// <summary>No reader recognises the file.</summary>
    UnknownFormat,

    /// <summary>The file ends before its header or data does.</summary>
    Truncated,

    /// <summary>The header declares more (or less) data than the file holds.</summary>
    DataSizeMismatch,

    /// <summary>Dimensions that no real image has (zero, negative, or too many voxels).</summary>
    AbsurdDimensions,

    /// <summary>A header that cannot be parsed or is inconsistent.</summary>
    CorruptHeader,

    /// <summary>A valid file in an encoding DeepSim does not decode (a compression, a data type).</summary>
    UnsupportedEncoding,

    /// <summary>A valid file that holds no image (a DICOM RT plan, a structured report).</summary>
    NotAnImage,

    /// <summary>The operating system refused to read it (permissions).</summary>
    AccessDenied,

    /// <summary>The path is a symbolic link that loops (ELOOP: too many levels of symbolic links).</summary>
    LinkLoop,

    /// <summary>The path names a directory or another object that is not a regular file where a file was expected.</summary>
    NotAFile,

    /// <summary>Another input/output error of the operating system (a device error, a file that vanished while read).</summary>
    ReadFailed,

    /// <summary>The image holds NaN or infinite voxel values where finite ones are required.</summary>
    NonFiniteVoxels,

    /// <summary>Compressed pixel data that does not decode to the image the header declares (a corrupt RLE or deflate stream).</summary>
    CorruptPixelData,
}

/// <summary>An image could not be read: carries the file, the kind of problem and, where useful, a byte offset.</summary>
public sealed class ImageReadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageReadException(ImageReadError error, string path, string message, long? offset = null, Exception? inner = null)
        : base(Compose(DeepSim.IO.MessageText.Clean(path), DeepSim.IO.MessageText.Clean(message), offset), inner)
    {
        Error = error;
        Path = path;
        Offset = offset;
    }

    /// <summary>The kind of problem.</summary>
    public ImageReadError Error { get; }

    /// <summary>The file that could not be read.</summary>
    public string Path { get; }

    /// <summary>Byte offset where the problem was found, when known.</summary>
    public long? Offset { get; }

    /// <summary>The ErrorId a cmdlet reports, e.g. "ImageTruncated".</summary>
    public string ErrorId => "Image" + Error;

    private static string Compose(string path, string message, long? offset) =>
        offset is long o ? $"{path}: {message} (at byte {o})." : $"{path}: {message}";
}
