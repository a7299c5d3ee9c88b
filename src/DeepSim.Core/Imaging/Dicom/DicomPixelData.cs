using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// The pixel data of one DICOM file and the attributes that describe it: decodes frames (native, big endian, RLE,
/// JPEG lossless) to little-endian native samples and converts them to float values (bits stored masking and sign
/// extension, MONOCHROME1 inversion, colour to luminance, palette lookup, rescale slope/intercept).
/// </summary>
internal sealed class DicomPixelData
{
    /// <summary>Largest number of voxels DeepSim decodes from one file (1 Gi voxels, 4 GB as float).</summary>
    internal const long MaxVoxels = 1L << 30;

    private static readonly DicomTag RowsTag = new(0x0028, 0x0010);
    private static readonly DicomTag ColumnsTag = new(0x0028, 0x0011);
    private readonly DicomFile _file;
    private readonly ReadOnlyMemory<byte> _value;
    private readonly List<ReadOnlyMemory<byte>>? _frameFragments;
    private readonly long _pixelOffset;
    private readonly ushort[][]? _palette;
    private readonly int _paletteFirst;
    private readonly (double Slope, double Intercept)[]? _frameRescale;

    /// <summary>True when <paramref name="photometric"/> is a Photometric Interpretation of PS3.3 C.7.6.3.1.2 that fits <paramref name="samples"/>.</summary>
    internal static bool IsValidPhotometric(string photometric, int samples) => samples switch
    {
        1 => photometric is "MONOCHROME1" or "MONOCHROME2" or "PALETTE COLOR",
        3 => photometric is "RGB" or "YBR_FULL" or "YBR_FULL_422" or "YBR_PARTIAL_422" or "YBR_PARTIAL_420" or "YBR_ICT" or "YBR_RCT",
        _ => false,
    };

    public DicomPixelData(DicomFile file, byte[]? reuse = null)
    {
        _file = file;
        var ds = file.Dataset;
        var path = file.Path;
        Rows = ds.GetInt(RowsTag, 0);
        Columns = ds.GetInt(ColumnsTag, 0);
        Samples = ds.GetInt(new DicomTag(0x0028, 0x0002), 1);
        BitsAllocated = ds.GetInt(new DicomTag(0x0028, 0x0100), 0);
        BitsStored = ds.GetInt(new DicomTag(0x0028, 0x0101), BitsAllocated);
        HighBit = ds.GetInt(new DicomTag(0x0028, 0x0102), BitsStored - 1);
        Signed = ds.GetInt(new DicomTag(0x0028, 0x0103), 0) == 1;
        Planar = ds.GetInt(new DicomTag(0x0028, 0x0006), 0) == 1;
        Photometric = (ds.GetText(new DicomTag(0x0028, 0x0004)) ?? (Samples == 3 ? "RGB" : "MONOCHROME2")).Trim().ToUpperInvariant();
        var frames = ds.GetDoubles(new DicomTag(0x0028, 0x0008));
        Frames = frames.Length > 0 && frames[0] >= 1 && frames[0] <= int.MaxValue ? (int)frames[0] : 1;

        var slope = ds.GetDoubles(new DicomTag(0x0028, 0x1053));
        var intercept = ds.GetDoubles(new DicomTag(0x0028, 0x1052));
        Slope = slope.Length > 0 && slope[0] != 0 ? slope[0] : 1.0;
        Intercept = intercept.Length > 0 ? intercept[0] : 0.0;
        if (slope.Length == 0 && intercept.Length == 0)
        {
            // Enhanced multi-frame objects keep the rescale in Pixel Value Transformation (shared or per-frame functional groups).
            _frameRescale = FunctionalGroupRescale(ds, Frames);
            if (_frameRescale is not null)
            {
                (Slope, Intercept) = _frameRescale[0];
            }
        }

        var pixel = ds.Find(DicomTag.PixelData);
        var floatPixel = ds.Find(DicomTag.FloatPixelData) ?? ds.Find(DicomTag.DoubleFloatPixelData);
        if (pixel is null && floatPixel is null && ds.Contains(RowsTag) && ds.Contains(ColumnsTag))
        {
            throw new ImageReadException(ImageReadError.Truncated, path, $"the file ends after {file.FileLength} bytes, after the image attributes (Rows, Columns) but before the pixel data: it is cut short.");
        }

        if (pixel is null && floatPixel is null)
        {
            var sopClass = ds.GetText(new DicomTag(0x0008, 0x0016)) ?? file.MetaInformation.GetText(new DicomTag(0x0002, 0x0002)) ?? "unknown";
            var modality = ds.GetText(new DicomTag(0x0008, 0x0060));
            throw new ImageReadException(ImageReadError.NotAnImage, path, $"the DICOM object has no pixel data (SOP class {sopClass}{(modality is null ? string.Empty : ", modality " + modality)}).");
        }

        if (!ds.Contains(RowsTag) || !ds.Contains(ColumnsTag))
        {
            throw new ImageReadException(ImageReadError.NotAnImage, path, "the DICOM object has pixel data but no Rows/Columns, so it is not an image.");
        }

        if (Rows <= 0 || Columns <= 0)
        {
            throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"Rows {Rows} x Columns {Columns} is not an image size.");
        }

