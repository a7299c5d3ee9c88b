using System.Buffers.Binary;
using System.Text;

namespace DeepSim.Imaging.Dicom;

/// <summary>Raised inside the parser when a header-only read needs more of the file than was loaded.</summary>
internal sealed class DicomNeedMoreDataException : Exception
{
}

/// <summary>
/// Parses DICOM data sets from a byte buffer. Every length is checked against the buffer before use, nesting is bounded,
/// and every step advances, so hostile input ends in an <see cref="ImageReadException"/>, never a hang or a large allocation.
/// </summary>
internal sealed class DicomParser
{
    internal const int MaxDepth = 32;
    internal const int MaxElements = 1_000_000;

    private readonly byte[] _buf;
    private readonly int _end;
    private readonly string _path;
    private readonly bool _partial;
    private readonly long _fileBase;
    private int _elementCount;

    /// <param name="buffer">The bytes.</param>
    /// <param name="end">Number of valid bytes in <paramref name="buffer"/>.</param>
    /// <param name="path">File name for messages.</param>
    /// <param name="partial">True when the buffer is only a prefix of the file: running out of bytes throws <see cref="DicomNeedMoreDataException"/>.</param>
    /// <param name="fileBase">Offset of buffer[0] in the file (for messages).</param>
    public DicomParser(byte[] buffer, int end, string path, bool partial, long fileBase = 0)
    {
        _buf = buffer;
        _end = end;
        _path = path;
        _partial = partial;
        _fileBase = fileBase;
    }

    /// <summary>Where parsing of the top-level data set stopped (the pixel data element, when asked to stop there).</summary>
    public int StoppedAt { get; private set; } = -1;

    internal static bool IsKnownVr(byte a, byte b) => (char)a switch
    {
        'A' => b is (byte)'E' or (byte)'S' or (byte)'T',
        'C' => b is (byte)'S',
        'D' => b is (byte)'A' or (byte)'S' or (byte)'T',
        'F' => b is (byte)'L' or (byte)'D',
        'I' => b is (byte)'S',
        'L' => b is (byte)'O' or (byte)'T',
        'O' => b is (byte)'B' or (byte)'D' or (byte)'F' or (byte)'L' or (byte)'V' or (byte)'W',
        'P' => b is (byte)'N',
        'S' => b is (byte)'H' or (byte)'L' or (byte)'Q' or (byte)'S' or (byte)'T' or (byte)'V',
        'T' => b is (byte)'M',
        'U' => b is (byte)'C' or (byte)'I' or (byte)'L' or (byte)'N' or (byte)'R' or (byte)'S' or (byte)'T' or (byte)'V',
        _ => false,
    };

    private static bool HasLongLength(string vr) => vr is "OB" or "OD" or "OF" or "OL" or "OV" or "OW" or "SQ" or "UC" or "UN" or "UR" or "UT" or "SV" or "UV";

    private static string VrString(byte a, byte b) => ((char)a, (char)b) switch
    {
        ('A', 'E') => "AE", ('A', 'S') => "AS", ('A', 'T') => "AT", ('C', 'S') => "CS", ('D', 'A') => "DA", ('D', 'S') => "DS",
        ('D', 'T') => "DT", ('F', 'L') => "FL", ('F', 'D') => "FD", ('I', 'S') => "IS", ('L', 'O') => "LO", ('L', 'T') => "LT",
        ('O', 'B') => "OB", ('O', 'D') => "OD", ('O', 'F') => "OF", ('O', 'L') => "OL", ('O', 'V') => "OV", ('O', 'W') => "OW",
        ('P', 'N') => "PN", ('S', 'H') => "SH", ('S', 'L') => "SL", ('S', 'Q') => "SQ", ('S', 'S') => "SS", ('S', 'T') => "ST",
        ('S', 'V') => "SV", ('T', 'M') => "TM", ('U', 'C') => "UC", ('U', 'I') => "UI", ('U', 'L') => "UL", ('U', 'N') => "UN",
        ('U', 'R') => "UR", ('U', 'S') => "US", ('U', 'T') => "UT", ('U', 'V') => "UV",
        _ => "UN",
    };

    /// <summary>Parses group 0002 (always explicit VR little endian) starting at <paramref name="pos"/>; returns the position after it.</summary>
    public DicomDataset ParseMeta(int pos, out int after)
    {
        var ds = new DicomDataset(_buf, false, Encoding.Latin1);
        while (pos + 8 <= _end && BinaryPrimitives.ReadUInt16LittleEndian(_buf.AsSpan(pos)) == 0x0002)
        {
            pos = ReadElement(ds, pos, _end, true, false, 0, stopAtPixelData: false, out _);
        }

        after = pos;
        return ds;
    }

