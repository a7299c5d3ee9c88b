using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

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
    private const int HeaderSize = 348;
    private const int SingleFileDataStart = 352;

    /// <inheritdoc />
    public string FormatName => "NIfTI";

    /// <inheritdoc />
    public bool CanRead(string path, ReadOnlySpan<byte> head)
    {
        if (head.Length >= HeaderSize && HasMagic(head))
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

    private static bool HasMagic(ReadOnlySpan<byte> head) =>
        (head[344] == (byte)'n' && (head[345] == (byte)'+' || head[345] == (byte)'i') && head[346] == (byte)'1' && head[347] == 0);

    private static MedicalImage ReadSingle(FileStream stream, string path, CancellationToken cancellationToken)
    {
        var bytes = FormatIO.ReadUpTo(stream, HeaderSize);
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
            var bytes = FormatIO.ReadUpTo(gz, HeaderSize);
            var header = NiftiHeader.Parse(bytes, path, singleFile: true);
            var dataBytes = header.VoxelCount * VoxelDecoding.SizeOf(header.Type);
            ImageLimits.CheckDeflateBound(path, header.VoxOffset + dataBytes, compressedLength);
            var gap = header.VoxOffset - HeaderSize;
            if (FormatIO.Skip(gz, gap) < gap)
            {
                throw new ImageReadException(ImageReadError.Truncated, path, $"the compressed data ends before vox_offset {header.VoxOffset}.");
            }

            return Decode(gz, header, path, ImageReadError.Truncated, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw FormatIO.CorruptCompressed(path, e);
        }
    }

    private static MedicalImage ReadPair(string headerPath, string dataPath, string reportPath, CancellationToken cancellationToken)
    {
        NiftiHeader header;
        using (var hs = FormatIO.OpenRead(headerPath, reportPath))
        {
            header = NiftiHeader.Parse(FormatIO.ReadUpTo(hs, HeaderSize), reportPath, singleFile: false);
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

    /// <summary>The fields of a NIfTI-1 header DeepSim uses.</summary>
    private sealed class NiftiHeader
    {
        public required bool BigEndian { get; init; }

        public required int SizeX { get; init; }

        public required int SizeY { get; init; }

        public required int SizeZ { get; init; }

        public required long VoxelCount { get; init; }

        public required VoxelType Type { get; init; }

        public required string DatatypeName { get; init; }

        public required long VoxOffset { get; init; }

        public required float SclSlope { get; init; }

        public required float SclInter { get; init; }

        public required ImageGeometry Geometry { get; init; }

        public required string GeometrySource { get; init; }

        public required string Description { get; init; }

        public required Dictionary<string, string> Fields { get; init; }

        public bool ScalingApplies => float.IsFinite(SclSlope) && SclSlope != 0 && !(SclSlope == 1 && (SclInter == 0 || !float.IsFinite(SclInter)));

        public string? Modality
        {
            get
            {
                var found = new List<string>();
                if (Regex.IsMatch(Description, @"\bCT\b"))
                {
                    found.Add("CT");
                }

                if (Regex.IsMatch(Description, @"\bMRI?\b"))
                {
                    found.Add("MR");
                }

                if (Regex.IsMatch(Description, @"\bPET\b"))
                {
                    found.Add("PT");
                }

                return found.Count == 1 ? found[0] : null;
            }
        }

        public Dictionary<string, string> Metadata()
        {
            var m = new Dictionary<string, string>(Fields)
            {
                ["NIfTI.ScalingApplied"] = ScalingApplies ? "true" : "false",
                ["NIfTI.GeometrySource"] = GeometrySource,
            };
            return m;
        }

        public static NiftiHeader Parse(byte[] h, string path, bool singleFile)
        {
            if (h.Length < HeaderSize)
            {
                throw new ImageReadException(ImageReadError.Truncated, path, $"the file ends inside the {HeaderSize}-byte NIfTI header.", h.Length);
            }

            bool big;
            if (BinaryPrimitives.ReadInt32LittleEndian(h) == HeaderSize)
            {
                big = false;
            }
            else if (BinaryPrimitives.ReadInt32BigEndian(h) == HeaderSize)
            {
                big = true;
            }
            else if (BinaryPrimitives.ReadInt32LittleEndian(h) == 540 || BinaryPrimitives.ReadInt32BigEndian(h) == 540)
            {
                throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, "NIfTI-2 headers are not supported (only NIfTI-1).", 0);
            }
            else
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"sizeof_hdr is {BinaryPrimitives.ReadInt32LittleEndian(h)}, not 348 in either byte order.", 0);
            }

            short I16(int o) => big ? BinaryPrimitives.ReadInt16BigEndian(h.AsSpan(o)) : BinaryPrimitives.ReadInt16LittleEndian(h.AsSpan(o));
            float F32(int o) => big ? BinaryPrimitives.ReadSingleBigEndian(h.AsSpan(o)) : BinaryPrimitives.ReadSingleLittleEndian(h.AsSpan(o));
            string Text(int o, int n) => Encoding.ASCII.GetString(h, o, n).Split('\0')[0].Trim();

            var magic = Encoding.ASCII.GetString(h, 344, 4);
            var expected = singleFile ? "n+1\0" : "ni1\0";
            if (magic != expected)
            {
                if (!singleFile && magic[0] != 'n')
                {
                    throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, "an Analyze 7.5 header without the NIfTI magic 'ni1' is not supported.", 344);
                }

                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"NIfTI magic is '{magic.TrimEnd('\0')}', expected '{expected.TrimEnd('\0')}'.", 344);
            }

            int rank = I16(40);
            if (rank < 1 || rank > 7)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"dim[0] is {rank}, not 1..7.", 40);
            }

            var dims = new long[rank];
            for (var i = 0; i < rank; i++)
            {
                dims[i] = I16(42 + (2 * i));
            }

            var count = ImageLimits.CheckDimensions(path, dims);
            for (var i = 3; i < rank; i++)
            {
                if (dims[i] > 1)
                {
                    throw new ImageReadException(
                        ImageReadError.UnsupportedEncoding,
                        path,
                        $"the image has {rank} dimensions ({string.Join("x", dims)}); DeepSim reads single 2D/3D volumes only.");
                }
            }

            int datatype = I16(70);
            var (type, typeName) = datatype switch
            {
                2 => (VoxelType.UInt8, "uint8"),
                4 => (VoxelType.Int16, "int16"),
                8 => (VoxelType.Int32, "int32"),
                16 => (VoxelType.Float32, "float32"),
                64 => (VoxelType.Float64, "float64"),
                256 => (VoxelType.Int8, "int8"),
                512 => (VoxelType.UInt16, "uint16"),
                768 => (VoxelType.UInt32, "uint32"),
                1024 => (VoxelType.Int64, "int64"),
                1280 => (VoxelType.UInt64, "uint64"),
                _ => (VoxelType.UInt8, (string?)null),
            };
            if (typeName is null)
            {
                var name = datatype switch
                {
                    1 => "binary (1 bit)",
                    32 => "complex64",
                    128 => "RGB24",
                    1536 => "float128",
                    1792 => "complex128",
                    2048 => "complex256",
                    2304 => "RGBA32",
                    _ => "unknown",
                };
                var error = name == "unknown" ? ImageReadError.CorruptHeader : ImageReadError.UnsupportedEncoding;
                throw new ImageReadException(error, path, $"NIfTI datatype {datatype} ({name}) is not supported.", 70);
            }

            var pixdim = new double[8];
            for (var i = 0; i < 8; i++)
            {
                pixdim[i] = F32(76 + (4 * i));
            }

            var voxOffsetRaw = F32(108);
            if (!float.IsFinite(voxOffsetRaw) || voxOffsetRaw < 0 || voxOffsetRaw != Math.Floor(voxOffsetRaw) || voxOffsetRaw > int.MaxValue)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"vox_offset {voxOffsetRaw.ToString(CultureInfo.InvariantCulture)} is not a valid byte offset.", 108);
            }

            var voxOffset = (long)voxOffsetRaw;
            if (singleFile && voxOffset < SingleFileDataStart)
            {
                if (voxOffset != 0)
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, path, $"vox_offset {voxOffset} lies inside the header (must be at least 352).", 108);
                }

                voxOffset = SingleFileDataStart;
            }

            var slope = F32(112);
            var inter = F32(116);
            var qformCode = I16(252);
            var sformCode = I16(254);
            var description = Text(148, 80);
            var (geometry, source) = BuildGeometry(h, F32, qformCode, sformCode, pixdim, path);

            var fields = new Dictionary<string, string>
            {
                ["NIfTI.descrip"] = description,
                ["NIfTI.datatype"] = typeName,
                ["NIfTI.scl_slope"] = slope.ToString("R", CultureInfo.InvariantCulture),
                ["NIfTI.scl_inter"] = inter.ToString("R", CultureInfo.InvariantCulture),
                ["NIfTI.qform_code"] = qformCode.ToString(CultureInfo.InvariantCulture),
                ["NIfTI.sform_code"] = sformCode.ToString(CultureInfo.InvariantCulture),
                ["NIfTI.intent_code"] = I16(68).ToString(CultureInfo.InvariantCulture),
                ["NIfTI.intent_name"] = Text(328, 16),
                ["NIfTI.aux_file"] = Text(228, 24),
                ["NIfTI.xyzt_units"] = h[123].ToString(CultureInfo.InvariantCulture),
                ["NIfTI.ByteOrder"] = big ? "big-endian" : "little-endian",
            };

            return new NiftiHeader
            {
                BigEndian = big,
                SizeX = (int)dims[0],
                SizeY = rank > 1 ? (int)dims[1] : 1,
                SizeZ = rank > 2 ? (int)dims[2] : 1,
                VoxelCount = count,
                Type = type,
                DatatypeName = typeName,
                VoxOffset = voxOffset,
                SclSlope = slope,
                SclInter = inter,
                Geometry = geometry,
                GeometrySource = source,
                Description = description,
                Fields = fields,
            };
        }

        private static (ImageGeometry Geometry, string Source) BuildGeometry(byte[] h, Func<int, float> f32, short qformCode, short sformCode, double[] pixdim, string path)
        {
            if (sformCode > 0)
            {
                var ras = new double[12];
                for (var i = 0; i < 12; i++)
                {
                    ras[i] = f32(280 + (4 * i));
                }

                if (ras.Any(v => !double.IsFinite(v)))
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, path, "the sform holds a non-finite value.", 280);
                }

                var g = FromRasAffine(ras);
                if (g is not null)
                {
                    return (g, "sform");
                }
            }

            if (qformCode > 0)
            {
                double b = f32(256), c = f32(260), d = f32(264);
                double qx = f32(268), qy = f32(272), qz = f32(276);
                if (!new[] { b, c, d, qx, qy, qz }.All(double.IsFinite))
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, path, "the qform holds a non-finite value.", 256);
                }

                var a = 1.0 - ((b * b) + (c * c) + (d * d));
                if (a < 1e-7)
                {
                    var norm = Math.Sqrt((b * b) + (c * c) + (d * d));
                    b /= norm;
                    c /= norm;
                    d /= norm;
                    a = 0;
                }
                else
                {
                    a = Math.Sqrt(a);
                }

                var qfac = pixdim[0] < 0 ? -1.0 : 1.0;
                var dx = PositiveOrOne(pixdim[1]);
                var dy = PositiveOrOne(pixdim[2]);
                var dz = PositiveOrOne(pixdim[3]) * qfac;
                double[] r =
                [
                    (a * a) + (b * b) - (c * c) - (d * d), 2 * ((b * c) - (a * d)), 2 * ((b * d) + (a * c)),
                    2 * ((b * c) + (a * d)), (a * a) + (c * c) - (b * b) - (d * d), 2 * ((c * d) - (a * b)),
                    2 * ((b * d) - (a * c)), 2 * ((c * d) + (a * b)), (a * a) + (d * d) - (c * c) - (b * b),
                ];
                double[] ras =
                [
                    r[0] * dx, r[1] * dy, r[2] * dz, qx,
                    r[3] * dx, r[4] * dy, r[5] * dz, qy,
                    r[6] * dx, r[7] * dy, r[8] * dz, qz,
                ];
                var g = FromRasAffine(ras);
                if (g is not null)
                {
                    return (g, "qform");
                }
            }

            double[] basic =
            [
                PositiveOrOne(pixdim[1]), 0, 0, 0,
                0, PositiveOrOne(pixdim[2]), 0, 0,
                0, 0, PositiveOrOne(pixdim[3]), 0,
            ];
            return (FromRasAffine(basic)!, "pixdim");
        }

        private static double PositiveOrOne(double v) => double.IsFinite(v) && v != 0 ? Math.Abs(v) : 1.0;

        /// <summary>RAS 3x4 affine (row-major) to an LPS geometry; null when a column is degenerate.</summary>
        private static ImageGeometry? FromRasAffine(double[] ras)
        {
            var lps = (double[])ras.Clone();
            for (var col = 0; col < 4; col++)
            {
                lps[col] = -lps[col];
                lps[4 + col] = -lps[4 + col];
            }

            var spacing = new double[3];
            var direction = new double[9];
            for (var j = 0; j < 3; j++)
            {
                var norm = Math.Sqrt((lps[j] * lps[j]) + (lps[4 + j] * lps[4 + j]) + (lps[8 + j] * lps[8 + j]));
                if (!(norm > 0) || !double.IsFinite(norm))
                {
                    return null;
                }

                spacing[j] = norm;
                for (var i = 0; i < 3; i++)
                {
                    direction[(3 * i) + j] = lps[(4 * i) + j] / norm;
                }
            }

            return new ImageGeometry(spacing, [lps[3], lps[7], lps[11]], direction);
        }
    }
}
