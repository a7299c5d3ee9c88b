using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DeepSim.Imaging.Formats;

/// <summary>The fields of a NIfTI-1 header DeepSim uses.</summary>
internal sealed class NiftiHeader
{
    /// <summary>sizeof_hdr of NIfTI-1: the header is 348 bytes.</summary>
    public const int HeaderSize = 348;

    /// <summary>Where a single-file image's data starts at the earliest (the header and a 4-byte extension flag).</summary>
    public const int SingleFileDataStart = 352;

    /// <summary>True when <paramref name="head"/> (at least <see cref="HeaderSize"/> bytes) ends in the NIfTI-1 magic "n+1" or "ni1".</summary>
    public static bool HasMagic(ReadOnlySpan<byte> head) =>
        (head[344] == (byte)'n' && (head[345] == (byte)'+' || head[345] == (byte)'i') && head[346] == (byte)'1' && head[347] == 0);

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
