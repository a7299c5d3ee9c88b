using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace DeepSim.Imaging.Formats;

/// <summary>
/// Writes a <see cref="MedicalImage"/> as a single-file NIfTI-1 image (<c>.nii</c>, or gzip-compressed <c>.nii.gz</c>),
/// float32 little-endian, readable by <see cref="NiftiReader"/>, nibabel, ITK, FSL and 3D Slicer.
/// </summary>
/// <remarks>
/// <para>Voxels are float32 in DeepSim, so datatype 16 (float32) stores them bit for bit; scl_slope = 1, scl_inter = 0.
/// An image with one slice is written with dim[0] = 2 (nibabel reads it as a 2D array), any other with dim[0] = 3.</para>
/// <para>Coordinates: DeepSim's geometry is LPS+ (ITK, DICOM); NIfTI stores RAS+. The writer is the exact inverse of
/// <see cref="NiftiReader"/>: the LPS affine (column j = direction column j times spacing j, translation = origin) has
/// its first two rows negated and is written as the sform (srow_x/y/z). When the direction is orthonormal the same
/// geometry is also written as the qform (quaternion, qfac = -1 in pixdim[0] for a left-handed frame), as ITK does;
/// otherwise qform_code is 0. sform_code and qform_code keep the codes of an image read from NIfTI
/// (metadata NIfTI.sform_code / NIfTI.qform_code, when 1..4), else 1 (scanner anatomical). pixdim[1..3] hold the spacing.</para>
/// <para>descrip keeps an image's NIfTI description when it has one; otherwise it is "DeepSim" followed by the modality
/// (CT, MR, PET) so that <see cref="NiftiReader"/> recovers the modality.</para>
/// <para>The write is atomic (<see cref="DeepSim.IO.AtomicFile"/>): a reader never sees half a file and a failed or
/// cancelled write leaves any existing file untouched.</para>
/// </remarks>
public static class NiftiWriter
{
    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> (.nii or .nii.gz), replacing any existing file.</summary>
    /// <exception cref="ArgumentException">The path ends in neither .nii nor .nii.gz, or the image is too large for NIfTI-1.</exception>
    /// <exception cref="IOException">The folder is missing or not writable.</exception>
    public static void Write(MedicalImage image, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var compressed = path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);
        if (!compressed && !path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"NiftiWriter writes .nii or .nii.gz files; '{path}' ends in neither.", nameof(path));
        }

        if (image.SizeX > short.MaxValue || image.SizeY > short.MaxValue || image.SizeZ > short.MaxValue)
        {
            throw new ArgumentException($"NIfTI-1 stores at most {short.MaxValue} voxels per axis; the image is {image.SizeX}x{image.SizeY}x{image.SizeZ}.", nameof(image));
        }

        var header = BuildHeader(image);
        DeepSim.IO.AtomicFile.Write(Path.GetFullPath(path), file =>
        {
            if (compressed)
            {
                using var gz = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true);
                WriteBody(gz, header, image.VoxelSpan, cancellationToken);
            }
            else
            {
                WriteBody(file, header, image.VoxelSpan, cancellationToken);
            }
        });
    }

    /// <summary>The 348-byte header plus the 4-byte empty extension field, for <paramref name="image"/>.</summary>
    internal static byte[] BuildHeader(MedicalImage image)
    {
        var h = new byte[NiftiHeader.SingleFileDataStart];
        void I16(int o, int v) => BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(o), checked((short)v));
        void F32(int o, double v) => BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(o), (float)v);
        void Text(int o, int n, string s)
        {
            var bytes = Encoding.ASCII.GetBytes(new string([.. s.Select(c => c is >= ' ' and <= '~' ? c : '?')]));
            bytes.AsSpan(0, Math.Min(bytes.Length, n - 1)).CopyTo(h.AsSpan(o));
        }

        BinaryPrimitives.WriteInt32LittleEndian(h, NiftiHeader.HeaderSize);
        h[38] = (byte)'r';
        var planar = image.SizeZ == 1;
        I16(40, planar ? 2 : 3);
        I16(42, image.SizeX);
        I16(44, image.SizeY);
        I16(46, image.SizeZ);
        for (var i = 4; i < 8; i++)
        {
            I16(40 + (2 * i), 1);
        }

        I16(70, 16);
        I16(72, 32);

        var g = image.Geometry;
        var ras = RasAffine(g);
        var qform = Quaternion(g);
        F32(76, qform?.Qfac ?? 1.0);
        F32(80, g.Spacing[0]);
        F32(84, g.Spacing[1]);
        F32(88, g.Spacing[2]);
        for (var i = 4; i < 8; i++)
        {
            F32(76 + (4 * i), 1.0);
        }

        F32(108, NiftiHeader.SingleFileDataStart);
        F32(112, 1.0);
        F32(116, 0.0);
        h[123] = 2; // NIFTI_UNITS_MM
        Text(148, 80, Description(image));

        I16(252, qform is null ? 0 : Code(image, "NIfTI.qform_code"));
        I16(254, Code(image, "NIfTI.sform_code"));
        if (qform is { } q)
        {
            F32(256, q.B);
            F32(260, q.C);
            F32(264, q.D);
            F32(268, ras[3]);
            F32(272, ras[7]);
            F32(276, ras[11]);
        }

        for (var i = 0; i < 12; i++)
        {
            F32(280 + (4 * i), ras[i]);
        }

        h[344] = (byte)'n';
        h[345] = (byte)'+';
        h[346] = (byte)'1';
        return h;
    }

    /// <summary>The RAS 3x4 affine (row-major) of an LPS geometry: the exact inverse of the reader's conversion.</summary>
    internal static double[] RasAffine(ImageGeometry g)
    {
        var a = new double[12];
        for (var row = 0; row < 3; row++)
        {
            var sign = row < 2 ? -1.0 : 1.0;
            for (var col = 0; col < 3; col++)
            {
                a[(4 * row) + col] = sign * g.Direction[(3 * row) + col] * g.Spacing[col];
            }

            a[(4 * row) + 3] = sign * g.Origin[row];
        }

        return a;
    }

    private static void WriteBody(Stream stream, byte[] header, ReadOnlySpan<float> voxels, CancellationToken cancellationToken)
    {
        stream.Write(header);
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

    private static short Code(MedicalImage image, string key) =>
        image.Metadata.TryGetValue(key, out var text) && short.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) && code is >= 1 and <= 4
            ? code
            : (short)1;

    private static string Description(MedicalImage image)
    {
        if (image.Metadata.TryGetValue("NIfTI.descrip", out var d) && !string.IsNullOrWhiteSpace(d))
        {
            return d;
        }

        return image.Modality switch
        {
            "CT" => "DeepSim CT",
            "MR" => "DeepSim MR",
            "PT" => "DeepSim PET",
            _ => "DeepSim",
        };
    }

    /// <summary>
    /// The qform of the geometry's RAS rotation (NIfTI's nifti_mat44_to_quatern for an orthonormal matrix), or null
    /// when the direction is not orthonormal (a qform cannot hold shear).
    /// </summary>
    private static (double B, double C, double D, double Qfac)? Quaternion(ImageGeometry g)
    {
        var r = new double[9];
        for (var row = 0; row < 3; row++)
        {
            var sign = row < 2 ? -1.0 : 1.0;
            for (var col = 0; col < 3; col++)
            {
                r[(3 * row) + col] = sign * g.Direction[(3 * row) + col];
            }
        }

        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                var dot = (r[i] * r[j]) + (r[3 + i] * r[3 + j]) + (r[6 + i] * r[6 + j]);
                if (Math.Abs(dot - (i == j ? 1.0 : 0.0)) > 1e-6)
                {
                    return null;
                }
            }
        }

        var det = (r[0] * ((r[4] * r[8]) - (r[5] * r[7]))) - (r[1] * ((r[3] * r[8]) - (r[5] * r[6]))) + (r[2] * ((r[3] * r[7]) - (r[4] * r[6])));
        var qfac = 1.0;
        if (det < 0)
        {
            qfac = -1.0;
            r[2] = -r[2];
            r[5] = -r[5];
            r[8] = -r[8];
        }

        double r11 = r[0], r12 = r[1], r13 = r[2], r21 = r[3], r22 = r[4], r23 = r[5], r31 = r[6], r32 = r[7], r33 = r[8];
        double a, b, c, d;
        var trace = r11 + r22 + r33 + 1.0;
        if (trace > 0.5)
        {
            a = 0.5 * Math.Sqrt(trace);
            b = 0.25 * (r32 - r23) / a;
            c = 0.25 * (r13 - r31) / a;
            d = 0.25 * (r21 - r12) / a;
        }
        else
        {
            var xd = 1.0 + r11 - (r22 + r33);
            var yd = 1.0 + r22 - (r11 + r33);
            var zd = 1.0 + r33 - (r11 + r22);
            if (xd > 1.0)
            {
                b = 0.5 * Math.Sqrt(xd);
                c = 0.25 * (r12 + r21) / b;
                d = 0.25 * (r13 + r31) / b;
                a = 0.25 * (r32 - r23) / b;
            }
            else if (yd > 1.0)
            {
                c = 0.5 * Math.Sqrt(yd);
                b = 0.25 * (r12 + r21) / c;
                d = 0.25 * (r23 + r32) / c;
                a = 0.25 * (r13 - r31) / c;
            }
            else
            {
                d = 0.5 * Math.Sqrt(zd);
                b = 0.25 * (r13 + r31) / d;
                c = 0.25 * (r23 + r32) / d;
                a = 0.25 * (r21 - r12) / d;
            }

            if (a < 0)
            {
                b = -b;
                c = -c;
                d = -d;
            }
        }

        return (b, c, d, qfac);
    }
}