    /// <summary>Parses the top-level data set from <paramref name="pos"/> to the end of the buffer.</summary>
    public DicomDataset ParseDataset(int pos, bool explicitVr, bool bigEndian, bool stopAtPixelData)
    {
        var ds = new DicomDataset(_buf, bigEndian, Encoding.Latin1);
        while (pos < _end)
        {
            if (_end - pos < 8)
            {
                if (IsPadding(pos, _end))
                {
                    break;
                }

                NeedMoreOrThrow(ImageReadError.Truncated, "the file ends inside a data element header", pos);
            }

            var group = ReadU16(pos, bigEndian);
            var element = ReadU16(pos + 2, bigEndian);
            if (group == 0xFFFE)
            {
                // Stray item / delimiter at top level (seen in damaged files): skip its 8-byte header.
                pos += 8;
                continue;
            }

            if (group == 0x0000 && element == 0x0000 && IsPadding(pos, Math.Min(_end, pos + 128)))
            {
                // Trailing zero padding.
                if (IsPadding(pos, _end))
                {
                    break;
                }
            }

            pos = ReadElement(ds, pos, _end, explicitVr, bigEndian, 0, stopAtPixelData, out var stopped);
            if (stopped)
            {
                StoppedAt = pos;
                break;
            }

            if (ds.Elements.Count == 1 || ds.Elements[^1].Tag == DicomTags.SpecificCharacterSet)
            {
                UpdateCharset(ds);
            }
        }

        return ds;
    }

    private static void UpdateCharset(DicomDataset ds)
    {
        var cs = ds.GetText(DicomTags.SpecificCharacterSet);
        if (cs is not null && cs.Contains("ISO_IR 192", StringComparison.Ordinal))
        {
            ds.TextEncoding = Encoding.UTF8;
        }
    }

    private bool IsPadding(int from, int to)
    {
        return _buf.AsSpan(from, to - from).IndexOfAnyExcept((byte)0) < 0;
    }

    private ushort ReadU16(int pos, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(_buf.AsSpan(pos)) : BinaryPrimitives.ReadUInt16LittleEndian(_buf.AsSpan(pos));

    private DicomTag ReadTag(int pos, bool bigEndian) => new(ReadU16(pos, bigEndian), ReadU16(pos + 2, bigEndian));

    private uint ReadU32(int pos, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(_buf.AsSpan(pos)) : BinaryPrimitives.ReadUInt32LittleEndian(_buf.AsSpan(pos));

    private void NeedMoreOrThrow(ImageReadError error, string message, long pos)
    {
        if (_partial)
        {
            throw new DicomNeedMoreDataException();
        }

        throw new ImageReadException(error, _path, message, _fileBase + pos);
    }

    /// <summary>Reads one element at <paramref name="pos"/> into <paramref name="ds"/>; returns the position after it.</summary>
    private int ReadElement(DicomDataset ds, int pos, int limit, bool explicitVr, bool bigEndian, int depth, bool stopAtPixelData, out bool stopped)
    {
        stopped = false;
        if (++_elementCount > MaxElements)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, _path, $"more than {MaxElements} data elements", _fileBase + pos);
        }

        if (limit - pos < 8)
        {
            NeedMoreOrThrow(ImageReadError.Truncated, "the file ends inside a data element header", pos);
        }

        var start = pos;
        var tag = ReadTag(pos, bigEndian);
        string vr;
        long length;
        if (explicitVr && IsKnownVr(_buf[pos + 4], _buf[pos + 5]))
        {
            vr = VrString(_buf[pos + 4], _buf[pos + 5]);
            if (HasLongLength(vr))
            {
                if (limit - pos < 12)
                {
                    NeedMoreOrThrow(ImageReadError.Truncated, "the file ends inside a data element header", pos);
                }

                length = ReadU32(pos + 8, bigEndian);
                pos += 12;
            }
            else
            {
                length = ReadU16(pos + 6, bigEndian);
                pos += 8;
            }
        }
        else
        {
            // Implicit VR, or an explicit VR that is not a VR (a damaged or mixed-encoding file): 4-byte length.
            vr = DicomDictionary.ImplicitVr(tag);
            length = ReadU32(pos + 4, bigEndian);
            pos += 8;
        }

        var undefined = length == 0xFFFFFFFF;
        var isPixelData = depth == 0 && tag == DicomTags.PixelData;
        if (isPixelData && stopAtPixelData && !undefined)
        {
            // Header-only read: record where the pixel data lies without needing it in the buffer.
            var e = new DicomElement(tag, vr, pos, length, _fileBase + start) { ValueNotLoaded = pos + length > limit };
            ds.Add(e);
            stopped = true;
            return pos;
        }

        if (undefined)
        {
            var element = new DicomElement(tag, vr, pos, -1, _fileBase + start);
            if (isPixelData || (tag.Group == 0x7FE0 && depth == 0))
            {
                element.Fragments = ReadFragments(ref pos, limit, bigEndian);
            }
            else
            {
                // SQ, or UN / unknown with undefined length: a sequence. UN sequences are implicit VR little endian.
                var itemsExplicit = explicitVr && vr != "UN";
                var itemsBigEndian = bigEndian && vr != "UN";
                element.Items = ReadSequenceItems(ref pos, limit, itemsExplicit, itemsBigEndian, depth + 1, definedEnd: -1);
                element.IsSequence = true;
            }

            ds.Add(element);
            return pos;
        }

        if (length > limit - pos)
        {
            var what = $"element {tag} declares {length} bytes but only {limit - pos} remain";
            NeedMoreOrThrow(limit == _end ? ImageReadError.Truncated : ImageReadError.CorruptHeader, what, start);
        }

        var el = new DicomElement(tag, vr, pos, length, _fileBase + start);
        if (vr == "SQ" && length > 0)
        {
            var p = pos;
            el.Items = ReadSequenceItems(ref p, (int)(pos + length), explicitVr, bigEndian, depth + 1, definedEnd: (int)(pos + length));
            el.IsSequence = true;
        }
        else if (vr == "SQ")
        {
            el.IsSequence = true;
        }
        else if (vr == "UN" && length >= 8 && ReadTag(pos, bigEndian) == DicomTags.Item)
        {
            // An unknown (private or not in the dictionary) implicit-VR element whose value starts with an item: a sequence.
            var p = pos;
            var count = _elementCount;
            try
            {
                el.Items = ReadSequenceItems(ref p, (int)(pos + length), explicitVr, bigEndian, depth + 1, definedEnd: (int)(pos + length));
                el.IsSequence = true;
            }
            catch (ImageReadException)
            {
                _elementCount = count; // not a sequence after all: keep the bytes
            }
        }

        ds.Add(el);
        return (int)(pos + length);
    }