        if ((long)Rows * Columns * Frames > MaxVoxels)
        {
            throw new ImageReadException(ImageReadError.AbsurdDimensions, path, $"{Columns}x{Rows}x{Frames} voxels is more than DeepSim reads from one file ({MaxVoxels}).");
        }

        if (pixel is null)
        {
            Kind = floatPixel!.Tag == DicomTag.FloatPixelData ? PixelKind.Float32 : PixelKind.Float64;
            BitsAllocated = Kind == PixelKind.Float32 ? 32 : 64;
            Samples = 1;
            _value = file.ReadValue(floatPixel);
            CheckNativeSize(path, floatPixel.FileOffset);
            return;
        }

        if (Samples is not (1 or 3))
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"Samples per Pixel {Samples} is not supported (1 or 3).");
        }

        if (BitsAllocated is not (1 or 8 or 16 or 32) || BitsStored < 1 || BitsStored > BitsAllocated || HighBit < BitsStored - 1 || HighBit >= BitsAllocated)
        {
            throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"Bits Allocated {BitsAllocated}, Bits Stored {BitsStored}, High Bit {HighBit} is not a supported pixel layout.");
        }

        if (!IsValidPhotometric(Photometric, Samples))
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, $"Photometric Interpretation '{Photometric}' is not a valid value for {Samples} sample(s) per pixel (MONOCHROME1, MONOCHROME2 or PALETTE COLOR for 1; RGB or YBR_* for 3).");
        }

        if (Photometric == "PALETTE COLOR")
        {
            (_palette, _paletteFirst) = ReadPalette(file);
        }

        if (pixel.Fragments is not null)
        {
            var syntax = file.TransferSyntax;
            if (syntax.PixelEncoding == DicomPixelEncoding.Unsupported)
            {
                throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"pixel data is compressed with {syntax}, which DeepSim does not decode; {syntax.ConversionHint}.");
            }

            if (syntax.PixelEncoding == DicomPixelEncoding.Native)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"pixel data is encapsulated but the transfer syntax {syntax} is not a compressed one.", pixel.FileOffset);
            }

            if (BitsAllocated == 1 && syntax.PixelEncoding != DicomPixelEncoding.Rle)
            {
                throw new ImageReadException(ImageReadError.UnsupportedEncoding, path, $"1-bit pixel data compressed with {syntax} is not supported.");
            }

            Kind = syntax.PixelEncoding == DicomPixelEncoding.Rle ? PixelKind.Rle : PixelKind.JpegLossless;
            _value = ds.Buffer;
            _frameFragments = SplitFrames(file, Frames, Kind == PixelKind.JpegLossless, pixel, ds.Buffer);
            long compressed = 0;
            foreach (var f in _frameFragments)
            {
                compressed += f.Length;
            }

            _pixelOffset = pixel.FileOffset;

            if ((long)Rows * Columns * Samples * (BitsAllocated / 8) * Frames > (compressed * 130) + 4096)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, $"{compressed} bytes of compressed data cannot hold {Columns}x{Rows}x{Frames} pixels.", pixel.FileOffset);
            }

            return;
        }

        Kind = PixelKind.Native;
        _value = file.ReadValue(pixel, reuse);
        CheckNativeSize(path, pixel.FileOffset);
        if (file.TransferSyntax.PixelEncoding is not DicomPixelEncoding.Native && _value.Length > 0)
        {
            // Some writers store native pixel data under a compressed syntax; it is still native.
            Kind = PixelKind.Native;
        }

        if (file.Dataset.BigEndian)
        {
            // Explicit VR big endian: OW is a stream of 16-bit words (dcmtk and gdcm swap 32-bit pixels as word pairs too);
            // OB holds bytes in order, multi-byte samples big endian.
            var unit = pixel.Vr == "OW" ? (BitsAllocated == 1 ? 1 : 2) : BitsAllocated >= 16 ? BitsAllocated / 8 : 1;
            if (unit > 1)
            {
                _value = SwapWhole(_value.Span, unit);
            }
        }
    }

    internal enum PixelKind
    {
        Native,
        Rle,
        JpegLossless,
        Float32,
        Float64,
    }

    public int Rows { get; }

    public int Columns { get; }

    public int Samples { get; }

    public int BitsAllocated { get; }

    public int BitsStored { get; }

    public int HighBit { get; }

    public bool Signed { get; }

    public bool Planar { get; }

    public string Photometric { get; }

    public int Frames { get; }

    public double Slope { get; }

    public double Intercept { get; }

    public PixelKind Kind { get; }

    /// <summary>True when values are inverted (MONOCHROME1) so that higher is brighter.</summary>
    public bool Inverted => Photometric == "MONOCHROME1";

    private bool IsYbr422 => Photometric is "YBR_FULL_422" or "YBR_PARTIAL_422" && Kind == PixelKind.Native && Samples == 3;

    private int BytesPerSample => Math.Max(1, BitsAllocated / 8);

    /// <summary>Bytes of one native frame (excluding 1-bit data, which is packed across frames).</summary>
    public int FrameBytes => IsYbr422 ? Rows * Columns * 2 * BytesPerSample : Rows * Columns * Samples * BytesPerSample;

    /// <summary>
    /// The frame as little-endian native samples, planar configuration as stored (native data) or interleaved (decompressed);
    /// 1-bit data is unpacked to one byte per pixel. Used by tests against reference decoders.
    /// </summary>
    public byte[] GetNativeFrame(int frame, out bool planar)
    {
        var scratch = new byte[BitsAllocated == 1 ? Rows * Columns : FrameBytes];
        var span = NativeFrame(frame, scratch);
        planar = Kind == PixelKind.Native && Planar;
        return span.ToArray();
    }

    /// <summary>Decodes a frame to float values (rows x columns) in <paramref name="dest"/>; <paramref name="scratch"/> is reused between calls.</summary>
    public void DecodeFrame(int frame, Span<float> dest, ref byte[]? scratch)
    {
        var pixels = Rows * Columns;
        if (Kind is PixelKind.Float32 or PixelKind.Float64)
        {
            var size = Kind == PixelKind.Float32 ? 4 : 8;
            var src = _value.Span.Slice(frame * pixels * size, pixels * size);
            var be = _file.Dataset.BigEndian;
            for (var i = 0; i < pixels; i++)
            {
                dest[i] = size == 4
                    ? (be ? BinaryPrimitives.ReadSingleBigEndian(src[(i * 4)..]) : BinaryPrimitives.ReadSingleLittleEndian(src[(i * 4)..]))
                    : (float)(be ? BinaryPrimitives.ReadDoubleBigEndian(src[(i * 8)..]) : BinaryPrimitives.ReadDoubleLittleEndian(src[(i * 8)..]));
            }

            return;
        }

        var needed = BitsAllocated == 1 ? pixels : FrameBytes;
        if (Kind != PixelKind.Native || BitsAllocated == 1)
        {
            if (scratch is null || scratch.Length < needed)
            {
                scratch = new byte[needed];
            }
        }

        var native = NativeFrame(frame, scratch ?? []);
        var (slope, intercept) = _frameRescale is null ? (Slope, Intercept) : _frameRescale[Math.Min(frame, _frameRescale.Length - 1)];
        ConvertFrame(native, dest, slope, intercept);
    }

    private void CheckNativeSize(string path, long offset)
    {
        long needed = BitsAllocated == 1
            ? (((long)Rows * Columns * Samples * Frames) + 7) / 8
            : (long)FrameBytes * Frames;
        if (Kind is PixelKind.Float32 or PixelKind.Float64)
        {
            needed = (long)Rows * Columns * Frames * (BitsAllocated / 8);
        }

        if (_value.Length < needed)
        {
            throw new ImageReadException(ImageReadError.DataSizeMismatch, path, $"pixel data holds {_value.Length} bytes but {Columns}x{Rows}x{Frames} pixels of {Samples} sample(s) at {BitsAllocated} bits need {needed}.", offset);
        }
    }

    private ReadOnlySpan<byte> NativeFrame(int frame, Span<byte> scratch)
    {
        var frameBytes = FrameBytes;
        switch (Kind)
        {
            case PixelKind.Rle:
            {
                var dest = scratch[..frameBytes];
                if (BitsAllocated == 1)
                {
                    // One segment of packed bits (least significant bit first), unpacked to a byte per pixel.
                    var n = Rows * Columns;
                    var packed = new byte[(n + 7) / 8];
                    RleDecoder.DecodeFrame(_frameFragments![frame].Span, packed, packed.Length, 1, 1, _file.Path, _pixelOffset);
                    for (var i = 0; i < n; i++)
                    {
                        dest[i] = (byte)((packed[i >> 3] >> (i & 7)) & 1);
                    }

                    return dest;
                }

                RleDecoder.DecodeFrame(_frameFragments![frame].Span, dest, Rows * Columns, Samples, BytesPerSample, _file.Path, _pixelOffset);
                return dest;
            }

            case PixelKind.JpegLossless:
            {
                var dest = scratch[..frameBytes];
                dest.Clear();
                JpegLosslessDecoder.DecodeFrame(_frameFragments![frame].Span, dest, Columns, Rows, Samples, BytesPerSample, _file.Path, _pixelOffset);
                return dest;
            }

            default:
                if (BitsAllocated == 1)
                {
                    var n = Rows * Columns;
                    var bitStart = (long)frame * n;
                    var bits = _value.Span;
                    for (var i = 0; i < n; i++)
                    {
                        var b = bitStart + i;
                        scratch[i] = (byte)((bits[(int)(b >> 3)] >> (int)(b & 7)) & 1);
                    }

                    return scratch[..n];
                }

                return _value.Span.Slice(frame * frameBytes, frameBytes);
        }
    }

    /// <summary>True when the rescale differs between frames (enhanced multi-frame objects).</summary>
    public bool RescaleVariesByFrame => _frameRescale is not null && _frameRescale.Distinct().Count() > 1;

    /// <summary>Per-frame (slope, intercept) from Pixel Value Transformation Sequences of the functional groups, or null.</summary>
    private static (double Slope, double Intercept)[]? FunctionalGroupRescale(DicomDataset ds, int frames)
    {
        var transform = new DicomTag(0x0028, 0x9145);
        var shared = ds.GetSequence(new DicomTag(0x5200, 0x9229));
        var perFrame = ds.GetSequence(new DicomTag(0x5200, 0x9230));
        (double, double)? Of(DicomDataset? group)
        {
            if (group?.GetSequence(transform) is not { Count: > 0 } t)
            {
                return null;
            }

            var s = t[0].GetDoubles(new DicomTag(0x0028, 0x1053));
            var i = t[0].GetDoubles(new DicomTag(0x0028, 0x1052));
            return s.Length == 0 && i.Length == 0 ? null : (s.Length > 0 && s[0] != 0 ? s[0] : 1.0, i.Length > 0 ? i[0] : 0.0);
        }

        // Sized by the items present in the file, never by the declared frame count (hostile files); later frames take the last value.
        var common = Of(shared.Count > 0 ? shared[0] : null);
        var n = Math.Max(1, Math.Min(frames, perFrame.Count));
        var result = new (double, double)[n];
        var any = common is not null;
        for (var f = 0; f < n; f++)
        {
            var own = Of(f < perFrame.Count ? perFrame[f] : null);
            any |= own is not null;
            result[f] = own ?? common ?? (1.0, 0.0);
        }

        return any ? result : null;
    }

    /// <summary>A little-endian copy of big-endian data made of <paramref name="unit"/>-byte units (a trailing partial unit is kept as is).</summary>
    private static byte[] SwapWhole(ReadOnlySpan<byte> src, int unit)
    {
        var dest = new byte[src.Length];
        var whole = src.Length - (src.Length % unit);
        if (unit == 2)
        {
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(src[..whole]), MemoryMarshal.Cast<byte, ushort>(dest.AsSpan(0, whole)));
        }
        else
        {
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(src[..whole]), MemoryMarshal.Cast<byte, uint>(dest.AsSpan(0, whole)));
        }

        src[whole..].CopyTo(dest.AsSpan(whole));
        return dest;
    }

    /// <summary>Native samples to float values with masking, sign extension, inversion, colour handling and rescale.</summary>
    private void ConvertFrame(ReadOnlySpan<byte> native, Span<float> dest, double rescaleSlope, double rescaleIntercept)
    {
        var pixels = Rows * Columns;
        var slope = (float)rescaleSlope;
        var intercept = (float)rescaleIntercept;
        var monochrome = Samples == 1 && _palette is null;

        // Fast paths: whole 16-bit words.
        if (monochrome && BitsAllocated == 16 && BitsStored == 16 && !Inverted)
        {
            if (Signed)
            {
                var s = MemoryMarshal.Cast<byte, short>(native)[..pixels];
                for (var i = 0; i < s.Length; i++)
                {
                    dest[i] = (s[i] * slope) + intercept;
                }
            }
            else
            {
                var s = MemoryMarshal.Cast<byte, ushort>(native)[..pixels];
                for (var i = 0; i < s.Length; i++)
                {
                    dest[i] = (s[i] * slope) + intercept;
                }
            }

            return;
        }

        var bits = BitsAllocated == 1 ? 1 : BitsStored;
        var shift = BitsAllocated == 1 ? 0 : HighBit + 1 - BitsStored;
        var mask = bits >= 32 ? uint.MaxValue : (1u << bits) - 1;
        var signBit = bits >= 32 ? 0x80000000u : 1u << (bits - 1);
        var bps = BitsAllocated == 1 ? 1 : BytesPerSample;
        var min = Signed ? -(double)signBit : 0;
        var max = Signed ? signBit - 1.0 : mask;

        double Sample(ReadOnlySpan<byte> data, int index)
        {
            uint raw = bps switch
            {
                1 => data[index],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(data[(index * 2)..]),
                _ => BinaryPrimitives.ReadUInt32LittleEndian(data[(index * 4)..]),
            };
            raw = (raw >> shift) & mask;
            return Signed && (raw & signBit) != 0 ? raw - (2.0 * signBit) : raw;
        }

        if (monochrome)
        {
            for (var i = 0; i < pixels; i++)
            {
                var v = Sample(native, i);
                if (Inverted)
                {
                    v = min + max - v;
                }

                dest[i] = (float)((v * rescaleSlope) + rescaleIntercept);
            }

            return;
        }

        if (_palette is not null)
        {
            var n = _palette[0].Length;
            for (var i = 0; i < pixels; i++)
            {
                var idx = (int)Math.Clamp(Sample(native, i) - _paletteFirst, 0, n - 1);
                dest[i] = (float)((0.299 * _palette[0][idx]) + (0.587 * _palette[1][idx]) + (0.114 * _palette[2][idx]));
            }

            return;
        }

        if (IsYbr422)
        {
            // Y0 Y1 Cb Cr per pair of pixels: luminance is Y.
            for (var i = 0; i < pixels; i++)
            {
                dest[i] = (float)Sample(native, ((i / 2) * 4) + (i % 2));
            }

            return;
        }

        var planar = Kind == PixelKind.Native && Planar;
        var ybr = Photometric.StartsWith("YBR", StringComparison.Ordinal);
        for (var i = 0; i < pixels; i++)
        {
            var i0 = planar ? i : i * 3;
            var step = planar ? pixels : 1;
            var a = Sample(native, i0);
            if (ybr)
            {
                dest[i] = (float)a;
                continue;
            }

            var g = Sample(native, i0 + step);
            var b = Sample(native, i0 + (2 * step));
            dest[i] = (float)((0.299 * a) + (0.587 * g) + (0.114 * b));
        }
    }

    private static List<ReadOnlyMemory<byte>> SplitFrames(DicomFile file, int frames, bool jpeg, DicomElement pixel, byte[] buffer)
    {
        var path = file.Path;
        var fragments = pixel.Fragments!;
        if (fragments.Count < 2)
        {
            throw new ImageReadException(ImageReadError.Truncated, path, "encapsulated pixel data holds no fragment.", pixel.FileOffset);
        }

        var data = fragments.Skip(1).ToList();
        if (frames == data.Count)
        {
            return [.. data.Select(f => (ReadOnlyMemory<byte>)buffer.AsMemory(f.Offset, f.Length))];
        }

        if (frames > data.Count)
        {
            throw new ImageReadException(ImageReadError.DataSizeMismatch, path, $"{frames} frames declared but only {data.Count} pixel data fragments present.", pixel.FileOffset);
        }

        // Group fragments into frames: by the basic offset table, else by JPEG start-of-image markers, else all in one frame.
        var starts = new List<int>();
        var bot = fragments[0];
        if (bot.Length >= 4 * frames && bot.Length % 4 == 0)
        {
            var firstItem = data[0].Offset - 8;
            var offsets = new List<long>();
            for (var i = 0; i < bot.Length / 4; i++)
            {
                offsets.Add(BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(bot.Offset + (4 * i))));
            }

            for (var f = 0; f < data.Count; f++)
            {
                if (offsets.Contains(data[f].Offset - 8 - firstItem))
                {
                    starts.Add(f);
                }
            }
        }
        else if (jpeg)
        {
            for (var f = 0; f < data.Count; f++)
            {
                if (data[f].Length >= 2 && buffer[data[f].Offset] == 0xFF && buffer[data[f].Offset + 1] == 0xD8)
                {
                    starts.Add(f);
                }
            }
        }
        else if (frames == 1)
        {
            starts.Add(0);
        }

        if (starts.Count != frames || starts[0] != 0)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, $"cannot split {data.Count} pixel data fragments into {frames} frames.", pixel.FileOffset);
        }

        var result = new List<ReadOnlyMemory<byte>>(frames);
        for (var f = 0; f < frames; f++)
        {
            var from = starts[f];
            var to = f + 1 < frames ? starts[f + 1] : data.Count;
            if (to - from == 1)
            {
                result.Add(buffer.AsMemory(data[from].Offset, data[from].Length));
                continue;
            }

            // Concatenate the fragments of this frame into a new buffer appended logically: copy into one array.
            var total = 0;
            for (var k = from; k < to; k++)
            {
                total += data[k].Length;
            }

            var joined = new byte[total];
            var at = 0;
            for (var k = from; k < to; k++)
            {
                buffer.AsSpan(data[k].Offset, data[k].Length).CopyTo(joined.AsSpan(at));
                at += data[k].Length;
            }

            result.Add(joined);
        }

        return result;
    }

    /// <summary>
    /// Expands segmented palette LUT data (PS3.3 C.7.9.2): discrete (0), linear (1) and indirect (2) segments.
    /// Output is capped at <paramref name="entries"/>; indirect segments may not nest, so expansion is bounded.
    /// </summary>
    internal static ushort[] ExpandSegmentedLut(ushort[] words, int entries, string path)
    {
        var lut = new List<ushort>(entries);

        void Run(int start, int maxSegments, bool allowIndirect)
        {
            var p = start;
            for (var segment = 0; segment < maxSegments && p + 1 < words.Length && lut.Count < entries; segment++)
            {
                var opcode = words[p];
                var n = words[p + 1];
                switch (opcode)
                {
                    case 0:
                        for (var i = 0; i < n && p + 2 + i < words.Length && lut.Count < entries; i++)
                        {
                            lut.Add(words[p + 2 + i]);
                        }

                        p += 2 + n;
                        break;
                    case 1 when p + 2 < words.Length:
                        double y0 = lut.Count > 0 ? lut[^1] : 0;
                        var y1 = words[p + 2];
                        for (var i = 1; i <= n && lut.Count < entries; i++)
                        {
                            lut.Add((ushort)Math.Round(y0 + ((y1 - y0) * i / n)));
                        }

                        p += 3;
                        break;
                    case 2 when allowIndirect && p + 3 < words.Length:
                        var offset = (words[p + 2] | (words[p + 3] << 16)) / 2;
                        if (offset < 0 || offset >= words.Length)
                        {
                            throw new ImageReadException(ImageReadError.CorruptHeader, path, "segmented palette lookup table refers outside its data.");
                        }

                        Run(offset, n, allowIndirect: false);
                        p += 4;
                        break;
                    default:
                        throw new ImageReadException(ImageReadError.CorruptHeader, path, $"segmented palette lookup table has a bad segment (opcode {opcode}).");
                }
            }
        }

        Run(0, int.MaxValue, allowIndirect: true);
        while (lut.Count < entries)
        {
            lut.Add(lut.Count > 0 ? lut[^1] : (ushort)0);
        }

        return [.. lut];
    }

    private static (ushort[][] Lut, int First) ReadPalette(DicomFile file)
    {
        var ds = file.Dataset;
        var path = file.Path;
        var luts = new ushort[3][];
        var first = 0;
        for (var c = 0; c < 3; c++)
        {
            var desc = ds.Find(new DicomTag(0x0028, (ushort)(0x1101 + c)));
            var segmented = ds.Find(new DicomTag(0x0028, (ushort)(0x1221 + c)));
            var data = ds.Find(new DicomTag(0x0028, (ushort)(0x1201 + c))) ?? segmented;
            if (desc is null || data is null)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, "PALETTE COLOR image without its lookup tables.");
            }

            var d = ds.GetValueBytes(desc);
            if (d.Length < 6)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, path, "palette lookup table descriptor too short.", desc.FileOffset);
            }

            var w = new int[3];
            for (var i = 0; i < 3; i++)
            {
                w[i] = ds.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(d[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(d[(2 * i)..]);
            }

            var entries = w[0] == 0 ? 65536 : w[0];
            first = desc.Vr == "SS" ? (short)w[1] : w[1];
            var bits = w[2];
            var bytes = ds.GetValueBytes(data);
            var lut = new ushort[entries];
            if (ReferenceEquals(data, segmented))
            {
                var words = new ushort[bytes.Length / 2];
                for (var i = 0; i < words.Length; i++)
                {
                    words[i] = ds.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
                }

                lut = ExpandSegmentedLut(words, entries, path);
            }
            else if (bytes.Length >= entries * 2)
            {
                for (var i = 0; i < entries; i++)
                {
                    lut[i] = ds.BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
                }

                if (bits == 8 && lut.All(v => v <= 255) == false && lut.All(v => (v & 0xFF) == (v >> 8)))
                {
                    for (var i = 0; i < entries; i++)
                    {
                        lut[i] = (ushort)(lut[i] & 0xFF);
                    }
                }
            }
            else if (bytes.Length >= entries)
            {
                for (var i = 0; i < entries; i++)
                {
                    lut[i] = bytes[i];
                }
            }
            else
            {
                throw new ImageReadException(ImageReadError.DataSizeMismatch, path, $"palette lookup table holds {bytes.Length} bytes for {entries} entries.", data.FileOffset);
            }

            luts[c] = lut;
        }

        if (luts[0].Length != luts[1].Length || luts[0].Length != luts[2].Length)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, path, "palette lookup tables differ in length.");
        }

        return (luts, first);
    }
}
