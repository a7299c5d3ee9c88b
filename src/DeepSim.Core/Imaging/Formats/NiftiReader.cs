namespace DeepSim.Imaging.Formats;

/// <summary>
/// Reads NIfTI-1 images: single files (<c>.nii</c>, gzip-compressed <c>.nii.gz</c>) and header/data pairs
/// (<c>.hdr</c> + <c>.img</c>, magic "ni1"), in either byte order (detected from sizeof_hdr = 348).
/// </summary>
/// <remarks>
/// <para>Data types: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64 (64-bit integers and
/// doubles are rounded to float32). RGB, complex, binary and float128 data are rejected as
/// <see cref="ImageReadError.UnsupportedEncoding"/> naming the datatype.</para>
/// <para>Intensity scaling: when scl_slope is finite and non-zero, each voxel becomes raw * scl_slope + scl_inter
/// (scl_inter taken as 0 when not finite), computed in double from the raw value as float32 (exact for integers up to
/// 2^24) and rounded to float32; both stored values are kept in
/// <see cref="MedicalImage.Metadata"/> (NIfTI.scl_slope, NIfTI.scl_inter) together with NIfTI.ScalingApplied.</para>
/// <para>Dimensions: 1-, 2- and 3-D images. An image with more than one volume (dim[4..7] &gt; 1, e.g. fMRI) is rejected as
/// <see cref="ImageReadError.UnsupportedEncoding"/>: DeepSim compares single volumes and does not silently pick one.</para>
/// <para>Coordinates: NIfTI stores a RAS+ (right, anterior, superior) affine. DeepSim, like ITK and DICOM, uses LPS+
/// physical coordinates, so the reader negates the first two rows of the affine (x and y) exactly as ITK's NIfTI reader
/// does. Geometry comes from the sform when sform_code &gt; 0, else from the qform quaternion (with qfac = sign of
/// pixdim[0]) when qform_code &gt; 0, else from pixdim alone (NIfTI "method 1": voxel (i,j,k) at RAS (i*dx, j*dy, k*dz)).
/// Spacing is the length of each affine column, direction the normalised columns (shear is not removed), origin the
/// affine translation; so for the MNI templates (RAS affine diag(-2, 2, 2), translation (90, -126, -72)) the image has
/// spacing (2, 2, 2), direction diag(1, -1, 1) and origin (-90, 126, -72) in LPS.</para>
/// <para>Modality: NIfTI has no modality field; it is set only when the description (descrip) names exactly one of CT,
/// MR/MRI or PET as a word, else null. descrip, intent and the geometry source are kept in metadata.</para>
/// </remarks>
public sealed class NiftiReader : IImageReader
{
    /// <inheritdoc />
    public string FormatName => "NIfTI";

    /// <inheritdoc />
    public bool CanRead(string path, ReadOnlySpan<byte> head)
    {
        if (head.Length >= NiftiHeader.HeaderSize && NiftiHeader.HasMagic(head))
        {
            return true;
        }

        if (path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase))
        {
            return FormatIO.IsGzip(head);
        }

        if (path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdr", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return path.EndsWith(".img", StringComparison.OrdinalIgnoreCase) && File.Exists(Path.ChangeExtension(path, ".hdr"));
    }

    /// <inheritdoc />
    public IReadOnlyList<MedicalImage> Read(string path, CancellationToken cancellationToken = default)
    {
        if (path.EndsWith(".img", StringComparison.OrdinalIgnoreCase))
        {
            var hdr = Path.ChangeExtension(path, ".hdr");
            return [ReadPair(hdr, path, path, cancellationToken)];
        }

        if (path.EndsWith(".hdr", StringComparison.OrdinalIgnoreCase))
        {
            return [ReadPair(path, Path.ChangeExtension(path, ".img"), path, cancellationToken)];
        }

        using var stream = FormatIO.OpenRead(path, path);
        var head = FormatIO.ReadUpTo(stream, 2);
        stream.Position = 0;
        return FormatIO.IsGzip(head)
            ? [ReadCompressed(stream, path, cancellationToken)]
            : [ReadSingle(stream, path, cancellationToken)];
    }

