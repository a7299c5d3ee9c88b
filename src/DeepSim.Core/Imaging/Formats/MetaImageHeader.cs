using System.Globalization;
using System.Text;

namespace DeepSim.Imaging.Formats;

/// <summary>A parsed MetaImage (.mha/.mhd) header: the fields DeepSim uses plus every key as written.</summary>
internal sealed class MetaImageHeader
{
    /// <summary>Longest header text DeepSim scans for ElementDataFile.</summary>
    public const int MaxHeaderBytes = 1 << 20;

    private static readonly Dictionary<string, (VoxelType Type, string Name)> ElementTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MET_UCHAR"] = (VoxelType.UInt8, "MET_UCHAR"),
        ["MET_CHAR"] = (VoxelType.Int8, "MET_CHAR"),
        ["MET_USHORT"] = (VoxelType.UInt16, "MET_USHORT"),
        ["MET_SHORT"] = (VoxelType.Int16, "MET_SHORT"),
        ["MET_UINT"] = (VoxelType.UInt32, "MET_UINT"),
        ["MET_INT"] = (VoxelType.Int32, "MET_INT"),
        ["MET_ULONG"] = (VoxelType.UInt32, "MET_ULONG"),
        ["MET_LONG"] = (VoxelType.Int32, "MET_LONG"),
        ["MET_ULONG_LONG"] = (VoxelType.UInt64, "MET_ULONG_LONG"),
        ["MET_LONG_LONG"] = (VoxelType.Int64, "MET_LONG_LONG"),
        ["MET_FLOAT"] = (VoxelType.Float32, "MET_FLOAT"),
        ["MET_DOUBLE"] = (VoxelType.Float64, "MET_DOUBLE"),
    };

    private static readonly Dictionary<string, string?> Modalities = new(StringComparer.OrdinalIgnoreCase)
    {
        ["MET_MOD_CT"] = "CT",
        ["MET_MOD_MR"] = "MR",
        ["MET_MOD_NM"] = "NM",
        ["MET_MOD_US"] = "US",
        ["MET_MOD_OTHER"] = "OT",
        ["MET_MOD_UNKNOWN"] = null,
    };

    private MetaImageHeader(string path) => Path = path;

    /// <summary>The header file.</summary>
    public string Path { get; }

    /// <summary>Every key/value pair in file order.</summary>
    public List<KeyValuePair<string, string>> Entries { get; } = [];

    /// <summary>Number of dimensions (2 or 3).</summary>
    public int NDims { get; private set; }

    /// <summary>Sizes along x, y, z (z = 1 for 2D).</summary>
    public int[] Size { get; private set; } = [1, 1, 1];

    /// <summary>Total voxels.</summary>
    public long VoxelCount { get; private set; }

    /// <summary>Element type of the stored data.</summary>
    public VoxelType Type { get; private set; }

    /// <summary>The ElementType as written.</summary>
    public string ElementTypeName { get; private set; } = "";

    /// <summary>True for big-endian data.</summary>
    public bool BigEndian { get; private set; }

    /// <summary>True for zlib-compressed data.</summary>
    public bool Compressed { get; private set; }

    /// <summary>CompressedDataSize when given.</summary>
    public long? CompressedSize { get; private set; }

    /// <summary>HeaderSize: absolute byte offset of the data in the data file, -1 for "data at the end of the file", 0 when absent.</summary>
    public long HeaderSkip { get; private set; }

    /// <summary>LOCAL or the data file name as written.</summary>
    public string DataFile { get; private set; } = "";

    /// <summary>Byte offset right after the ElementDataFile line.</summary>
    public long HeaderEnd { get; private set; }

    /// <summary>Geometry in the header's (LPS, as ITK writes it) physical space.</summary>
    public ImageGeometry Geometry { get; private set; } = ImageGeometry.Identity;

    /// <summary>Modality mapped from MET_MOD_*, else null.</summary>
    public string? Modality { get; private set; }

    /// <summary>Bytes of uncompressed voxel data.</summary>
    public long DataBytes => VoxelCount * VoxelDecoding.SizeOf(Type);

    /// <summary>True when the data follows the header in the same file.</summary>
    public bool IsLocal => string.Equals(DataFile, "LOCAL", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses the header at the start of <paramref name="text"/> (the first bytes of the file, at most <see cref="MaxHeaderBytes"/>).</summary>
    public static MetaImageHeader Parse(ReadOnlySpan<byte> text, long fileLength, string path)
    {
        var header = new MetaImageHeader(path);
        var pos = 0;
        var found = false;
        while (pos < text.Length)
        {
            var newline = text[pos..].IndexOf((byte)'\n');
            var end = newline < 0 ? text.Length : pos + newline;
            var line = Encoding.Latin1.GetString(text[pos..end]).Trim();
            var lineStart = pos;
            pos = newline < 0 ? text.Length : end + 1;
            if (line.Length == 0)
            {
                continue;
            }

            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"header line '{Shorten(line)}' is not 'Key = Value'.", lineStart);
            }

            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            header.Entries.Add(new(key, value));
            if (key.Equals("ElementDataFile", StringComparison.OrdinalIgnoreCase))
            {
                if (newline < 0 && value.Equals("LOCAL", StringComparison.OrdinalIgnoreCase) && fileLength > text.Length)
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, path, "the ElementDataFile line is longer than DeepSim's header limit.", lineStart);
                }

                header.HeaderEnd = pos;
                found = true;
                break;
            }
        }

        if (!found)
        {
            if (text.Length >= MaxHeaderBytes)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"no ElementDataFile line in the first {MaxHeaderBytes} bytes.");
            }

            throw new ImageReadException(ImageReadError.Truncated, path, "the header ends without an ElementDataFile line.", text.Length);
        }

        header.Interpret();
        return header;
    }

    /// <summary>The value of a key (case-insensitive), or null.</summary>
    public string? Get(params string[] keys)
    {
        foreach (var k in keys)
        {
            foreach (var e in Entries)
            {
                if (e.Key.Equals(k, StringComparison.OrdinalIgnoreCase))
                {
                    return e.Value;
                }
            }
        }

        return null;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";

    private static bool ParseBool(string? value) =>
        value is not null && (value.Equals("True", StringComparison.OrdinalIgnoreCase) || value == "1");

    private void Interpret()
    {
        var objectType = Get("ObjectType");
        if (objectType is not null && !objectType.Equals("Image", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImageReadException(ImageReadError.NotAnImage, Path, $"MetaIO ObjectType '{objectType}' is not an image.");
        }

        var ndimsText = Get("NDims") ?? throw new ImageReadException(ImageReadError.CorruptHeader, Path, "the header has no NDims.");
        if (!int.TryParse(ndimsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ndims) || ndims < 1)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"NDims '{ndimsText}' is not a positive integer.");
        }

        if (ndims > 3)
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, Path, $"NDims = {ndims}; DeepSim reads 2D and 3D images only.");
        }

        NDims = ndims;
        var dimText = Get("DimSize") ?? throw new ImageReadException(ImageReadError.CorruptHeader, Path, "the header has no DimSize.");
        var dims = Numbers("DimSize", dimText, ndims);
        if (dims.Any(d => d != Math.Floor(d) || Math.Abs(d) > 1e15))
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"DimSize '{dimText}' is not a list of integers.");
        }

        var longDims = dims.Select(d => (long)d).ToArray();
        VoxelCount = ImageLimits.CheckDimensions(Path, longDims);
        Size = [(int)longDims[0], ndims > 1 ? (int)longDims[1] : 1, ndims > 2 ? (int)longDims[2] : 1];

        var channels = Get("ElementNumberOfChannels");
        if (channels is not null && channels.Trim() != "1")
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, Path, $"ElementNumberOfChannels = {channels}; DeepSim reads scalar images only.");
        }

        var binary = Get("BinaryData");
        if (binary is not null && !ParseBool(binary))
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, Path, "ASCII MetaImage data (BinaryData = False) is not supported.");
        }

        var elementType = Get("ElementType") ?? throw new ImageReadException(ImageReadError.CorruptHeader, Path, "the header has no ElementType.");
        if (!ElementTypes.TryGetValue(elementType, out var et))
        {
            var error = elementType.StartsWith("MET_", StringComparison.OrdinalIgnoreCase) ? ImageReadError.UnsupportedEncoding : ImageReadError.CorruptHeader;
            throw new ImageReadException(error, Path, $"ElementType '{elementType}' is not supported.");
        }

        Type = et.Type;
        ElementTypeName = et.Name;
        BigEndian = ParseBool(Get("BinaryDataByteOrderMSB", "ElementByteOrderMSB"));
        Compressed = ParseBool(Get("CompressedData"));
        var compressedSize = Get("CompressedDataSize");
        if (compressedSize is not null)
        {
            if (!long.TryParse(compressedSize, NumberStyles.Integer, CultureInfo.InvariantCulture, out var cs) || cs < 1)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"CompressedDataSize '{compressedSize}' is not a positive integer.");
            }

            CompressedSize = cs;
        }

        var headerSize = Get("HeaderSize");
        if (headerSize is not null)
        {
            if (!long.TryParse(headerSize, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hs) || hs < -1)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"HeaderSize '{headerSize}' is not -1 or a byte count.");
            }

            HeaderSkip = hs;
            if (hs == -1 && Compressed)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, Path, "HeaderSize = -1 cannot be combined with compressed data.");
            }
        }

        DataFile = Get("ElementDataFile")!;
        if (DataFile.Length == 0)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, Path, "ElementDataFile is empty.");
        }

        if (DataFile.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, Path, "ElementDataFile contains a NUL character.");
        }

        if (DataFile.StartsWith("LIST", StringComparison.OrdinalIgnoreCase) || DataFile.Contains('%'))
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, Path, $"ElementDataFile '{DataFile}' (one file per slice) is not supported.");
        }

        var modality = Get("Modality");
        if (modality is not null)
        {
            Modality = Modalities.TryGetValue(modality, out var m) ? m : null;
        }

        Geometry = ReadGeometry();
    }

    private ImageGeometry ReadGeometry()
    {
        var n = NDims;
        var spacing = new double[] { 1, 1, 1 };
        var spacingText = Get("ElementSpacing", "ElementSize");
        if (spacingText is not null)
        {
            var s = Numbers("ElementSpacing", spacingText, n);
            for (var i = 0; i < n; i++)
            {
                if (!(s[i] != 0) || !double.IsFinite(s[i]))
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"ElementSpacing '{spacingText}' has a zero or non-finite value.");
                }

                spacing[i] = Math.Abs(s[i]);
            }
        }

        var origin = new double[] { 0, 0, 0 };
        var originText = Get("Offset", "Origin", "Position");
        if (originText is not null)
        {
            var o = Numbers("Offset", originText, n);
            for (var i = 0; i < n; i++)
            {
                origin[i] = o[i];
            }
        }

        var direction = new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
        var matrixText = Get("TransformMatrix", "Rotation", "Orientation");
        if (matrixText is not null)
        {
            var m = Numbers("TransformMatrix", matrixText, n * n);

            // As ITK's MetaImageIO reads it: the values come axis by axis, so values [i*n .. i*n+n-1] are the
            // physical direction of index axis i, i.e. column i of the row-major direction matrix.
            for (var axis = 0; axis < n; axis++)
            {
                var norm = 0.0;
                for (var row = 0; row < n; row++)
                {
                    norm += m[(axis * n) + row] * m[(axis * n) + row];
                }

                if (!(norm > 1e-12))
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"TransformMatrix '{matrixText}' has a zero axis.");
                }

                for (var row = 0; row < 3; row++)
                {
                    direction[(row * 3) + axis] = row < n ? m[(axis * n) + row] : 0;
                }
            }
        }

        return new ImageGeometry(spacing, origin, direction);
    }

    private double[] Numbers(string key, string text, int count)
    {
        var parts = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < count)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"{key} '{Shorten(text)}' needs {count} numbers.");
        }

        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, Path, $"{key} value '{parts[i]}' is not a number.");
            }
        }

        return values;
    }
}
