using System.IO.Compression;
using System.Text;

namespace DeepSim.Imaging.Formats;

/// <summary>
/// Reads ITK MetaImage files: <c>.mha</c> (header and data in one file, ElementDataFile = LOCAL) and <c>.mhd</c> with a
/// separate data file (<c>.raw</c>, or zlib-compressed <c>.zraw</c> with CompressedData = True).
/// </summary>
/// <remarks>
/// <para>Supported: NDims 1-3; ElementType MET_UCHAR, MET_CHAR, MET_USHORT, MET_SHORT, MET_UINT, MET_INT, MET_ULONG and
/// MET_LONG (4 bytes, as MetaIO defines them), MET_ULONG_LONG, MET_LONG_LONG, MET_FLOAT, MET_DOUBLE; byte order from
/// BinaryDataByteOrderMSB or ElementByteOrderMSB; HeaderSize (as MetaIO reads it: the data start at that absolute byte
/// offset of the data file, which for a LOCAL file counts from the start of the .mha; -1 = the data are the last bytes
/// of the file); CompressedDataSize.
/// Multi-channel (ElementNumberOfChannels &gt; 1), ASCII data and per-slice data file lists are
/// <see cref="ImageReadError.UnsupportedEncoding"/>.</para>
/// <para>Geometry: spacing from ElementSpacing (else ElementSize, else 1), origin from Offset / Origin / Position,
/// direction from TransformMatrix / Rotation / Orientation read as ITK reads it: the N*N values list the direction of
/// index axis 0, then of axis 1 ..., i.e. they are the columns of <see cref="MedicalImage.Direction"/>. MetaImage
/// coordinates are ITK's LPS, the same as DeepSim's, so no conversion is applied.</para>
/// <para>Modality from Modality (MET_MOD_CT = CT, MET_MOD_MR = MR, MET_MOD_NM = NM, MET_MOD_US = US,
/// MET_MOD_OTHER = OT). Every header key is kept in <see cref="MedicalImage.Metadata"/> as "MetaImage.Key".</para>
/// </remarks>
public sealed class MetaImageReader : IImageReader
{
    /// <inheritdoc />
    public string FormatName => "MetaImage";

    /// <inheritdoc />
    public bool CanRead(string path, ReadOnlySpan<byte> head)
    {
        if (path.EndsWith(".mha", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".mhd", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var text = Encoding.Latin1.GetString(head[..Math.Min(head.Length, 64)]).TrimStart();
        return (text.StartsWith("ObjectType", StringComparison.Ordinal) || text.StartsWith("NDims", StringComparison.Ordinal)) && text.Contains('=');
    }

    /// <inheritdoc />
    public IReadOnlyList<MedicalImage> Read(string path, CancellationToken cancellationToken = default)
    {
        MetaImageHeader header;
        using (var hs = FormatIO.OpenRead(path, path))
        {
            var text = FormatIO.ReadUpTo(hs, (int)Math.Min(hs.Length, MetaImageHeader.MaxHeaderBytes));
            header = MetaImageHeader.Parse(text, hs.Length, path);
        }

        var dataPath = header.IsLocal
            ? path
            : Path.IsPathRooted(header.DataFile) ? header.DataFile : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", header.DataFile);
        using var data = FormatIO.OpenRead(dataPath, path);
        long start;
        if (header.HeaderSkip == -1)
        {
            if (header.DataBytes > data.Length - (header.IsLocal ? header.HeaderEnd : 0))
            {
                throw new ImageReadException(
                    ImageReadError.DataSizeMismatch,
                    path,
                    $"the header declares {header.DataBytes} bytes of {header.ElementTypeName} data but '{dataPath}' holds only {data.Length} bytes{(header.IsLocal ? " including the header" : "")}.");
            }

            start = data.Length - header.DataBytes;
        }
        else
        {
            start = header.HeaderSkip > 0 ? header.HeaderSkip : header.IsLocal ? header.HeaderEnd : 0;
        }

        float[] voxels;
        if (!header.Compressed)
        {
            if (start + header.DataBytes > data.Length)
            {
                throw new ImageReadException(
                    ImageReadError.DataSizeMismatch,
                    path,
                    $"the header declares {header.DataBytes} bytes of {header.ElementTypeName} data from byte {start} but '{Path.GetFileName(dataPath)}' has only {data.Length} bytes.");
            }

            data.Position = start;
            voxels = new float[header.VoxelCount];
            var got = VoxelDecoding.Fill(data, header.Type, header.BigEndian, voxels, cancellationToken);
            if (got < voxels.LongLength)
            {
                throw new ImageReadException(ImageReadError.Truncated, path, $"'{dataPath}' ended after {got} of {voxels.LongLength} voxels.");
            }
        }
        else
        {
            var available = data.Length - start;
            if (available <= 0)
            {
                throw new ImageReadException(ImageReadError.DataSizeMismatch, path, $"'{Path.GetFileName(dataPath)}' holds no compressed data after byte {start}.");
            }

            if (header.CompressedSize is long declared && declared > available)
            {
                throw new ImageReadException(
                    ImageReadError.DataSizeMismatch,
                    path,
                    $"CompressedDataSize = {declared} but '{Path.GetFileName(dataPath)}' holds only {available} bytes of data.");
            }

            ImageLimits.CheckDeflateBound(path, header.DataBytes, header.CompressedSize ?? available);
            data.Position = start;
            voxels = new float[header.VoxelCount];
            using var inflater = new ZLibStream(data, CompressionMode.Decompress, leaveOpen: true);
            long got;
            try
            {
                got = VoxelDecoding.Fill(inflater, header.Type, header.BigEndian, voxels, cancellationToken);
            }
            catch (Exception e) when (FormatIO.IsCorruptCompressed(e))
            {
                throw FormatIO.CorruptCompressed(path, e);
            }

            if (got < voxels.LongLength)
            {
                throw new ImageReadException(
                    ImageReadError.DataSizeMismatch,
                    path,
                    $"the compressed data in '{Path.GetFileName(dataPath)}' inflates to {got * VoxelDecoding.SizeOf(header.Type)} bytes, the header declares {header.DataBytes}.");
            }
        }

        var metadata = new Dictionary<string, string>();
        foreach (var (key, value) in header.Entries)
        {
            metadata["MetaImage." + key] = value;
        }

        return [new MedicalImage(voxels, header.Size[0], header.Size[1], header.Size[2], header.Geometry, header.Modality, path, "MetaImage", metadata)];
    }

    /// <summary>Reads only the header of a MetaImage file and returns its geometry and size (no data file is opened).</summary>
    public static (int[] Size, ImageGeometry Geometry, string? Modality) ReadHeader(string path)
    {
        using var hs = FormatIO.OpenRead(path, path);
        var text = FormatIO.ReadUpTo(hs, (int)Math.Min(hs.Length, MetaImageHeader.MaxHeaderBytes));
        var header = MetaImageHeader.Parse(text, hs.Length, path);
        return ([.. header.Size], header.Geometry, header.Modality);
    }
}
