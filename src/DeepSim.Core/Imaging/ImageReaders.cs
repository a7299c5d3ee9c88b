namespace DeepSim.Imaging;

/// <summary>The readers DeepSim ships, in the order they are tried.</summary>
public static class ImageReaders
{
    /// <summary>New instances of every shipped reader.</summary>
    public static IEnumerable<IImageReader> All()
    {
        yield return new Dicom.DicomImageReader();
        yield return new Formats.NiftiReader();
        yield return new Formats.MetaImageReader();
        yield return new Formats.PngReader();
    }
}
