namespace DeepSim.Imaging.Dicom;

/// <summary>The header of one DICOM image file, read without its pixel data, for assembling series.</summary>
internal sealed class DicomSlice
{
    private DicomSlice(DicomFile file)
    {
        File = file;
        var ds = file.Dataset;
        SeriesUid = ds.GetText(DicomTags.SeriesInstanceUID);
        SopInstanceUid = ds.GetText(DicomTags.SOPInstanceUID);
        Rows = ds.GetInt(DicomTags.Rows, 0);
        Columns = ds.GetInt(DicomTags.Columns, 0);
        var frames = ds.GetDoubles(DicomTags.NumberOfFrames);
        Frames = frames.Length > 0 && frames[0] >= 1 && frames[0] <= int.MaxValue ? (int)frames[0] : 1;
        var instance = ds.GetDoubles(DicomTags.InstanceNumber);
        InstanceNumber = instance.Length > 0 ? instance[0] : double.NaN;
        Plane = DicomPlane.Of(ds, 0);
    }

    public DicomFile File { get; }

    public string Path => File.Path;

    public string? SeriesUid { get; }

    public string? SopInstanceUid { get; }

    public int Rows { get; }

    public int Columns { get; }

    public int Frames { get; }

    public double InstanceNumber { get; }

    public DicomPlane Plane { get; }

    /// <summary>False when the pixel data element declares more bytes than the file holds (a truncated copy).</summary>
    public bool PixelDataComplete
    {
        get
        {
            var ds = File.Dataset;
            var pixel = ds.Find(DicomTags.PixelData) ?? ds.Find(DicomTags.FloatPixelData) ?? ds.Find(DicomTags.DoubleFloatPixelData);
            return pixel is null || !pixel.ValueNotLoaded || pixel.ValueOffset + pixel.Length <= File.FileLength;
        }
    }

    /// <summary>Reads the header; refuses files with no pixel data or a compression DeepSim does not decode.</summary>
    public static DicomSlice Open(string path) => FromFile(DicomFile.OpenHeader(path));

    /// <summary>The slice of a file already parsed (e.g. an instance received over DICOMweb); same checks as <see cref="Open"/>.</summary>
    public static DicomSlice FromFile(DicomFile file)
    {
        var path = file.Path;
        var ds = file.Dataset;
        var pixel = ds.Find(DicomTags.PixelData) ?? ds.Find(DicomTags.FloatPixelData) ?? ds.Find(DicomTags.DoubleFloatPixelData);
        if (pixel is null && ds.Contains(DicomTags.Rows) && ds.Contains(DicomTags.Columns))
        {
            throw new ImageReadException(ImageReadError.Truncated, path, $"the file ends after {file.FileLength} bytes, after the image attributes (Rows, Columns) but before the pixel data: it is cut short.");
        }

        if (pixel is null)
        {
            var sopClass = ds.GetText(DicomTags.SOPClassUID) ?? "unknown";
            throw new ImageReadException(ImageReadError.NotAnImage, path, $"the DICOM object has no pixel data (SOP class {sopClass}).");
        }

        if (pixel.Fragments is not null && file.TransferSyntax.PixelEncoding == DicomPixelEncoding.Unsupported)
        {
            var ts = file.TransferSyntax;
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"pixel data is compressed with {ts}, which DeepSim does not decode; {ts.ConversionHint}.");
        }

        file.CheckAfterPixelData();
        var slice = new DicomSlice(file);
        if (!ds.Contains(DicomTags.Rows) || !ds.Contains(DicomTags.Columns))
        {
            throw new ImageReadException(ImageReadError.NotAnImage, path, "the DICOM object has pixel data but no Rows/Columns, so it is not an image.");
        }

        if (slice.Rows <= 0 || slice.Columns <= 0)
        {
            throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"Rows {slice.Rows} x Columns {slice.Columns} is not an image size.");
        }

        return slice;
    }
}
