using System.Buffers.Binary;
using System.Globalization;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// Reads DICOM images: single files (multi-frame files become 3D, frames along z) and series assembled from many files
/// (grouped by Series Instance UID, sorted by position along the slice normal). Voxel values are the stored values
/// with Rescale Slope/Intercept applied (CT in Hounsfield units); MONOCHROME1 is inverted within the stored range first
/// (Metadata "MonochromeInverted" = "True"); colour images become luminance (0.299 R + 0.587 G + 0.114 B; Y for YBR).
/// Metadata holds the DICOM keywords users filter on, RescaleSlope and RescaleIntercept included (stored = (value - intercept) / slope).
/// Geometry is in DICOM LPS patient coordinates; direction columns are row direction, column direction, slice normal.
/// </summary>
public sealed class DicomImageReader : IStreamingMultiFileImageReader
{
    private static readonly (DicomTag Tag, string Keyword)[] MetadataTags =
    [
        (DicomTags.PatientID, "PatientID"),
        (DicomTags.PatientName, "PatientName"),
        (DicomTags.StudyInstanceUID, "StudyInstanceUID"),
        (DicomTags.SeriesInstanceUID, "SeriesInstanceUID"),
        (DicomTags.StudyDate, "StudyDate"),
        (DicomTags.StudyTime, "StudyTime"),
        (DicomTags.Modality, "Modality"),
        (DicomTags.StudyDescription, "StudyDescription"),
        (DicomTags.SeriesDescription, "SeriesDescription"),
        (DicomTags.SeriesNumber, "SeriesNumber"),
        (DicomTags.StudyID, "StudyID"),
        (DicomTags.AccessionNumber, "AccessionNumber"),
        (DicomTags.SOPClassUID, "SOPClassUID"),
        (DicomTags.FrameOfReferenceUID, "FrameOfReferenceUID"),
        (DicomTags.Manufacturer, "Manufacturer"),
        (DicomTags.BodyPartExamined, "BodyPartExamined"),
        (DicomTags.PhotometricInterpretation, "PhotometricInterpretation"),
        (DicomTags.BitsAllocated, "BitsAllocated"),
        (DicomTags.BitsStored, "BitsStored"),
        (DicomTags.PixelRepresentation, "PixelRepresentation"),
        (DicomTags.RescaleType, "RescaleType"),
        (DicomTags.WindowCenter, "WindowCenter"),
        (DicomTags.WindowWidth, "WindowWidth"),
        (DicomTags.SliceThickness, "SliceThickness"),
        (DicomTags.PixelSpacing, "PixelSpacing"),
        (DicomTags.ImageOrientationPatient, "ImageOrientationPatient"),
    ];

    /// <inheritdoc />
    public string FormatName => "DICOM";

    /// <inheritdoc />
    public bool CanRead(string path, ReadOnlySpan<byte> head)
    {
        if (head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            // A gzipped DICOM file (.dcm.gz): recognised by its decompressed start; .nii.gz stays NIfTI's.
            return DicomFile.IsGzipName(path) && !path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase)
                && DicomFile.ReadGzipHead(path, 1024) is { Length: >= 8 } inner && !(inner[0] == 0x1F && inner[1] == 0x8B) && CanRead(path, inner);
        }

        DicomFile.FindStart(head, out var magic);
        if (magic)
        {
            return true;
        }

        // No preamble/meta header: the head must parse as a run of known, increasing data elements (at least three, or up
        // to the end of the head) in the detected encoding, so that raw pixel files with small values are not claimed.
        if (head.Length < 8 || !DicomFile.TryGuessSyntax(head, out var syntax))
        {
            return false;
        }

        var pos = 0;
        uint previous = 0;
        for (var count = 0; count < 3; count++)
        {
            if (pos + 8 > head.Length)
            {
                return count > 0;
            }

            var group = syntax.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head[pos..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[pos..]);
            var element = syntax.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head[(pos + 2)..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[(pos + 2)..]);
            var tag = new DicomTag(group, element);
            if (tag.Value <= previous || group > 0x7FE0 || (count == 0 && DicomDictionary.Find(tag) is null))
            {
                return false;
            }

            previous = tag.Value;
            long length;
            if (syntax.ExplicitVr)
            {
                if (!DicomParser.IsKnownVr(head[pos + 4], head[pos + 5]))
                {
                    return false;
                }

                var vr = $"{(char)head[pos + 4]}{(char)head[pos + 5]}";
                if (vr is "OB" or "OD" or "OF" or "OL" or "OV" or "OW" or "SQ" or "UC" or "UN" or "UR" or "UT" or "SV" or "UV")
                {
                    if (pos + 12 > head.Length)
                    {
                        return true;
                    }

                    length = syntax.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(head[(pos + 8)..]) : BinaryPrimitives.ReadUInt32LittleEndian(head[(pos + 8)..]);
                    pos += 12;
                }
                else
                {
                    length = syntax.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head[(pos + 6)..]) : BinaryPrimitives.ReadUInt16LittleEndian(head[(pos + 6)..]);
                    pos += 8;
                }
            }
            else
            {
                length = BinaryPrimitives.ReadUInt32LittleEndian(head[(pos + 4)..]);
                pos += 8;
            }

            if (length == 0xFFFFFFFF)
            {
                return true; // a sequence: good enough evidence after a known, ordered start
            }

            if (length > 0x10000)
            {
                return false;
            }

