using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace DeepSim.Imaging.Formats;

/// <summary>
/// Reads PNG files with DeepSim's own decoder (no precision loss: 16-bit grey keeps its full 0..65535 range).
/// Supports every standard combination: bit depths 1/2/4/8/16; grey, grey+alpha, RGB, RGBA and palette images; all five
/// filter types; Adam7 interlacing. Every chunk's CRC is checked.
/// </summary>
/// <remarks>
/// Voxel values are the stored sample values, not rescaled (a 4-bit grey image reads as 0..15).
/// Colour (RGB, RGBA, palette) is converted to luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 weights, the same as
/// ITK's and PIL's RGB-to-grey); when R = G = B the value is that sample exactly. Alpha and tRNS transparency are ignored.
/// Geometry: identity direction, zero origin, spacing 1 mm. A pHYs chunk is a print resolution that image editors
/// set freely (72 dpi is common): ITK's T1 and PD example slices, exactly aligned, carry different ones. Using it
/// as voxel spacing would make such pairs look like different grids, so it is only recorded in Metadata
/// (PNG.PixelsPerMetre = "x,y"). Modality is null. Metadata: PNG.BitDepth, PNG.ColorType, PNG.Interlace.
/// </remarks>
public sealed class PngReader : IImageReader
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7Passes =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    /// <inheritdoc />
    public string FormatName => "PNG";

    /// <inheritdoc />
    public bool CanRead(string path, ReadOnlySpan<byte> head) =>
        head.StartsWith(Signature) ||
        (head.Length > 0 && head.Length < Signature.Length && path.EndsWith(".png", StringComparison.OrdinalIgnoreCase));

    /// <inheritdoc />
    public IReadOnlyList<MedicalImage> Read(string path, CancellationToken cancellationToken = default)
    {
        var bytes = FormatIO.ReadWholeFile(path, cancellationToken);
        return [Decode(bytes, path, cancellationToken)];
    }

    /// <summary>Decodes PNG bytes already in memory; <paramref name="path"/> names the source in errors.</summary>
    internal static MedicalImage Decode(byte[] file, string path, CancellationToken cancellationToken)
    {
        if (file.Length < Signature.Length)
        {
            throw new ImageReadException(ImageReadError.Truncated, path, "the file ends inside the PNG signature.", file.Length);
        }

        if (!file.AsSpan(0, Signature.Length).SequenceEqual(Signature))
        {
            throw new ImageReadException(ImageReadError.UnknownFormat, path, "not a PNG file (bad signature).", 0);
        }

        var header = default(Header);
        var haveHeader = false;
        float[]? paletteLuminance = null;
        var idat = new MemoryStream();
        var sawIdat = false;
        var sawEnd = false;
        string? pixelsPerMetre = null;
        long pos = Signature.Length;
        while (pos < file.Length)
        {
            if (pos + 8 > file.Length)
            {
                throw new ImageReadException(ImageReadError.Truncated, path, "the file ends inside a chunk header.", pos);
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)pos, 4));
            var type = System.Text.Encoding.ASCII.GetString(file, (int)pos + 4, 4);
            if (length > int.MaxValue)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"chunk '{type}' declares an impossible length {length}.", pos);
            }

            if (pos + 12 + length > file.Length)
            {
                throw new ImageReadException(ImageReadError.Truncated, path, $"the file ends inside chunk '{type}' ({length} bytes declared).", pos);
            }

            var data = file.AsSpan((int)pos + 8, (int)length);
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)(pos + 8 + length), 4));
            var actualCrc = Crc32.Compute(file.AsSpan((int)pos + 4, (int)length + 4));
            if (storedCrc != actualCrc)
            {
                throw new ImageReadException(
                    ImageReadError.CorruptHeader,
                    path,
                    $"CRC mismatch in chunk '{type}' (stored {storedCrc:X8}, computed {actualCrc:X8}).",
                    pos);
            }

            if (!haveHeader && type != "IHDR")
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"the first chunk is '{type}', not IHDR.", pos);
            }

            switch (type)
            {
                case "IHDR":
                    if (haveHeader)
                    {
                        throw new ImageReadException(ImageReadError.CorruptHeader, path, "a second IHDR chunk.", pos);
                    }

                    header = ParseHeader(data, path, pos);
                    haveHeader = true;
                    break;
                case "PLTE":
                    if (data.Length == 0 || data.Length % 3 != 0 || data.Length > 256 * 3)
                    {
                        throw new ImageReadException(ImageReadError.CorruptHeader, path, $"PLTE chunk of {data.Length} bytes is not 1..256 RGB entries.", pos);
                    }

                    paletteLuminance = new float[data.Length / 3];
                    for (var i = 0; i < paletteLuminance.Length; i++)
                    {
                        paletteLuminance[i] = Luminance(data[3 * i], data[(3 * i) + 1], data[(3 * i) + 2]);
                    }

                    break;
                case "IDAT":
                    idat.Write(data);
                    sawIdat = true;
                    break;
                case "pHYs":
                    if (data.Length == 9 && data[8] == 1)
                    {
                        var ppmX = BinaryPrimitives.ReadUInt32BigEndian(data);
                        var ppmY = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                        pixelsPerMetre = string.Create(CultureInfo.InvariantCulture, $"{ppmX},{ppmY}");
                    }

                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    if (char.IsUpper(type[0]))
                    {
                        throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"unknown critical chunk '{type}'.", pos);
                    }

                    break;
            }

            pos += 12 + length;
            if (sawEnd)
            {
                break;
            }
        }

        if (!haveHeader)
        {
            throw new ImageReadException(ImageReadError.Truncated, path, "the file ends before the IHDR chunk.", pos);
        }

        if (!sawEnd)
        {
            throw new ImageReadException(ImageReadError.Truncated, path, "the file ends before the IEND chunk.", pos);
        }

        if (!sawIdat)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, "the file has no IDAT (image data) chunk.");
        }

        if (header.ColorType == 3 && paletteLuminance is null)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, "a palette image without a PLTE chunk.");
        }

        var voxelCount = ImageLimits.CheckDimensions(path, [header.Width, header.Height]);
        ImageLimits.CheckDeflateBound(path, header.FilteredByteCount(), idat.Length);
        var voxels = new float[voxelCount];
        idat.Position = 0;
        using (var inflater = new ZLibStream(idat, CompressionMode.Decompress))
        {
            DecodePixels(inflater, header, paletteLuminance, voxels, path, cancellationToken);
        }

        var metadata = new Dictionary<string, string>
        {
            ["PNG.BitDepth"] = header.BitDepth.ToString(CultureInfo.InvariantCulture),
            ["PNG.ColorType"] = header.ColorTypeName,
            ["PNG.Interlace"] = header.Interlaced ? "Adam7" : "none",
        };
        if (header.ColorType is 2 or 3 or 6)
        {
            metadata["PNG.GreyConversion"] = "0.299R+0.587G+0.114B";
        }

        if (pixelsPerMetre is not null)
        {
            metadata["PNG.PixelsPerMetre"] = pixelsPerMetre;
        }

        var geometry = ImageGeometry.Identity;
        return new MedicalImage(voxels, header.Width, header.Height, 1, geometry, null, path, "PNG", metadata);
    }

    private static float Luminance(int r, int g, int b) =>
        r == g && g == b ? r : (float)((0.299 * r) + (0.587 * g) + (0.114 * b));

    private static Header ParseHeader(ReadOnlySpan<byte> data, string path, long pos)
    {
        if (data.Length != 13)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, $"IHDR chunk has {data.Length} bytes instead of 13.", pos);
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(data);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"PNG size {width}x{height} is zero or out of range.", pos);
        }

        int bitDepth = data[8];
        int colorType = data[9];
        var valid = colorType switch
        {
            0 => bitDepth is 1 or 2 or 4 or 8 or 16,
            3 => bitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => bitDepth is 8 or 16,
            _ => false,
        };
        if (!valid)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, $"invalid PNG colour type {colorType} with bit depth {bitDepth}.", pos);
        }

        if (data[10] != 0 || data[11] != 0)
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"unknown PNG compression method {data[10]} or filter method {data[11]}.", pos);
        }

        if (data[12] > 1)
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"unknown PNG interlace method {data[12]}.", pos);
        }

        return new Header((int)Math.Min(width, int.MaxValue), (int)Math.Min(height, int.MaxValue), bitDepth, colorType, data[12] == 1);
    }

    private static void DecodePixels(Stream inflater, Header header, float[]? palette, float[] voxels, string path, CancellationToken cancellationToken)
    {
        var channels = header.Channels;
        var bitsPerPixel = channels * header.BitDepth;
        var filterStride = Math.Max(1, bitsPerPixel / 8);
        var passes = header.Interlaced ? Adam7Passes : [(0, 0, 1, 1)];
        for (var p = 0; p < passes.Length; p++)
        {
            var (x0, y0, dx, dy) = passes[p];
            var passWidth = header.Width > x0 ? (int)(((long)header.Width - x0 + dx - 1) / dx) : 0;
            var passHeight = header.Height > y0 ? (int)(((long)header.Height - y0 + dy - 1) / dy) : 0;
            if (passWidth == 0 || passHeight == 0)
            {
                continue;
            }

            var rowBytes = (int)((((long)passWidth * bitsPerPixel) + 7) / 8);
            var previous = new byte[rowBytes];
            var current = new byte[rowBytes + 1];
            for (var row = 0; row < passHeight; row++)
            {
                if ((row & 63) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                int got;
                try
                {
                    got = inflater.ReadAtLeast(current, current.Length, throwOnEndOfStream: false);
                }
                catch (Exception e) when (FormatIO.IsCorruptCompressed(e))
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, path, "corrupt compressed image data: " + e.Message, inner: e);
                }

                if (got < current.Length)
                {
                    var where = header.Interlaced ? $"row {row} of interlace pass {p + 1}" : $"row {row}";
                    throw new ImageReadException(ImageReadError.DataSizeMismatch, path, $"the image data ends at {where} of {header.Width}x{header.Height}.");
                }

                var line = current.AsSpan(1);
                Unfilter(current[0], line, previous, filterStride, path, row);
                var y = y0 + (row * dy);
                var rowBase = (long)y * header.Width;
                for (var i = 0; i < passWidth; i++)
                {
                    var value = PixelValue(line, i, header, channels, palette, path);
                    voxels[rowBase + x0 + ((long)i * dx)] = value;
                }

                line.CopyTo(previous);
            }
        }
    }

    private static float PixelValue(ReadOnlySpan<byte> line, int x, Header header, int channels, float[]? palette, string path)
    {
        var depth = header.BitDepth;
        switch (header.ColorType)
        {
            case 0:
                return Sample(line, x, depth);
            case 3:
                var index = Sample(line, x, depth);
                if (index >= palette!.Length)
                {
                    throw new ImageReadException(ImageReadError.CorruptHeader, path, $"palette index {index} outside the {palette.Length}-entry palette.");
                }

                return palette[index];
            case 4:
                return Sample(line, x * channels, depth);
            default:
                var k = x * channels;
                return Luminance(Sample(line, k, depth), Sample(line, k + 1, depth), Sample(line, k + 2, depth));
        }
    }

    private static int Sample(ReadOnlySpan<byte> line, int sampleIndex, int depth)
    {
        switch (depth)
        {
            case 8:
                return line[sampleIndex];
            case 16:
                return (line[2 * sampleIndex] << 8) | line[(2 * sampleIndex) + 1];
            default:
                var bit = sampleIndex * depth;
                var shift = 8 - depth - (bit & 7);
                return (line[bit >> 3] >> shift) & ((1 << depth) - 1);
        }
    }

    private static void Unfilter(byte filter, Span<byte> line, ReadOnlySpan<byte> previous, int stride, string path, int row)
    {
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (var i = stride; i < line.Length; i++)
                {
                    line[i] += line[i - stride];
                }

                break;
            case 2:
                for (var i = 0; i < line.Length; i++)
                {
                    line[i] += previous[i];
                }

                break;
            case 3:
                for (var i = 0; i < line.Length; i++)
                {
                    var left = i >= stride ? line[i - stride] : 0;
                    line[i] += (byte)((left + previous[i]) >> 1);
                }

                break;
            case 4:
                for (var i = 0; i < line.Length; i++)
                {
                    int a = i >= stride ? line[i - stride] : 0;
                    int b = previous[i];
                    int c = i >= stride ? previous[i - stride] : 0;
                    var p = a + b - c;
                    var pa = Math.Abs(p - a);
                    var pb = Math.Abs(p - b);
                    var pc = Math.Abs(p - c);
                    line[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }

                break;
            default:
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"unknown PNG filter type {filter} on row {row}.");
        }
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
    {
        public int Channels => ColorType switch
        {
            2 => 3,
            4 => 2,
            6 => 4,
            _ => 1,
        };

        public string ColorTypeName => ColorType switch
        {
            0 => "grey",
            2 => "RGB",
            3 => "palette",
            4 => "grey+alpha",
            _ => "RGBA",
        };

        /// <summary>Bytes of filtered scanlines (filter bytes included) the IDAT data must inflate to.</summary>
        public long FilteredByteCount()
        {
            long bits = Channels * BitDepth;
            if (!Interlaced)
            {
                return Height * (1 + (((Width * bits) + 7) / 8));
            }

            long total = 0;
            foreach (var (x0, y0, dx, dy) in Adam7Passes)
            {
                long pw = Width > x0 ? (Width - x0 + dx - 1) / dx : 0;
                long ph = Height > y0 ? (Height - y0 + dy - 1) / dy : 0;
                if (pw > 0 && ph > 0)
                {
                    total += ph * (1 + (((pw * bits) + 7) / 8));
                }
            }

            return total;
        }
    }
}
