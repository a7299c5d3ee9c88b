namespace DeepSim.Imaging;

/// <summary>
/// Reads one file format. Readers are stateless and thread-safe.
/// A reader that needs several files to make one image (a DICOM series) implements <see cref="IMultiFileImageReader"/>.
/// </summary>
public interface IImageReader
{
    /// <summary>Format name shown to users (PNG, MetaImage, NIfTI, DICOM).</summary>
    string FormatName { get; }

    /// <summary>True when this reader recognises the file from its name and first bytes (up to 1 KiB; fewer if the file is shorter).</summary>
    bool CanRead(string path, ReadOnlySpan<byte> head);

    /// <summary>Reads the file into one or more images; throws <see cref="ImageReadException"/> on bad input.</summary>
    IReadOnlyList<MedicalImage> Read(string path, CancellationToken cancellationToken = default);
}

/// <summary>A reader that assembles images from several files (one DICOM series from many slice files).</summary>
public interface IMultiFileImageReader : IImageReader
{
    /// <summary>
    /// Reads all given files (all recognised by <see cref="IImageReader.CanRead"/>) and assembles them into images.
    /// Per-file problems are reported through <paramref name="onFileError"/> and the rest is still read;
    /// warnings (gaps, uneven spacing) go to <paramref name="onWarning"/>.
    /// </summary>
    IReadOnlyList<MedicalImage> ReadMany(
        IReadOnlyList<string> paths,
        Action<ImageReadException> onFileError,
        Action<string> onWarning,
        CancellationToken cancellationToken = default);
}

/// <summary>A multi-file reader that can return its images one at a time, building each only when it is asked for.</summary>
public interface IStreamingMultiFileImageReader : IMultiFileImageReader
{
    /// <summary>
    /// As <see cref="IMultiFileImageReader.ReadMany"/>, but lazily: the headers of all files are read first (small), then
    /// each image is built when the enumeration reaches it, so that only one volume is held at a time.
    /// </summary>
    IEnumerable<MedicalImage> StreamMany(
        IReadOnlyList<string> paths,
        Action<ImageReadException> onFileError,
        Action<string> onWarning,
        CancellationToken cancellationToken = default);
}
