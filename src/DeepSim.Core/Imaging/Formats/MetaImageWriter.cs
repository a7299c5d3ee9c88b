using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DeepSim.Imaging.Formats;

/// <summary>
/// Writes a <see cref="MedicalImage"/> as MetaImage, MET_FLOAT little-endian, uncompressed: a single file (<c>.mha</c>,
/// ElementDataFile = LOCAL) or a header with a companion data file (<c>.mhd</c> + <c>.raw</c> of the same base name),
/// readable by <see cref="MetaImageReader"/>, ITK, 3D Slicer and ITK-SNAP.
/// </summary>
/// <remarks>
/// Voxels are float32 in DeepSim, so MET_FLOAT stores them exactly. A 2D image whose geometry stays in the z = 0 plane
/// is written with NDims = 2; any other image with NDims = 3. Spacing, origin and direction are written as ITK writes
/// them (TransformMatrix axis by axis, i.e. the columns of <see cref="MedicalImage.Direction"/>), modality as MET_MOD_*.
/// Metadata entries named "MetaImage.Key" whose key is not one the writer sets itself are written back as header lines.
/// The write is atomic: the file is written under a temporary name in the same folder and then renamed over the
/// target path, so a reader never sees half a file and a failed write leaves any existing file untouched. For
/// <c>.mhd</c> the <c>.raw</c> data file is written (atomically) first and the header last, so the header never names
/// data that is not there yet.
/// </remarks>
public static class MetaImageWriter
{
    private static readonly HashSet<string> ReservedKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "ObjectType", "NDims", "BinaryData", "BinaryDataByteOrderMSB", "ElementByteOrderMSB", "CompressedData",
        "CompressedDataSize", "TransformMatrix", "Rotation", "Orientation", "Offset", "Origin", "Position",
        "CenterOfRotation", "ElementSpacing", "ElementSize", "DimSize", "HeaderSize", "ElementType", "ElementDataFile",
        "ElementNumberOfChannels", "Modality", "AnatomicalOrientation", "ElementMin", "ElementMax",
    };

    /// <summary>
    /// Writes <paramref name="image"/> to <paramref name="path"/> (.mha, or .mhd with its .raw beside it), replacing any
    /// existing file.
    /// </summary>
    /// <exception cref="ArgumentException">The path ends in neither .mha nor .mhd.</exception>
    /// <exception cref="IOException">The folder is missing or not writable.</exception>
    public static void Write(MedicalImage image, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        if (path.EndsWith(".mhd", StringComparison.OrdinalIgnoreCase))
        {
            var raw = DataFilePath(full);
            DeepSim.IO.AtomicFile.Write(raw, stream => WriteVoxels(stream, image.VoxelSpan, cancellationToken));
            DeepSim.IO.AtomicFile.WriteAllBytes(full, Encoding.ASCII.GetBytes(BuildHeader(image, Path.GetFileName(raw))));
            return;
        }

        if (!path.EndsWith(".mha", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"MetaImageWriter writes .mha or .mhd images; '{path}' ends in neither.", nameof(path));
        }

        DeepSim.IO.AtomicFile.Write(full, stream =>
        {
            stream.Write(Encoding.ASCII.GetBytes(BuildHeader(image, "LOCAL")));
            WriteVoxels(stream, image.VoxelSpan, cancellationToken);
        });
    }

    /// <summary>The data file that goes with a .mhd header: the same path with the extension .raw.</summary>
    public static string DataFilePath(string headerPath) => Path.ChangeExtension(headerPath, ".raw");

    private static void WriteVoxels(Stream stream, ReadOnlySpan<float> voxels, CancellationToken cancellationToken)
    {
        const int ChunkVoxels = 1 << 18;
        var buffer = new byte[Math.Min(ChunkVoxels, Math.Max(1, voxels.Length)) * 4];
        for (var start = 0; start < voxels.Length; start += ChunkVoxels)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(ChunkVoxels, voxels.Length - start);
            for (var i = 0; i < n; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), voxels[start + i]);
            }

            stream.Write(buffer, 0, n * 4);
        }
    }

    private static string BuildHeader(MedicalImage image, string dataFile)
    {
        var g = image.Geometry;
        var d = g.Direction;
        var planar = image.SizeZ == 1 && g.Origin[2] == 0 && d[2] == 0 && d[5] == 0 && d[6] == 0 && d[7] == 0 && d[8] == 1;
        var n = planar ? 2 : 3;
        var sb = new StringBuilder();
        void Line(string key, string value) => sb.Append(key).Append(" = ").Append(value).Append('\n');
        string Join(IEnumerable<double> values) => string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

        Line("ObjectType", "Image");
        Line("NDims", n.ToString(CultureInfo.InvariantCulture));
        Line("BinaryData", "True");
        Line("BinaryDataByteOrderMSB", "False");
        Line("CompressedData", "False");
        var matrix = new List<double>();
        for (var axis = 0; axis < n; axis++)
        {
            for (var row = 0; row < n; row++)
            {
                matrix.Add(d[(row * 3) + axis]);
            }
        }

        Line("TransformMatrix", Join(matrix));
        Line("Offset", Join(g.Origin.Take(n)));
        Line("CenterOfRotation", Join(Enumerable.Repeat(0.0, n)));
        Line("ElementSpacing", Join(g.Spacing.Take(n)));
        Line("DimSize", string.Join(" ", image.Size.Take(n).Select(s => s.ToString(CultureInfo.InvariantCulture))));
        var modality = image.Modality switch
        {
            "CT" => "MET_MOD_CT",
            "MR" => "MET_MOD_MR",
            "NM" => "MET_MOD_NM",
            "US" => "MET_MOD_US",
            null => null,
            _ => "MET_MOD_OTHER",
        };
        if (modality is not null)
        {
            Line("Modality", modality);
        }

        foreach (var (key, value) in image.Metadata)
        {
            if (key.StartsWith("MetaImage.", StringComparison.Ordinal))
            {
                var name = key["MetaImage.".Length..];
                if (name.Length > 0 && !ReservedKeys.Contains(name) && !name.Contains('=') && !name.Any(char.IsWhiteSpace) &&
                    !value.Contains('\n') && !value.Contains('\r'))
                {
                    Line(name, value);
                }
            }
        }

        Line("ElementType", "MET_FLOAT");
        Line("ElementDataFile", dataFile);
        return sb.ToString();
    }
}
