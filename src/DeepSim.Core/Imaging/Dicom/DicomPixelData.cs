using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DeepSim.Imaging.Dicom;

/// <summary>
/// The pixel data of one DICOM file and the attributes that describe it: decodes frames (native, big endian, RLE,
/// JPEG lossless) to little-endian native samples and converts them to float values (bits stored masking and sign
/// extension, MONOCHROME1 inversion, colour to luminance, palette lookup, rescale slope/intercept). The palette is
/// <see cref="DicomPalette"/>; the frames of encapsulated data are found by <see cref="EncapsulatedFrames"/>.
/// </summary>
internal sealed class DicomPixelData
{
    /// <summary>Largest number of voxels DeepSim decodes from one file (1 Gi voxels, 4 GB as float).</summary>
    internal const long MaxVoxels = 1L << 30;

    private readonly DicomFile _file;
    private readonly ReadOnlyMemory<byte> _value;
    private readonly List<ReadOnlyMemory<byte>>? _frameFragments;
    private readonly long _pixelOffset;
    private readonly DicomPalette? _palette;
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
        Rows = ds.GetInt(DicomTags.Rows, 0);
        Columns = ds.GetInt(DicomTags.Columns, 0);
        Samples = ds.GetInt(DicomTags.SamplesPerPixel, 1);
        BitsAllocated = ds.GetInt(DicomTags.BitsAllocated, 0);
        BitsStored = ds.GetInt(DicomTags.BitsStored, BitsAllocated);
        HighBit = ds.GetInt(DicomTags.HighBit, BitsStored - 1);
        Signed = ds.GetInt(DicomTags.PixelRepresentation, 0) == 1;
        Planar = ds.GetInt(DicomTags.PlanarConfiguration, 0) == 1;
        Photometric = (ds.GetText(DicomTags.PhotometricInterpretation) ?? (Samples == 3 ? "RGB" : "MONOCHROME2")).Trim().ToUpperInvariant();
        var frames = ds.GetDoubles(DicomTags.NumberOfFrames);
        Frames = frames.Length > 0 && frames[0] >= 1 && frames[0] <= int.MaxValue ? (int)frames[0] : 1;

        var slope = ds.GetDoubles(DicomTags.RescaleSlope);
        var intercept = ds.GetDoubles(DicomTags.RescaleIntercept);
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

        var pixel = ds.Find(DicomTags.PixelData);
        var floatPixel = ds.Find(DicomTags.FloatPixelData) ?? ds.Find(DicomTags.DoubleFloatPixelData);
        if (pixel is null && floatPixel is null && ds.Contains(DicomTags.Rows) && ds.Contains(DicomTags.Columns))
        {
            throw new ImageReadException(ImageReadError.Truncated, path, $"the file ends after {file.FileLength} bytes, after the image attributes (Rows, Columns) but before the pixel data: it is cut short.");
        }

        if (pixel is null && floatPixel is null)
        {
            var sopClass = ds.GetText(DicomTags.SOPClassUID) ?? file.MetaInformation.GetText(DicomTags.MediaStorageSOPClassUID) ?? "unknown";
            var modality = ds.GetText(DicomTags.Modality);
            throw new ImageReadException(ImageReadError.NotAnImage, path, $"the DICOM object has no pixel data (SOP class {sopClass}{(modality is null ? string.Empty : ", modality " + modality)}).");
        }

        if (!ds.Contains(DicomTags.Rows) || !ds.Contains(DicomTags.Columns))
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
            Kind = floatPixel!.Tag == DicomTags.FloatPixelData ? PixelKind.Float32 : PixelKind.Float64;
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
            _palette = DicomPalette.Read(file);
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
            _frameFragments = EncapsulatedFrames.Split(path, Frames, Kind == PixelKind.JpegLossless, pixel, ds.Buffer);
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
        var transform = DicomTags.PixelValueTransformationSequence;
        var shared = ds.GetSequence(DicomTags.SharedFunctionalGroupsSequence);
        var perFrame = ds.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence);
        (double, double)? Of(DicomDataset? group)
        {
            if (group?.GetSequence(transform) is not { Count: > 0 } t)
            {
                return null;
            }

            var s = t[0].GetDoubles(DicomTags.RescaleSlope);
            var i = t[0].GetDoubles(DicomTags.RescaleIntercept);
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
            for (var i = 0; i < pixels; i++)
            {
                dest[i] = _palette.Luminance(Sample(native, i));
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
}