    private List<DicomDataset> ReadSequenceItems(ref int pos, int limit, bool explicitVr, bool bigEndian, int depth, int definedEnd)
    {
        if (depth > MaxDepth)
        {
            throw new ImageReadException(ImageReadError.CorruptHeader, _path, $"sequences nested more than {MaxDepth} deep", _fileBase + pos);
        }

        var items = new List<DicomDataset>();
        while (true)
        {
            if (definedEnd >= 0 && pos >= definedEnd)
            {
                return items;
            }

            if (limit - pos < 8)
            {
                NeedMoreOrThrow(ImageReadError.Truncated, "the file ends inside a sequence", pos);
            }

            var tag = ReadTag(pos, bigEndian);
            var length = ReadU32(pos + 4, bigEndian);
            if (tag == DicomTags.SequenceDelimitationItem)
            {
                pos += 8;
                return items;
            }

            if (tag != DicomTags.Item)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, _path, $"expected a sequence item, found tag {tag}", _fileBase + pos);
            }

            pos += 8;
            var item = new DicomDataset(_buf, bigEndian, Encoding.Latin1);
            if (length == 0xFFFFFFFF)
            {
                while (true)
                {
                    if (limit - pos < 8)
                    {
                        NeedMoreOrThrow(ImageReadError.Truncated, "the file ends inside a sequence item", pos);
                    }

                    if (ReadTag(pos, bigEndian) == DicomTags.ItemDelimitationItem)
                    {
                        pos += 8;
                        break;
                    }

                    pos = ReadElement(item, pos, limit, explicitVr, bigEndian, depth, false, out _);
                }
            }
            else
            {
                if (length > limit - pos)
                {
                    NeedMoreOrThrow(ImageReadError.Truncated, $"sequence item declares {length} bytes but only {limit - pos} remain", pos - 8);
                }

                var itemEnd = pos + (int)length;
                while (pos < itemEnd)
                {
                    if (itemEnd - pos < 8 && IsPadding(pos, itemEnd))
                    {
                        pos = itemEnd;
                        break;
                    }

                    pos = ReadElement(item, pos, itemEnd, explicitVr, bigEndian, depth, false, out _);
                }
            }

            items.Add(item);
        }
    }

    private List<(int Offset, int Length)> ReadFragments(ref int pos, int limit, bool bigEndian)
    {
        var fragments = new List<(int Offset, int Length)>();
        while (true)
        {
            if (limit - pos < 8)
            {
                NeedMoreOrThrow(ImageReadError.Truncated, "the file ends inside encapsulated pixel data", pos);
            }

            var tag = ReadTag(pos, bigEndian);
            var length = ReadU32(pos + 4, bigEndian);
            if (tag == DicomTags.SequenceDelimitationItem)
            {
                pos += 8;
                return fragments;
            }

            if (tag != DicomTags.Item || length == 0xFFFFFFFF)
            {
                throw new ImageReadException(ImageReadError.CorruptHeader, _path, $"expected a pixel data fragment, found tag {tag}", _fileBase + pos);
            }

            if (length > limit - pos - 8)
            {
                NeedMoreOrThrow(ImageReadError.Truncated, $"pixel data fragment declares {length} bytes but only {limit - pos - 8} remain", pos);
            }

            fragments.Add((pos + 8, (int)length));
            pos += 8 + (int)length;
        }
    }
}