            pos += (int)length;
        }

        return true;
    }

    /// <inheritdoc />
    public IReadOnlyList<MedicalImage> Read(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var file = Guard(path, () => DicomFile.Open(path));
        return [Guard(path, () => ReadSingle(file))];
    }

    /// <inheritdoc />
    public IReadOnlyList<MedicalImage> ReadMany(
        IReadOnlyList<string> paths,
        Action<ImageReadException> onFileError,
        Action<string> onWarning,
        CancellationToken cancellationToken = default) => [.. StreamMany(paths, onFileError, onWarning, cancellationToken)];

    /// <inheritdoc />
    public IEnumerable<MedicalImage> StreamMany(
        IReadOnlyList<string> paths,
        Action<ImageReadException> onFileError,
        Action<string> onWarning,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(onFileError);
        ArgumentNullException.ThrowIfNull(onWarning);
        var slices = new List<DicomSlice>(paths.Count);
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                slices.Add(Guard(path, () => DicomSlice.Open(path)));
            }
            catch (ImageReadException e)
            {
                onFileError(e);
            }
        }

        return DicomSeriesAssembler.Assemble(slices, onFileError, onWarning, cancellationToken);
    }

    /// <summary>Reads one opened file into an image (frames along z).</summary>
    internal static MedicalImage ReadSingle(DicomFile file)
    {
        var pixels = new DicomPixelData(file);
        var n = pixels.Rows * pixels.Columns;
        var voxels = GC.AllocateUninitializedArray<float>(n * pixels.Frames);
        byte[]? scratch = null;
        for (var f = 0; f < pixels.Frames; f++)
        {
            pixels.DecodeFrame(f, voxels.AsSpan(f * n, n), ref scratch);
        }

        var geometry = FrameGeometry(file.Dataset, pixels.Frames);
        var metadata = BuildMetadata(file, pixels);
        metadata["NumberOfFrames"] = pixels.Frames.ToString(CultureInfo.InvariantCulture);
        return new MedicalImage(voxels, pixels.Columns, pixels.Rows, pixels.Frames, geometry, metadata.GetValueOrDefault("Modality"), file.Path, "DICOM", metadata);
    }

    /// <summary>The metadata dictionary of an image read from this file.</summary>
    internal static Dictionary<string, string> BuildMetadata(DicomFile file, DicomPixelData pixels)
    {
        var ds = file.Dataset;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (tag, keyword) in MetadataTags)
        {
            var v = ds.GetText(tag);
            if (!string.IsNullOrEmpty(v))
            {
                metadata[keyword] = v;
            }
        }

        metadata["TransferSyntaxUID"] = file.TransferSyntax.Uid;
        metadata["Rows"] = pixels.Rows.ToString(CultureInfo.InvariantCulture);
        metadata["Columns"] = pixels.Columns.ToString(CultureInfo.InvariantCulture);
        metadata["RescaleSlope"] = pixels.Slope.ToString("R", CultureInfo.InvariantCulture);
        metadata["RescaleIntercept"] = pixels.Intercept.ToString("R", CultureInfo.InvariantCulture);
        if (pixels.RescaleVariesByFrame)
        {
            metadata["RescaleVariesByFrame"] = "True";
        }

        if (pixels.Inverted)
        {
            metadata["MonochromeInverted"] = "True";
        }

        if (pixels.Samples == 3 || pixels.Photometric == "PALETTE COLOR")
        {
            metadata["ColorToLuminance"] = pixels.Photometric.StartsWith("YBR", StringComparison.Ordinal) ? "Y" : "0.299R+0.587G+0.114B";
        }

        return metadata;
    }

    /// <summary>Runs <paramref name="action"/>, turning parser exceptions that are not <see cref="ImageReadException"/> into one.</summary>
    internal static T Guard<T>(string path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (ImageReadException)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (OutOfMemoryException e)
        {
            throw new ImageReadException(ImageReadError.AbsurdDimensions, path, "the image is too large to read: " + e.Message, inner: e);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidDataException or EndOfStreamException or OverflowException or InvalidOperationException)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, "malformed DICOM data: " + e.Message, inner: e);
        }
    }

    /// <summary>Geometry of a single (possibly multi-frame) file: per-frame positions when present, else slice spacing attributes.</summary>
    private static ImageGeometry FrameGeometry(DicomDataset ds, int frames)
    {
        var p0 = DicomPlane.Of(ds, 0);
        var (sx, sy) = p0.PixelSpacing is { } ps && ps[0] > 0 && ps[1] > 0 ? (ps[1], ps[0]) : (1.0, 1.0);
        var row = p0.Row ?? [1, 0, 0];
        var col = p0.Column ?? [0, 1, 0];
        var normal = p0.Normal ?? [0, 0, 1];
        var sz = p0.SpacingBetweenSlices > 0 ? p0.SpacingBetweenSlices : p0.SliceThickness > 0 ? p0.SliceThickness : 1.0;
        if (frames > 1)
        {
            var p1 = DicomPlane.Of(ds, 1);
            if (p0.Position is not null && p1.Position is not null && !ReferenceEquals(p0.Position, p1.Position))
            {
                var d = DicomPlane.Dot([p1.Position[0] - p0.Position[0], p1.Position[1] - p0.Position[1], p1.Position[2] - p0.Position[2]], normal);
                if (Math.Abs(d) > 1e-6)
                {
                    sz = Math.Abs(d);
                    if (d < 0)
                    {
                        normal = [-normal[0], -normal[1], -normal[2]];
                    }
                }
            }
            else
            {
                // RT dose: Grid Frame Offset Vector gives frame positions along the normal.
                var gfov = ds.GetDoubles(DicomTags.GridFrameOffsetVector);
                if (gfov.Length >= 2 && Math.Abs(gfov[1] - gfov[0]) > 1e-6)
                {
                    sz = Math.Abs(gfov[1] - gfov[0]);
                }
            }
        }

        var origin = p0.Position ?? [0, 0, 0];
        return new ImageGeometry(
            [sx, sy, sz],
            origin,
            [row[0], col[0], normal[0], row[1], col[1], normal[1], row[2], col[2], normal[2]]);
    }
}