    private static MedicalImage ReadSingle(FileStream stream, string path, CancellationToken cancellationToken)
    {
        var bytes = FormatIO.ReadUpTo(stream, NiftiHeader.HeaderSize);
        var header = NiftiHeader.Parse(bytes, path, singleFile: true);
        var dataBytes = header.VoxelCount * VoxelDecoding.SizeOf(header.Type);
        if (header.VoxOffset + dataBytes > stream.Length)
        {
            throw new ImageReadException(
                ImageReadError.DataSizeMismatch,
                path,
                $"the header declares {dataBytes} bytes of {header.DatatypeName} data at offset {header.VoxOffset} but the file has only {stream.Length} bytes.");
        }

        stream.Position = header.VoxOffset;
        return Decode(stream, header, path, ImageReadError.DataSizeMismatch, cancellationToken);
    }

    private static MedicalImage ReadCompressed(FileStream file, string path, CancellationToken cancellationToken)
    {
        var compressedLength = file.Length;
        using var gz = FormatIO.Gunzip(file);
        try
        {
            var bytes = FormatIO.ReadUpTo(gz, NiftiHeader.HeaderSize);
            var header = NiftiHeader.Parse(bytes, path, singleFile: true);
            var dataBytes = header.VoxelCount * VoxelDecoding.SizeOf(header.Type);
            ImageLimits.CheckDeflateBound(path, header.VoxOffset + dataBytes, compressedLength);
            var gap = header.VoxOffset - NiftiHeader.HeaderSize;
            if (FormatIO.Skip(gz, gap) < gap)
            {
                throw new ImageReadException(ImageReadError.Truncated, path, $"the compressed data ends before vox_offset {header.VoxOffset}.");
            }

            return Decode(gz, header, path, ImageReadError.Truncated, cancellationToken);
        }
        catch (Exception e) when (FormatIO.IsCorruptCompressed(e))
        {
            throw FormatIO.CorruptCompressed(path, e);
        }
    }

    private static MedicalImage ReadPair(string headerPath, string dataPath, string reportPath, CancellationToken cancellationToken)
    {
        NiftiHeader header;
        using (var hs = FormatIO.OpenRead(headerPath, reportPath))
        {
            header = NiftiHeader.Parse(FormatIO.ReadUpTo(hs, NiftiHeader.HeaderSize), reportPath, singleFile: false);
        }

        using var data = FormatIO.OpenRead(dataPath, reportPath);
        var dataBytes = header.VoxelCount * VoxelDecoding.SizeOf(header.Type);
        if (header.VoxOffset + dataBytes > data.Length)
        {
            throw new ImageReadException(
                ImageReadError.DataSizeMismatch,
                reportPath,
                $"the header declares {dataBytes} bytes of {header.DatatypeName} data at offset {header.VoxOffset} but '{dataPath}' has only {data.Length} bytes.");
        }

        data.Position = header.VoxOffset;
        return Decode(data, header, reportPath, ImageReadError.DataSizeMismatch, cancellationToken);
    }

    private static MedicalImage Decode(Stream stream, NiftiHeader header, string path, ImageReadError shortDataError, CancellationToken cancellationToken)
    {
        var voxels = new float[header.VoxelCount];
        var got = VoxelDecoding.Fill(stream, header.Type, header.BigEndian, voxels, cancellationToken);
        if (got < voxels.LongLength)
        {
            throw new ImageReadException(shortDataError, path, $"the image data ends after {got} of {voxels.LongLength} voxels.");
        }

        var metadata = header.Metadata();
        if (header.ScalingApplies)
        {
            var slope = (double)header.SclSlope;
            var inter = float.IsFinite(header.SclInter) ? header.SclInter : 0.0;
            for (var i = 0; i < voxels.Length; i++)
            {
                voxels[i] = (float)((voxels[i] * slope) + inter);
            }
        }

        return new MedicalImage(voxels, header.SizeX, header.SizeY, header.SizeZ, header.Geometry, header.Modality, path, "NIfTI", metadata);
    }
}
