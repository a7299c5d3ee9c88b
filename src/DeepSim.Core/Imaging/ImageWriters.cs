using DeepSim.Imaging.Formats;

namespace DeepSim.Imaging;

/// <summary>The image formats DeepSim writes, chosen by the file name's extension.</summary>
public static class ImageWriters
{
    /// <summary>The extensions <see cref="Write"/> accepts, in the order they are listed to users.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".nii", ".nii.gz", ".mha", ".mhd"];

    /// <summary>The format written for <paramref name="path"/> ("NIfTI" or "MetaImage"), or null when the extension is not one of <see cref="Extensions"/>.</summary>
    public static string? FormatFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase))
        {
            return "NIfTI";
        }

        return path.EndsWith(".mha", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".mhd", StringComparison.OrdinalIgnoreCase) ? "MetaImage" : null;
    }

    /// <summary>
    /// Every file a write to <paramref name="path"/> creates or replaces: the path itself, and for .mhd also its .raw
    /// data file. Callers check these for existing files before they overwrite anything.
    /// </summary>
    public static IReadOnlyList<string> FilesWritten(string path) =>
        path.EndsWith(".mhd", StringComparison.OrdinalIgnoreCase) ? [path, MetaImageWriter.DataFilePath(path)] : [path];

    /// <summary>Writes <paramref name="image"/> atomically in the format its extension names, replacing existing files.</summary>
    /// <exception cref="ArgumentException">The extension is not one of <see cref="Extensions"/>.</exception>
    /// <exception cref="IOException">The folder is missing or not writable.</exception>
    public static void Write(MedicalImage image, string path, CancellationToken cancellationToken = default)
    {
        switch (FormatFor(path))
        {
            case "NIfTI":
                NiftiWriter.Write(image, path, cancellationToken);
                break;
            case "MetaImage":
                MetaImageWriter.Write(image, path, cancellationToken);
                break;
            default:
                throw new ArgumentException($"'{path}' has no extension DeepSim writes ({string.Join(", ", Extensions)}).", nameof(path));
        }
    }
}
